import Foundation
import Media
import Testing

/// The echo canceller offline: the far end's signal fed back into the microphone 40 ms later
/// at half the level (a speaker next to the microphone); after two seconds of convergence the
/// echo left is at least 20 dB below the echo that came in.
@Suite struct EchoCancellerTests {
    /// A speech-like far end: noise shaped by a slowly varying envelope, deterministic.
    func farEnd(_ frames: Int) -> [[Int16]] {
        var state: UInt32 = 12345
        func noise() -> Double {
            state = state &* 1_103_515_245 &+ 12345
            return Double(Int32(bitPattern: state) >> 16) / 32768
        }
        return (0..<frames).map { f in
            let envelope = 0.3 + 0.7 * abs(sin(Double(f) / 7))
            return (0..<160).map { _ in Int16(clamping: Int(noise() * 8000 * envelope)) }
        }
    }

    func energy(_ frames: ArraySlice<[Int16]>) -> Double {
        frames.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) * Double($1) } }
    }

    @Test func anEchoIsAttenuatedByAtLeast20dBAfterConvergence() throws {
        let canceller = try #require(EchoCanceller())
        let played = farEnd(250)   // five seconds
        let delay = 2              // frames: 40 ms
        var captured: [[Int16]] = [], cleaned: [[Int16]] = []
        for f in played.indices {
            let echo = f >= delay ? played[f - delay].map { Int16($0 / 2) } : [Int16](repeating: 0, count: 160)
            captured.append(echo)
            cleaned.append(canceller.process(captured: echo, played: played[f]))
        }
        let after = 100   // converged after two seconds
        let attenuation = 10 * log10(energy(captured[after...]) / max(1, energy(cleaned[after...])))
        #expect(attenuation >= 20, "echo attenuated by \(attenuation) dB")
        print("echo canceller: \(attenuation) dB after convergence")
    }

    @Test func mismatchedFramesPassThrough() throws {
        let canceller = try #require(EchoCanceller())
        #expect(canceller.process(captured: [1, 2, 3], played: []) == [1, 2, 3])
    }
}
