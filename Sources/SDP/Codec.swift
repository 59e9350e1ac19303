// The audio codecs the phone can offer, as SDP sees them: an encoding name, a clock rate, a
// static payload type where RFC 3551 assigns one, and the fmtp the phone puts beside it.

public struct Codec: Sendable, Hashable, CustomStringConvertible {
    /// The rtpmap encoding name (compared case-insensitively, RFC 4855 §3).
    public let encoding: String
    public let clockRate: Int
    /// RFC 3551's static number; nil for a codec that needs a dynamic one.
    public let staticPayloadType: UInt8?
    /// The fmtp parameters offered with it (G.729: `annexb=no`, RFC 4856 §2.1.9).
    public let fmtp: String?

    public init(encoding: String, clockRate: Int = 8000, staticPayloadType: UInt8?, fmtp: String? = nil) {
        self.encoding = encoding
        self.clockRate = clockRate
        self.staticPayloadType = staticPayloadType
        self.fmtp = fmtp
    }

    public static let pcmu = Codec(encoding: "PCMU", staticPayloadType: 0)
    public static let pcma = Codec(encoding: "PCMA", staticPayloadType: 8)
    /// G.729a without Annex B (the phone sends no VAD/CNG; SID frames received are decoded).
    public static let g729 = Codec(encoding: "G729", staticPayloadType: 18, fmtp: "annexb=no")

    public func matches(_ map: RTPMap) -> Bool {
        map.encoding.uppercased() == encoding.uppercased() && map.clockRate == clockRate
    }

    public var description: String { "\(encoding)/\(clockRate)" }

    /// The codec list of `preferred_codec` (GUIDE §2.2.4: the preferred one first, the others
    /// still offered), from the codecs this build can run, in the guide's order otherwise
    /// (§9.5's offer: `0 8 18 101`).
    public static func preferenceOrder(preferred: String, available: [Codec] = [.pcmu, .pcma, .g729]) -> [Codec] {
        let first: Codec? = switch preferred.lowercased() {
        case "g711ulaw": .pcmu
        case "g711alaw": .pcma
        case "g729a", "g729": .g729
        default: nil
        }
        guard let first, available.contains(first) else { return available }
        return [first] + available.filter { $0 != first }
    }
}
