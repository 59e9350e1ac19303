#if canImport(Glibc)
import Glibc
#endif

/// Packet, byte, error and drop counters of one interface (/sys/class/net/IF/statistics).
public struct InterfaceCounters: Sendable, Equatable {
    public var rxPackets: UInt64 = 0
    public var txPackets: UInt64 = 0
    public var rxBytes: UInt64 = 0
    public var txBytes: UInt64 = 0
    public var rxErrors: UInt64 = 0
    public var txErrors: UInt64 = 0
    public var rxDropped: UInt64 = 0
    public var txDropped: UInt64 = 0

    public init() {}

    /// Reads the interface's row of /proc/net/dev (one file for all eight counters), else
    /// /sys/class/net/IF/statistics; a counter that cannot be read stays 0, nil when neither
    /// can be read.
    public static func read(interface: String) -> InterfaceCounters? {
        if let text = SystemFiles.text("/proc/net/dev"), let c = parseProcNetDev(text, interface: interface) { return c }
        return readStatistics(interface: interface)
    }

    /// The row `  IF: rxBytes rxPackets rxErrs rxDrop fifo frame compressed multicast
    /// txBytes txPackets txErrs txDrop …` of /proc/net/dev.
    public static func parseProcNetDev(_ text: String, interface: String) -> InterfaceCounters? {
        for line in text.split(separator: "\n").dropFirst(2) {
            guard let colon = line.firstIndex(of: ":"),
                  line[..<colon].trimmingPrefix(while: { $0 == " " }) == interface else { continue }
            let fields = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard fields.count >= 12 else { return nil }
            var c = InterfaceCounters()
            c.rxBytes = fields[0]; c.rxPackets = fields[1]; c.rxErrors = fields[2]; c.rxDropped = fields[3]
            c.txBytes = fields[8]; c.txPackets = fields[9]; c.txErrors = fields[10]; c.txDropped = fields[11]
            return c
        }
        return nil
    }

    static func readStatistics(interface: String) -> InterfaceCounters? {
        let base = "/sys/class/net/\(interface)/statistics/"
        func value(_ name: String) -> UInt64? { SystemFiles.line(base + name).flatMap { UInt64($0) } }
        guard let rxPackets = value("rx_packets") else { return nil }
        var counters = InterfaceCounters()
        counters.rxPackets = rxPackets
        counters.txPackets = value("tx_packets") ?? 0
        counters.rxBytes = value("rx_bytes") ?? 0
        counters.txBytes = value("tx_bytes") ?? 0
        counters.rxErrors = value("rx_errors") ?? 0
        counters.txErrors = value("tx_errors") ?? 0
        counters.rxDropped = value("rx_dropped") ?? 0
        counters.txDropped = value("tx_dropped") ?? 0
        return counters
    }
}

/// Link-layer state of an interface. Virtual links (veth, loopback, many VM NICs) answer
/// speed -1 or EINVAL and duplex "unknown": those read as nil and print as "unknown".
public struct LinkState: Sendable, Equatable {
    public enum Duplex: String, Sendable { case full, half }
    /// Mbit/s.
    public var speed: Int?
    public var duplex: Duplex?
    /// /sys/class/net/IF/carrier (only readable while the interface is up).
    public var carrier: Bool?
    /// /sys/class/net/IF/operstate, RFC 2863 words: up, down, dormant, unknown …
    public var operState: String

    public init(speed: Int? = nil, duplex: Duplex? = nil, carrier: Bool? = nil, operState: String = "unknown") {
        self.speed = speed
        self.duplex = duplex
        self.carrier = carrier
        self.operState = operState
    }

    public static func read(interface: String) -> LinkState {
        let base = "/sys/class/net/\(interface)/"
        var state = LinkState()
        if let speed = SystemFiles.integer(base + "speed"), speed > 0 { state.speed = Int(speed) }
        state.duplex = SystemFiles.line(base + "duplex").flatMap(Duplex.init(rawValue:))
        state.carrier = SystemFiles.integer(base + "carrier").map { $0 == 1 }
        state.operState = SystemFiles.line(base + "operstate") ?? "unknown"
        return state
    }
}

/// What `show network` (GUIDE.md §4.4) prints about the real host, read at call time.
public struct NetworkFacts: Sendable, Equatable {
    public var interface: String
    /// `aa:bb:cc:dd:ee:ff` from /sys/class/net/IF/address.
    public var macAddress: String?
    public var ipv4Address: IPv4Address?
    public var subnetMask: IPv4Address?
    /// Gateways of the default routes on any interface, lowest metric first.
    public var defaultRouters: [IPv4Address]
    public var resolver: ResolverConfig
    public var link: LinkState
    public var mtu: Int?
    public var counters: InterfaceCounters?

    public init(interface: String, macAddress: String? = nil, ipv4Address: IPv4Address? = nil,
                subnetMask: IPv4Address? = nil, defaultRouters: [IPv4Address] = [],
                resolver: ResolverConfig = ResolverConfig(), link: LinkState = LinkState(),
                mtu: Int? = nil, counters: InterfaceCounters? = nil) {
        self.interface = interface
        self.macAddress = macAddress
        self.ipv4Address = ipv4Address
        self.subnetMask = subnetMask
        self.defaultRouters = defaultRouters
        self.resolver = resolver
        self.link = link
        self.mtu = mtu
        self.counters = counters
    }

    /// Reads the facts for `interface`, or by default for the interface of the preferred
    /// default route, else the first non-loopback interface that is up, else `lo`.
    public static func read(interface: String? = nil) -> NetworkFacts {
        let routes = RouteTable.defaultRoutes(SystemFiles.text("/proc/net/route") ?? "")
        let addresses = InterfaceAddress.all()
        let name = interface ?? chooseInterface(defaultRoutes: routes, addresses: addresses)
        let own = addresses.first { $0.name == name && $0.address != nil }
        var facts = NetworkFacts(interface: name)
        facts.macAddress = SystemFiles.line("/sys/class/net/\(name)/address").flatMap { $0.isEmpty ? nil : $0 }
        facts.ipv4Address = own?.address
        facts.subnetMask = own?.mask
        facts.defaultRouters = routes.map(\.gateway)
        facts.resolver = ResolverConfig.parse(SystemFiles.text("/etc/resolv.conf") ?? "")
        facts.link = LinkState.read(interface: name)
        facts.mtu = SystemFiles.integer("/sys/class/net/\(name)/mtu").map { Int($0) }
        facts.counters = InterfaceCounters.read(interface: name)
        return facts
    }

    /// The rule of `read(interface:)`, separate so it can be tested without a host.
    static func chooseInterface(defaultRoutes: [Route], addresses: [InterfaceAddress]) -> String {
        if let route = defaultRoutes.first { return route.interface }
        if let up = addresses.first(where: { $0.isUp && !$0.isLoopback }) { return up.name }
        return "lo"
    }

    /// `show network` lines, `name: value`; what cannot be read prints as `unknown`.
    public var lines: [String] {
        func show(_ value: String?) -> String { value.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown" }
        func list(_ values: [String]) -> String { values.isEmpty ? "none" : values.joined(separator: ", ") }
        var lines = [
            "Interface: \(interface)",
            "MAC Address: \(show(macAddress))",
            "IP Address: \(show(ipv4Address?.description))",
            "Subnet Mask: \(show(subnetMask?.description))",
            "Default Router(s): \(list(defaultRouters.map(\.description)))",
            "DNS Server(s): \(list(resolver.nameServers))",
            "Domain Name: \(show(resolver.domain))",
            "Search: \(list(resolver.search))",
            "Link: \(link.operState), carrier \(link.carrier.map { $0 ? "yes" : "no" } ?? "unknown")",
            "Speed: \(link.speed.map { "\($0) Mb/s" } ?? "unknown"), duplex \(link.duplex?.rawValue ?? "unknown")",
            "MTU: \(show(mtu.map(String.init)))",
        ]
        if let c = counters {
            lines.append("RX: \(c.rxPackets) packets, \(c.rxBytes) bytes, \(c.rxErrors) errors, \(c.rxDropped) dropped")
            lines.append("TX: \(c.txPackets) packets, \(c.txBytes) bytes, \(c.txErrors) errors, \(c.txDropped) dropped")
        } else {
            lines.append("Counters: unknown")
        }
        return lines
    }
}

/// One interface as getifaddrs(3) lists it, with its IPv4 address when it has one.
struct InterfaceAddress: Sendable, Equatable {
    var name: String
    var flags: UInt32
    var address: IPv4Address?
    var mask: IPv4Address?

    var isUp: Bool { flags & UInt32(IFF_UP) != 0 }
    var isLoopback: Bool { flags & UInt32(IFF_LOOPBACK) != 0 }

    /// Every getifaddrs entry that is IPv4 or carries no address, in the kernel's order.
    static func all() -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result: [InterfaceAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let namePointer = entry.ifa_name else { continue }
            var item = InterfaceAddress(name: String(cString: namePointer), flags: entry.ifa_flags)
            if let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
                item.address = ipv4(address)
                item.mask = entry.ifa_netmask.map(ipv4)
            }
            result.append(item)
        }
        return result
    }

    private static func ipv4(_ address: UnsafeMutablePointer<sockaddr>) -> IPv4Address {
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Address(inAddr: $0.pointee.sin_addr.s_addr) }
    }
}
