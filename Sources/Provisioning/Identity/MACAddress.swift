/// A 48-bit Ethernet MAC address, the phone's identity for `SIP<MAC>.cnf`.
import TextUtilities

public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let octets: [UInt8]

    public init?(octets: [UInt8]) {
        guard octets.count == 6 else { return nil }
        self.octets = octets
    }

    /// Accepts `00:11:AA:BB:CC:42`, `00-11-aa-bb-cc-42` and `0011AABBCC42` (either case).
    public init?(_ text: String) {
        let t = String(text.trimmingASCIIBlanks())
        let hex: [Character]
        if t.count == 17 {
            let chars = Array(t)
            let sep = chars[2]
            guard sep == ":" || sep == "-" else { return nil }
            for i in stride(from: 2, to: 17, by: 3) where chars[i] != sep { return nil }
            hex = chars.enumerated().filter { ($0.offset + 1) % 3 != 0 }.map(\.element)
        } else if t.count == 12 {
            hex = Array(t)
        } else {
            return nil
        }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 12, by: 2) {
            guard let hi = hex[i].hexDigitValue, let lo = hex[i + 1].hexDigitValue else { return nil }
            out.append(UInt8(hi << 4 | lo))
        }
        self.octets = out
    }

    /// Twelve upper-case hex digits without separators, as in `SIP000DBC50FCD4.cnf`
    /// (GUIDE.md §1.2; upper case per public examples, (unverified) in the guide text).
    public var fileNameForm: String {
        octets.map { Self.hex($0) }.joined()
    }

    /// `00:0D:BC:50:FC:D4`.
    public var description: String { octets.map { Self.hex($0) }.joined(separator: ":") }

    /// The phone-specific configuration file name.
    public var configFileName: String { "SIP\(fileNameForm).cnf" }

    static func hex(_ b: UInt8) -> String {
        let d = Array("0123456789ABCDEF")
        return String([d[Int(b >> 4)], d[Int(b & 0xF)]])
    }
}
