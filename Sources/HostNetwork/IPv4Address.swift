/// An IPv4 address (RFC 791), held as a number in host order: `192.0.2.1` is `0xC000_0201`.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: UInt32

    public init(value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Strict dotted quad: four decimal fields 0–255, nothing else.
    public init?(_ text: some StringProtocol) {
        let fields = text.split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 4 else { return nil }
        var value: UInt32 = 0
        for field in fields {
            guard !field.isEmpty, field.count <= 3, field.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt8(field) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.value = value
    }

    /// From four bytes in network order (as in a packet or `in_addr.s_addr`'s memory).
    init(bytes: some Collection<UInt8>) {
        value = bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// From `in_addr.s_addr`, which holds the address in network order in memory.
    init(inAddr sAddr: UInt32) { value = UInt32(bigEndian: sAddr) }

    /// The value for `in_addr.s_addr`.
    var inAddr: UInt32 { value.bigEndian }

    public var octets: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    public var description: String { octets.map(String.init).joined(separator: ".") }

    public var isLoopback: Bool { value >> 24 == 127 }

    /// The prefix length when this is a contiguous netmask (`255.255.255.0` → 24), else nil.
    public var prefixLength: Int? {
        let ones = value.nonzeroBitCount
        return value == (ones == 0 ? 0 : UInt32.max << (32 - ones)) ? ones : nil
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}
