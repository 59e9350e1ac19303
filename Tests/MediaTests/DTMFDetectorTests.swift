import Foundation
import Media
import Testing

/// In-band DTMF detection on tones made by an independent tool (sox), and on the phone's own
/// in-band generator; silence, a single tone and a 1 kHz tone give nothing.
@Suite struct DTMFDetectorTests {
    static let pairs: [Character: (Int, Int)] = [
        "1": (697, 1209), "5": (770, 1336), "9": (852, 1477), "#": (941, 1477), "0": (941, 1336), "D": (941, 1633),
    ]

    /// `digits` as sox makes them: 100 ms of each pair, 60 ms of silence between.
    func soxDigits(_ digits: String) async throws -> [Int16] {
        let dir = NSTemporaryDirectory() + "dtmf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var samples: [Int16] = []
        for (i, d) in digits.enumerated() {
            let (low, high) = try #require(Self.pairs[d])
            let file = "\(dir)/\(i).wav"
            try await run(["-n", "-r", "8000", "-c", "1", "-b", "16", file, "synth", "0.1", "sine", "\(low)", "sine", "\(high)",
                           "remix", "1,2", "vol", "0.4"])
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            samples += try WAVFile.samples(bytes)
            samples += [Int16](repeating: 0, count: 480)
        }
        return samples
    }

    func run(_ arguments: [String]) async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "sox \(arguments)")
    }

    func detect(_ samples: [Int16]) -> String {
        var d = DTMFDetector()
        var out = ""
        var i = 0
        while i + 160 <= samples.count {
            if let key = d.process(Array(samples[i..<i + 160])) { out.append(key) }
            i += 160
        }
        return out
    }

    @Test func soxDigitsAreDetectedEachOnce() async throws {
        #expect(detect(try await soxDigits("159#0D")) == "159#0D")
        #expect(detect(try await soxDigits("55")) == "55", "the same key twice, with a gap")
    }

    @Test func thePhonesOwnInBandDigitsAreDetected() throws {
        var samples: [Int16] = []
        for key in "2580*#" {
            var tone = ToneGenerator(try #require(Tone.dtmf(key)))
            var frame: [Int16] = []
            for _ in 0..<10 { tone.fill(&frame); samples += frame }   // 200 ms: the digit and its pause
        }
        #expect(detect(samples) == "2580*#")
    }

    @Test func silenceAndOtherTonesAreNoDigits() throws {
        #expect(detect([Int16](repeating: 0, count: 8000)) == "")
        var one = ToneGenerator(Tone(name: "1k", segments: [ToneSegment([1000], level: -10, milliseconds: nil)], repeatFrom: nil))
        var dial = ToneGenerator(.dial)
        var samples: [Int16] = [], frame: [Int16] = []
        for _ in 0..<50 { one.fill(&frame); samples += frame }
        for _ in 0..<50 { dial.fill(&frame); samples += frame }
        var row = ToneGenerator(Tone(name: "697", segments: [ToneSegment([697], level: -10, milliseconds: nil)], repeatFrom: nil))
        for _ in 0..<50 { row.fill(&frame); samples += frame }
        #expect(detect(samples) == "")
    }
}
