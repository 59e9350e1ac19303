// The codecs an RTP stream runs, behind one protocol: a 20 ms frame of 160 samples in,
// payload bytes out, and back. G.711 is stateless; G.729a keeps bcg729 channel state, so a
// codec is made per call (`AudioCodecs.make`) and used on that call's loop only.

public protocol AudioCodec {
    /// Encodes one frame of samples (160 for 20 ms), appending the payload bytes to `out`.
    func encode(_ frame: [Int16], into out: inout [UInt8])
    /// Decodes one RTP payload, appending its samples to `out`.
    func decode(_ payload: UnsafeRawBufferPointer, into out: inout [Int16])
    /// Appends one 20 ms frame standing in for a lost packet.
    func conceal(into out: inout [Int16])
}

public struct G711Codec: AudioCodec {
    public let law: G711.Law

    public init(law: G711.Law) { self.law = law }

    public func encode(_ frame: [Int16], into out: inout [UInt8]) { G711.encode(frame, law: law, into: &out) }

    public func decode(_ payload: UnsafeRawBufferPointer, into out: inout [Int16]) {
        G711.decode(payload, law: law, into: &out)
    }

    /// Silence: G.711 has no concealment of its own (Appendix I's is not done here).
    public func conceal(into out: inout [Int16]) {
        out.append(contentsOf: repeatElement(0, count: AudioFormat.frameSamples))
    }
}

public enum AudioCodecs {
    /// The codec for an rtpmap encoding name (`PCMU`, `PCMA`, `G729`, case-insensitive); nil
    /// for one this build does not run, or when bcg729 cannot allocate its channels.
    public static func make(encoding: String) -> (any AudioCodec)? {
        switch encoding.uppercased() {
        case "PCMU": G711Codec(law: .ulaw)
        case "PCMA": G711Codec(law: .alaw)
        case "G729": G729Codec()
        default: nil
        }
    }
}
