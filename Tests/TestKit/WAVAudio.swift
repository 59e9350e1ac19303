import Foundation

/// A 16-bit PCM mono WAV file read back for checks: its samples, and the frequency and level
/// of any stretch of them (zero crossings and RMS), so tests can tell a 1 kHz tone from a
/// 440 Hz one or from silence.
public struct WAVAudio: Sendable {
    public let sampleRate: Int
    public let samples: [Int16]

    /// Reads RIFF/WAVE with a `fmt ` chunk of PCM 16-bit mono and a `data` chunk.
    public init(path: String) throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        guard data.count >= 12, String(decoding: data[0..<4], as: UTF8.self) == "RIFF",
              String(decoding: data[8..<12], as: UTF8.self) == "WAVE" else { throw TestFailure("\(path): not a WAV file") }
        func u32(_ i: Int) -> Int { Int(data[i]) | Int(data[i + 1]) << 8 | Int(data[i + 2]) << 16 | Int(data[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(data[i]) | Int(data[i + 1]) << 8 }
        var i = 12
        var rate = 0, bits = 0, channels = 0
        var pcm: [Int16] = []
        while i + 8 <= data.count {
            let id = String(decoding: data[i..<i + 4], as: UTF8.self)
            let size = u32(i + 4)
            let body = i + 8
            if id == "fmt ", body + 16 <= data.count {
                channels = u16(body + 2)
                rate = u32(body + 4)
                bits = u16(body + 14)
            } else if id == "data" {
                let end = min(data.count, body + size)
                pcm.reserveCapacity((end - body) / 2)
                var j = body
                while j + 1 < end {
                    pcm.append(Int16(bitPattern: UInt16(data[j]) | UInt16(data[j + 1]) << 8))
                    j += 2
                }
            }
            i = body + size + (size & 1)
        }
        guard bits == 16, channels == 1, rate > 0 else { throw TestFailure("\(path): \(bits)-bit, \(channels) channels: not 16-bit mono") }
        sampleRate = rate
        samples = pcm
    }

    public var seconds: Double { Double(samples.count) / Double(sampleRate) }

    func window(_ from: Double, _ to: Double) -> ArraySlice<Int16> {
        let a = max(0, min(samples.count, Int(from * Double(sampleRate))))
        let b = max(a, min(samples.count, Int(to * Double(sampleRate))))
        return samples[a..<b]
    }

    /// The frequency of the stretch from `from` to `to` seconds, by counting zero crossings.
    public func frequency(from: Double, to: Double) -> Double {
        let w = window(from, to)
        guard w.count > 1 else { return 0 }
        var crossings = 0
        var previous = w.first ?? 0
        for s in w.dropFirst() {
            if (previous < 0) != (s < 0) { crossings += 1 }
            previous = s
        }
        return Double(crossings) / 2 / (Double(w.count) / Double(sampleRate))
    }

    /// The RMS level of the stretch (0 for silence, about 23 000 for a full-scale sine).
    public func rms(from: Double, to: Double) -> Double {
        let w = window(from, to)
        guard !w.isEmpty else { return 0 }
        let sum = w.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(w.count)).squareRoot()
    }

    /// Seconds (from the start) during which the level stays above `threshold` in 20 ms windows.
    public func audibleSeconds(threshold: Double = 500) -> Double {
        let step = sampleRate / 50
        var audible = 0
        var i = 0
        while i + step <= samples.count {
            let w = samples[i..<i + step]
            let sum = w.reduce(0.0) { $0 + Double($1) * Double($1) }
            if (sum / Double(step)).squareRoot() > threshold { audible += 1 }
            i += step
        }
        return Double(audible) / 50
    }
}

extension WAVAudio {
    /// Seconds of 20 ms windows whose zero-crossing frequency is within `tolerance` Hz of
    /// `frequency` and whose level is above `threshold`: how long a tone was heard.
    public func seconds(near frequency: Double, tolerance: Double = 30, threshold: Double = 500) -> Double {
        let step = sampleRate / 50
        var hits = 0
        var i = 0
        while i + step <= samples.count {
            let from = Double(i) / Double(sampleRate), to = Double(i + step) / Double(sampleRate)
            if rms(from: from, to: to) > threshold, abs(self.frequency(from: from, to: to) - frequency) <= tolerance { hits += 1 }
            i += step
        }
        return Double(hits) / 50
    }
}

extension WAVAudio {
    /// The power of one frequency over a stretch (Goertzel), normalised per sample: about
    /// A²/4 for a sine of amplitude A, near 0 when the frequency is absent.
    public func power(at frequency: Double, from: Double, to: Double) -> Double {
        let w = window(from, to)
        guard !w.isEmpty else { return 0 }
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(sampleRate))
        var s1 = 0.0, s2 = 0.0
        for x in w {
            let s0 = Double(x) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return power / Double(w.count * w.count)
    }
}
