import Foundation
import Testing
import Media

func generate(_ tone: Tone, milliseconds: Int) -> [Int16] {
    var g = ToneGenerator(tone)
    var out: [Int16] = []
    var frame: [Int16] = []
    for _ in 0..<(milliseconds / 20) {
        g.fill(&frame)
        #expect(frame.count == 160)
        out += frame
    }
    return out
}

/// On/off pattern in 10 ms blocks: true where the block has signal.
func cadence(_ x: [Int16]) -> [Bool] {
    stride(from: 0, to: x.count, by: 80).map { rms(Array(x[$0..<min($0 + 80, x.count)])) > 100 }
}

/// Lengths of the runs of equal values: [(on?, blocks)].
func runs(_ c: [Bool]) -> [(Bool, Int)] {
    var out: [(Bool, Int)] = []
    for v in c {
        if let last = out.last, last.0 == v { out[out.count - 1].1 += 1 } else { out.append((v, 1)) }
    }
    return out
}

@Suite struct ToneTests {
    static let probes: [Double] = [350, 440, 480, 620, 697, 770, 852, 941, 1000, 1209, 1336, 1477, 1633]

    /// The frequencies present (Goertzel power well above the others') during the first burst.
    func frequencies(_ x: [Int16]) -> Set<Double> {
        let powers = Self.probes.map { ($0, goertzel(x, $0)) }
        let top = powers.map(\.1).max() ?? 0
        return Set(powers.filter { $0.1 > top / 10 }.map(\.0))
    }

    @Test(arguments: [
        (Tone.dial, [350.0, 440]),
        (Tone.secondaryDial, [350.0, 440]),
        (Tone.ringback, [440.0, 480]),
        (Tone.busy, [480.0, 620]),
        (Tone.reorder, [480.0, 620]),
        (Tone.stutterDial, [350.0, 440]),
        (Tone.callWaiting, [440.0]),
    ] as [(Tone, [Double])])
    func frequenciesOfTheTonePlan(tone: Tone, expected: [Double]) {
        let x = generate(tone, milliseconds: 100)
        #expect(frequencies(x) == Set(expected), "\(tone.name)")
    }

    @Test func levelsInDBm0() {
        // A single 0 dBm0 sine has an RMS of full scale / √2 × 10^(−3.14/20).
        let x = generate(Tone(name: "t", segments: [ToneSegment([1000], level: 0, milliseconds: nil)], repeatFrom: nil), milliseconds: 1000)
        #expect(abs(rms(x) - 32767 / 2.0.squareRoot() * pow(10, -3.14 / 20)) < 50)
        // Dial tone: two components at −13 dBm0 each: the RMS of the sum is √2 × one's.
        let dial = generate(.dial, milliseconds: 1000)
        let one = 32767 / 2.0.squareRoot() * pow(10, (-13 - 3.14) / 20)
        #expect(abs(rms(dial) - one * 2.0.squareRoot()) < 30)
        // Busy at −24 dBm0 is 11 dB below dial tone.
        let busyOn = Array(generate(.busy, milliseconds: 500))
        #expect(abs(20 * log10(rms(dial) / rms(busyOn)) - 11) < 0.3)
    }

    @Test func cadences() {
        // Ring-back: 2 s on, 4 s off, twice.
        #expect(runs(cadence(generate(.ringback, milliseconds: 12000))).map { "\($0.0 ? "on" : "off") \($0.1 * 10)" }
                == ["on 2000", "off 4000", "on 2000", "off 4000"])
        #expect(runs(cadence(generate(.busy, milliseconds: 2000))).map(\.1) == [50, 50, 50, 50])
        #expect(runs(cadence(generate(.reorder, milliseconds: 1000))).map(\.1) == [25, 25, 25, 25])
        // Stutter: ten 100 ms bursts, then steady.
        let stutter = runs(cadence(generate(.stutterDial, milliseconds: 3000)))
        #expect(stutter.count == 21)
        #expect(stutter.dropLast().allSatisfy { $0.1 == 10 })
        #expect(stutter.last.map { $0.0 && $0.1 == 100 } == true)   // steady from 2 s on
        // Call waiting: one 300 ms burst, then nothing.
        #expect(runs(cadence(generate(.callWaiting, milliseconds: 1000))).map { "\($0.0) \($0.1)" } == ["true 30", "false 70"])
        #expect(runs(cadence(generate(.callWaiting4, milliseconds: 1000))).map(\.1) == [10, 10, 30, 10, 10, 30])
        #expect(cadence(generate(.dial, milliseconds: 3000)).allSatisfy { $0 })
        #expect(cadence(generate(Tone.none, milliseconds: 200)).allSatisfy { !$0 })
    }

    /// A dial tone across frame boundaries is one continuous sine pair: no clicks (the
    /// largest step between neighbouring samples stays that of the sine).
    @Test func phaseIsContinuousAcrossFrames() {
        let x = generate(.dial, milliseconds: 200)
        let maxStep = zip(x, x.dropFirst()).map { abs(Int($1) - Int($0)) }.max() ?? 0
        let amplitude = 32767 * pow(10, (-13 - 3.14) / 20)
        #expect(Double(maxStep) < 2 * amplitude * (2 * Double.pi * 440 / 8000) * 1.05)
    }

    @Test func dtmfDigitPairsAndTwist() throws {
        let pairs: [Character: Set<Double>] = ["1": [697, 1209], "5": [770, 1336], "9": [852, 1477], "*": [941, 1209],
                                               "0": [941, 1336], "#": [941, 1477], "A": [697, 1633], "D": [941, 1633]]
        for (key, expected) in pairs {
            let tone = try #require(Tone.dtmf(key))
            let x = generate(tone, milliseconds: 100)
            #expect(frequencies(x) == expected, "\(key)")
            // The high group is 2 dB above the low group.
            let f = expected.sorted()
            #expect(abs(10 * log10(goertzel(x, f[1]) / goertzel(x, f[0])) - 2) < 0.5, "\(key)")
        }
        // 100 ms on, 100 ms off, then done.
        #expect(runs(cadence(generate(Tone.dtmf("5")!, milliseconds: 400))).map { "\($0.0) \($0.1)" } == ["true 10", "false 30"])
        // dtmf_db_level 5 is 6 dB above 3.
        let loud = rms(generate(Tone.dtmf("5", dbLevel: 5)!, milliseconds: 100))
        let nominal = rms(generate(Tone.dtmf("5", dbLevel: 3)!, milliseconds: 100))
        #expect(abs(20 * log10(loud / nominal) - 6) < 0.2)
        #expect(Tone.dtmf("x") == nil)
    }

    @Test func namesOfGuide55() {
        let names = ["Bellcore-Inside", "Bellcore-Outside", "Bellcore-Busy", "Bellcore-Alerting", "Bellcore-BusyVerify",
                     "Bellcore-Stutter", "Bellcore-MsgWaiting", "Bellcore-Reorder", "Bellcore-CallWaiting", "Bellcore-Cw2",
                     "Bellcore-Cw3", "Bellcore-Cw4", "Bellcore-Hold", "Bellcore-Confirmation", "Bellcore-Permanent",
                     "Bellcore-Reminder", "Bellcore-None", "Cisco-ZipZip", "Cisco-Zip", "Cisco-BeepBonk"]
        for n in names { #expect(Tone.named(n) != nil, "\(n)"); #expect(Tone.named(n.uppercased()) == Tone.named(n)) }
        #expect(Tone.named("") == .secondaryDial)
        #expect(Tone.named("Bellcore-Busy") == .busy && Tone.named("bellcore-alerting") == .ringback)
        #expect(Tone.named("Nope") == nil)
    }
}

/// A manual clock instant for the pacer.
struct ManualInstant: InstantProtocol, Sendable {
    var offset: Duration
    func advanced(by d: Duration) -> ManualInstant { ManualInstant(offset: offset + d) }
    func duration(to other: ManualInstant) -> Duration { other.offset - offset }
    static func < (a: ManualInstant, b: ManualInstant) -> Bool { a.offset < b.offset }
}

@Suite struct FramePacerTests {
    let t0 = ManualInstant(offset: .seconds(1000))

    @Test func deadlinesAreStartPlusNTimes20ms() {
        let p = FramePacer(start: t0)
        #expect(p.deadline(0) == t0)
        #expect(p.deadline(1) == t0.advanced(by: .milliseconds(20)))
        #expect(p.deadline(50 * 3600) == t0.advanced(by: .seconds(3600)))   // an hour: exact, no accumulated error
    }

    /// Wake-ups that are always 3 ms late do not push the schedule back.
    @Test func lateWakeUpsDoNotDrift() {
        var p = FramePacer(start: t0)
        var produced: [Int] = []
        var now = t0
        for _ in 0..<1000 {
            now = p.nextDeadline.advanced(by: .milliseconds(3))
            produced += Array(p.due(at: now))
        }
        #expect(produced == Array(0..<1000))
        #expect(p.nextDeadline == t0.advanced(by: .milliseconds(20 * 1000)))
        #expect(p.skipped == 0)
        _ = now
    }

    @Test func earlyWakeUpProducesNothingAndLateOneCatchesUp() {
        var p = FramePacer(start: t0, maximumBacklog: 5)
        #expect(p.due(at: t0.advanced(by: .milliseconds(-1))).isEmpty)
        #expect(p.due(at: t0) == 0..<1)
        #expect(p.due(at: t0.advanced(by: .milliseconds(19))).isEmpty)
        // 65 ms late for frame 1: frames 1, 2, 3, 4 are all due (deadlines 20, 40, 60, 80 ≤ 85).
        #expect(p.due(at: t0.advanced(by: .milliseconds(85))) == 1..<5)
        // A 1 s stall: only the last 5 frames are produced, the rest counted as skipped.
        #expect(p.due(at: t0.advanced(by: .milliseconds(1085))) == 50..<55)
        #expect(p.skipped == 45)
        #expect(p.nextDeadline == t0.advanced(by: .milliseconds(1100)))
    }

    @Test func worksWithTheContinuousClock() {
        let now = ContinuousClock.now
        var p = FramePacer(start: now)
        #expect(p.due(at: now.advanced(by: .milliseconds(45))) == 0..<3)
    }
}
