import CSpeexDSP

/// speexdsp's acoustic echo canceller and preprocessor (noise suppression, residual echo
/// suppression) for the speaker path: each 20 ms microphone frame is cleaned of the echo of
/// what the speaker played, given that played frame. The filter covers 128 ms of echo tail.
public final class EchoCanceller {
    private let echo: OpaquePointer
    private let preprocess: OpaquePointer
    private var output = [Int16](repeating: 0, count: AudioFormat.frameSamples)

    public init?(frameSize: Int = AudioFormat.frameSamples, tailMilliseconds: Int = 128, rate: Int = AudioFormat.sampleRate) {
        guard let e = speex_echo_state_init(Int32(frameSize), Int32(rate * tailMilliseconds / 1000)) else { return nil }
        guard let p = speex_preprocess_state_init(Int32(frameSize), Int32(rate)) else {
            speex_echo_state_destroy(e)
            return nil
        }
        echo = e
        preprocess = p
        var r = Int32(rate)
        speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &r)
        var on: Int32 = 1
        speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_DENOISE, &on)
        speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_ECHO_STATE, UnsafeMutableRawPointer(echo))
        output = [Int16](repeating: 0, count: frameSize)
    }

    deinit {
        speex_preprocess_state_destroy(preprocess)
        speex_echo_state_destroy(echo)
    }

    /// `captured` with the echo of `played` (the frame the speaker played, the same length)
    /// taken out, then denoised.
    public func process(captured: [Int16], played: [Int16]) -> [Int16] {
        guard captured.count == output.count, played.count == output.count else { return captured }
        captured.withUnsafeBufferPointer { c in
            played.withUnsafeBufferPointer { p in
                output.withUnsafeMutableBufferPointer { o in
                    speex_echo_cancellation(echo, c.baseAddress, p.baseAddress, o.baseAddress)
                    _ = speex_preprocess_run(preprocess, o.baseAddress)
                }
            }
        }
        return output
    }
}
