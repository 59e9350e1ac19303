// G.729a through bcg729: 10 ms frames of 80 samples ↔ 10 bytes, two per 20 ms packet
// (RFC 3551 §4.5.6). The phone sends without Annex B (`annexb=no`); Annex B SID frames
// (2 bytes, at the end of a payload) that arrive anyway are decoded as comfort noise, and a
// lost packet is concealed by bcg729's frame erasure.

import CBcg729
import SharedLibraries

/// One bcg729 encoder channel (VAD off), freed with the object.
public final class G729Encoder {
    public static let frameSamples = 80
    public static let frameBytes = 10
    private let bcg729: cbcg729_library
    private let channel: OpaquePointer
    private var bits = [UInt8](repeating: 0, count: G729Encoder.frameBytes)
    private var pad = [Int16](repeating: 0, count: G729Encoder.frameSamples)

    /// nil when libbcg729 cannot be loaded (`Bcg729Library.problem` says why) or gives no channel.
    public init?() {
        guard let bcg729 = Bcg729Library.functions, let channel = bcg729.initBcg729EncoderChannel(0) else { return nil }
        self.bcg729 = bcg729
        self.channel = channel
    }

    deinit { bcg729.closeBcg729EncoderChannel(channel) }

    /// Encodes `samples` 80 at a time (a short last piece padded with silence), appending
    /// 10 bytes per 10 ms.
    public func encode(_ samples: [Int16], into out: inout [UInt8]) {
        var start = 0
        while start < samples.count {
            let end = min(start + Self.frameSamples, samples.count)
            var length: UInt8 = 0
            if end - start == Self.frameSamples {
                samples.withUnsafeBufferPointer { s in
                    bits.withUnsafeMutableBufferPointer { b in
                        if let input = s.baseAddress, let output = b.baseAddress {
                            bcg729.bcg729Encoder(channel, input + start, output, &length)
                        }
                    }
                }
            } else {
                for i in 0..<Self.frameSamples { pad[i] = start + i < end ? samples[start + i] : 0 }
                pad.withUnsafeBufferPointer { s in
                    bits.withUnsafeMutableBufferPointer { b in
                        if let input = s.baseAddress, let output = b.baseAddress { bcg729.bcg729Encoder(channel, input, output, &length) }
                    }
                }
            }
            out.append(contentsOf: bits[0..<Int(min(length, UInt8(Self.frameBytes)))])
            start = end
        }
    }
}

/// One bcg729 decoder channel, freed with the object.
public final class G729Decoder {
    public static let sidBytes = 2
    private let bcg729: cbcg729_library
    private let channel: OpaquePointer
    private var signal = [Int16](repeating: 0, count: G729Encoder.frameSamples)

    /// nil when libbcg729 cannot be loaded (`Bcg729Library.problem` says why) or gives no channel.
    public init?() {
        guard let bcg729 = Bcg729Library.functions, let channel = bcg729.initBcg729DecoderChannel() else { return nil }
        self.bcg729 = bcg729
        self.channel = channel
    }

    deinit { bcg729.closeBcg729DecoderChannel(channel) }

    /// Decodes a payload of 10-byte frames, optionally ending in a 2-byte SID frame, appending
    /// 80 samples per frame. A payload that ends in SID and carries less than 20 ms is filled
    /// up to 20 ms with untransmitted frames (comfort noise, as DTX means). Trailing bytes
    /// that are neither are ignored.
    public func decode(_ payload: UnsafeRawBufferPointer, into out: inout [Int16]) {
        let bytes = payload.bindMemory(to: UInt8.self)
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        var produced = 0
        while bytes.count - offset >= G729Encoder.frameBytes {
            frame(base + offset, length: G729Encoder.frameBytes, erased: false, sid: false, into: &out)
            offset += G729Encoder.frameBytes
            produced += G729Encoder.frameSamples
        }
        if bytes.count - offset == Self.sidBytes {
            frame(base + offset, length: Self.sidBytes, erased: false, sid: true, into: &out)
            produced += G729Encoder.frameSamples
            while produced < AudioFormat.frameSamples {
                conceal(into: &out)
                produced += G729Encoder.frameSamples
            }
        }
    }

    /// One 10 ms frame for a lost (or, after SID, untransmitted) one: bcg729's frame erasure.
    public func conceal(into out: inout [Int16]) {
        frame(nil, length: 0, erased: true, sid: false, into: &out)
    }

    private func frame(_ bits: UnsafePointer<UInt8>?, length: Int, erased: Bool, sid: Bool, into out: inout [Int16]) {
        signal.withUnsafeMutableBufferPointer { s in
            guard let output = s.baseAddress else { return }
            bcg729.bcg729Decoder(channel, bits, UInt8(length), erased ? 1 : 0, sid ? 1 : 0, 0, output)
        }
        out.append(contentsOf: signal)
    }
}

/// G.729a as an `AudioCodec`: one encoder and one decoder channel, made per call.
public final class G729Codec: AudioCodec {
    public let encoder: G729Encoder
    public let decoder: G729Decoder

    public init?() {
        guard let encoder = G729Encoder(), let decoder = G729Decoder() else { return nil }
        self.encoder = encoder
        self.decoder = decoder
    }

    public func encode(_ frame: [Int16], into out: inout [UInt8]) { encoder.encode(frame, into: &out) }

    public func decode(_ payload: UnsafeRawBufferPointer, into out: inout [Int16]) { decoder.decode(payload, into: &out) }

    /// 20 ms concealed: two erased frames.
    public func conceal(into out: inout [Int16]) {
        decoder.conceal(into: &out)
        decoder.conceal(into: &out)
    }
}

/// libbcg729, opened at the first G.729 call and kept (`SharedLibrary`).
public enum Bcg729Library {
    /// Debian's libbcg729-0 (the .deb depends on it by name, since it is not linked).
    static let file = "libbcg729.so.0"
    private static let loaded = SharedLibrary.load(file) { cbcg729_bind_library($0, $1) }

    static var functions: cbcg729_library? { try? loaded.get() }

    /// Why G.729 is not available (the library could not be loaded), nil when it is.
    public static var problem: String? {
        if case .failure(let error) = loaded { return "\(error)" }
        return nil
    }
}
