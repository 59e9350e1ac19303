import Testing
import Foundation
import Media
import TestKit

/// A sine at `frequency` and peak `amplitude`, `count` samples at 8 kHz.
func sine(_ frequency: Double, amplitude: Double = 8000, count: Int) -> [Int16] {
    (0..<count).map { Int16(amplitude * sin(2 * Double.pi * frequency * Double($0) / 8000)) }
}

/// The frequency of `x` by counting zero crossings.
func zeroCrossingFrequency(_ x: ArraySlice<Int16>, rate: Double = 8000) -> Double {
    guard x.count > 1 else { return 0 }
    var crossings = 0
    var previous = x.first ?? 0
    for s in x.dropFirst() {
        if (previous < 0) != (s < 0) { crossings += 1 }
        previous = s
    }
    return Double(crossings) / 2 / (Double(x.count) / rate)
}

/// Encodes 20 ms frames of `samples` into G.729 payloads and decodes them with a fresh codec.
func g729RoundTrip(_ samples: [Int16]) throws -> (payloads: [[UInt8]], decoded: [Int16]) {
    let tx = try #require(G729Codec())
    let rx = try #require(G729Codec())
    var payloads: [[UInt8]] = []
    var decoded: [Int16] = []
    for start in stride(from: 0, to: samples.count, by: AudioFormat.frameSamples) {
        var p: [UInt8] = []
        tx.encode(Array(samples[start..<min(samples.count, start + AudioFormat.frameSamples)]), into: &p)
        payloads.append(p)
        p.withUnsafeBytes { rx.decode($0, into: &decoded) }
    }
    return (payloads, decoded)
}

@Suite struct G729Tests {
    @Test func aTwentyMillisecondFrameIsTwentyBytesAndDecodesTo160Samples() throws {
        let codec = try #require(G729Codec())
        var payload: [UInt8] = []
        codec.encode(sine(1000, count: 160), into: &payload)
        #expect(payload.count == 20)
        var out: [Int16] = []
        payload.withUnsafeBytes { codec.decode($0, into: &out) }
        #expect(out.count == 160)
        // One 10 ms frame on its own: 10 bytes, 80 samples.
        var ten: [UInt8] = []
        codec.encode(sine(1000, count: 80), into: &ten)
        #expect(ten.count == 10)
    }

    /// 1 s of a 1 kHz sine at −12 dBFS through encoder and decoder: still 1 kHz (zero
    /// crossings and Goertzel), at a level near the input's (G.729 is not waveform exact).
    @Test func aOneKilohertzToneSurvivesTheRoundTrip() throws {
        let input = sine(1000, count: 8000)
        let (payloads, decoded) = try g729RoundTrip(input)
        #expect(payloads.count == 50 && payloads.allSatisfy { $0.count == 20 })
        #expect(decoded.count == 8000)
        let settled = decoded[800...]   // skip the first 100 ms while the decoder's filters settle
        let f = zeroCrossingFrequency(settled)
        #expect(abs(f - 1000) < 20, "decoded frequency \(f) Hz")
        let inLevel = rms(input), outLevel = rms(Array(settled))
        print("G.729 round trip: \(f) Hz, RMS in \(inLevel), out \(outLevel)")
        #expect(outLevel > inLevel * 0.5 && outLevel < inLevel * 1.5, "RMS in \(inLevel), out \(outLevel)")
        let atTone = goertzel(Array(settled), 1000)
        #expect(atTone > 20 * goertzel(Array(settled), 600) && atTone > 20 * goertzel(Array(settled), 1500))
    }

    /// Annex B SID frames (2 bytes) received are decoded as comfort noise: 160 samples per
    /// 20 ms for a SID-only payload and for a voice frame followed by SID; garbage SID bytes
    /// and an empty payload do not crash.
    @Test func sidFramesAreAcceptedAsComfortNoise() throws {
        let codec = try #require(G729Codec())
        var voice: [UInt8] = []
        codec.encode(sine(1000, count: 160), into: &voice)
        var out: [Int16] = []
        voice.withUnsafeBytes { codec.decode($0, into: &out) }
        #expect(out.count == 160)
        for sid: [UInt8] in [[0x00, 0x00], [0xFF, 0xFF], [0x5A, 0x3C]] {
            out.removeAll()
            sid.withUnsafeBytes { codec.decode($0, into: &out) }
            #expect(out.count == 160, "SID \(sid)")
        }
        out.removeAll()
        (Array(voice[0..<10]) + [0x12, 0x34]).withUnsafeBytes { codec.decode($0, into: &out) }
        #expect(out.count == 160)
        out.removeAll()
        [UInt8]().withUnsafeBytes { codec.decode($0, into: &out) }
        #expect(out.isEmpty)
    }

    /// A lost packet is concealed by frame erasure: 160 samples per 20 ms, continuing the tone
    /// at first rather than dropping to silence, and the stream decodes normally after it.
    @Test func lostPacketsAreConcealed() throws {
        let input = sine(1000, count: 8000)
        let tx = try #require(G729Codec())
        let rx = try #require(G729Codec())
        var decoded: [Int16] = []
        for (i, start) in stride(from: 0, to: input.count, by: 160).enumerated() {
            var p: [UInt8] = []
            tx.encode(Array(input[start..<start + 160]), into: &p)
            let before = decoded.count
            if i % 10 == 5 {
                rx.conceal(into: &decoded)   // every tenth packet lost
            } else {
                p.withUnsafeBytes { rx.decode($0, into: &decoded) }
            }
            #expect(decoded.count - before == 160)
        }
        let firstLoss = Array(decoded[(15 * 160)..<(16 * 160)])   // packet 15 was concealed
        #expect(rms(firstLoss) > 100, "concealment RMS \(rms(firstLoss))")
        let f = zeroCrossingFrequency(decoded[800...])
        #expect(abs(f - 1000) < 40, "frequency with 10 % loss \(f) Hz")
        // Many losses in a row fade out without crashing.
        var tail: [Int16] = []
        for _ in 0..<50 { rx.conceal(into: &tail) }
        #expect(tail.count == 50 * 160)
    }

    @Test func theCodecForAnEncodingName() {
        #expect(AudioCodecs.make(encoding: "G729") is G729Codec)
        #expect((AudioCodecs.make(encoding: "pcma") as? G711Codec)?.law == .alaw)
        #expect((AudioCodecs.make(encoding: "PCMU") as? G711Codec)?.law == .ulaw)
        #expect(AudioCodecs.make(encoding: "opus") == nil)
    }
}
