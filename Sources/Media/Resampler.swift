import CSpeexDSP

/// speexdsp's resampler for one mono stream (quality 5, its VoIP default): between the codecs'
/// 8 kHz and a sound card's own rate.
public final class Resampler {
    private let state: OpaquePointer
    public let inputRate: Int
    public let outputRate: Int

    public init?(from inputRate: Int, to outputRate: Int, quality: Int32 = 5) {
        var error: Int32 = 0
        guard inputRate > 0, outputRate > 0,
              let s = speex_resampler_init(1, UInt32(inputRate), UInt32(outputRate), quality, &error), error == 0 else { return nil }
        state = s
        self.inputRate = inputRate
        self.outputRate = outputRate
    }

    deinit { speex_resampler_destroy(state) }

    /// Resamples `input` into `output` (replacing its contents): about input.count·out/in samples.
    public func process(_ input: [Int16], into output: inout [Int16]) {
        let capacity = input.count * outputRate / inputRate + 16
        if output.count < capacity { output = [Int16](repeating: 0, count: capacity) }
        var inLength = UInt32(input.count)
        var outLength = UInt32(output.count)
        input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                _ = speex_resampler_process_int(state, 0, i.baseAddress, &inLength, o.baseAddress, &outLength)
            }
        }
        output.removeLast(output.count - Int(outLength))
    }
}
