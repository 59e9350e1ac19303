/// The IPv4 routing table as Linux prints it in /proc/net/route (net/ipv4/fib_trie.c,
/// `fib_route_seq_show`): a header line, then one whitespace-separated row per route,
/// `Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT`, addresses as
/// `%08X` of the network-order 32-bit value read in host order.
public struct Route: Sendable, Equatable {
    public var interface: String
    public var destination: IPv4Address
    public var gateway: IPv4Address
    public var flags: UInt32
    public var metric: Int
    public var mask: IPv4Address

    /// RTF_UP and RTF_GATEWAY (linux/route.h).
    static let up: UInt32 = 0x0001
    static let viaGateway: UInt32 = 0x0002

    public var isDefault: Bool { destination.value == 0 && mask.value == 0 }
    public var isUp: Bool { flags & Route.up != 0 }
}

public enum RouteTable {
    /// Every well-formed row of /proc/net/route text; the header and malformed rows are skipped.
    public static func parse(_ text: String) -> [Route] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 8, let destination = address(f[1]), let gateway = address(f[2]),
                  let flags = UInt32(f[3], radix: 16), let metric = Int(f[6]), let mask = address(f[7])
            else { return nil }
            return Route(interface: String(f[0]), destination: destination, gateway: gateway,
                         flags: flags, metric: metric, mask: mask)
        }
    }

    /// The default routes that are up, lowest metric first (the one the kernel prefers).
    public static func defaultRoutes(_ text: String) -> [Route] {
        parse(text).filter { $0.isDefault && $0.isUp }.enumerated()
            .sorted { ($0.element.metric, $0.offset) < ($1.element.metric, $1.offset) }.map(\.element)
    }

    /// The file's hex is the in-memory (network-order) address read as a host-order number,
    /// so the bytes of that number in host memory order are the address's octets.
    static func address(_ field: Substring) -> IPv4Address? {
        guard field.count == 8, let raw = UInt32(field, radix: 16) else { return nil }
        return IPv4Address(inAddr: raw)
    }

    /// Reads /proc/net/route; empty when it cannot be read.
    public static func read(path: String = "/proc/net/route") -> [Route] {
        parse(SystemFiles.text(path) ?? "")
    }
}
