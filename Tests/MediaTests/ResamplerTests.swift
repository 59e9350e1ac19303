import Media
import Testing

/// speexdsp's resampler between the codecs' 8 kHz and a card's 48 kHz keeps a tone's
/// frequency and the stream's length.
@Suite struct ResamplerTests {
    func zeroCrossingFrequency(_ s: [Int16], rate: Int) -> Double {
        var crossings = 0
        for i in 1..<s.count where (s[i - 1] < 0) != (s[i] < 0) { crossings += 1 }
        return Double(crossings) / 2 / (Double(s.count) / Double(rate))
    }

    @Test func upAndDownKeepsAOneKilohertzTone() throws {
        let up = try #require(Resampler(from: 8000, to: 48000))
        let down = try #require(Resampler(from: 48000, to: 8000))
        var tone = ToneGenerator(Tone(name: "1k", segments: [ToneSegment([1000], level: -10, milliseconds: nil)], repeatFrom: nil))
        var frame: [Int16] = [], high: [Int16] = [], back: [Int16] = []
        var all48: [Int16] = [], all8: [Int16] = []
        for _ in 0..<50 {   // one second in 20 ms frames
            tone.fill(&frame)
            up.process(frame, into: &high)
            all48 += high
            down.process(high, into: &back)
            all8 += back
        }
        #expect(abs(all48.count - 48000) < 200, "\(all48.count) samples at 48 kHz")
        #expect(abs(all8.count - 8000) < 100, "\(all8.count) samples back at 8 kHz")
        #expect(abs(zeroCrossingFrequency(Array(all48.dropFirst(4800)), rate: 48000) - 1000) < 10)
        #expect(abs(zeroCrossingFrequency(Array(all8.dropFirst(800)), rate: 8000) - 1000) < 10)
    }

    @Test func impossibleRatesAreRefused() {
        #expect(Resampler(from: 0, to: 8000) == nil)
    }
}
