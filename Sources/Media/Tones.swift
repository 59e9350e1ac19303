// Call-progress and feature tones as a pure generator: a tone is a list of segments (a set
// of frequencies at a level for a duration, or silence) that repeats from a given segment.
//
// Values. GUIDE §5.5 names the tones (Bellcore-* after GR-506-CORE, Cisco-*) but gives no
// frequencies, levels or cadences, so every value here is the North American precise tone
// plan (ANSI T1.401 / Bellcore GR-506-CORE, as the guide's naming points to):
//   dial                 350+440 Hz   −13 dBm0 each   continuous
//   secondary (outside)  350+440 Hz   −13 dBm0        continuous (the plan has no separate one)
//   ring-back (audible)  440+480 Hz   −19 dBm0        2 s on, 4 s off
//   busy                 480+620 Hz   −24 dBm0        0.5 s on, 0.5 s off
//   reorder              480+620 Hz   −24 dBm0        0.25 s on, 0.25 s off
//   stutter / msg waiting 350+440 Hz  −13 dBm0        10 × (0.1 s on, 0.1 s off), then steady
//   confirmation         350+440 Hz   −13 dBm0        3 × (0.1 s on, 0.1 s off), once
//   call waiting 1–4     440 Hz       −13 dBm0        0.3 s; 2×0.1 s; 3×0.1 s; 0.1-0.3-0.1 s
//                                                     (bursts 0.1 s apart), once per alert
//   busy verification    440 Hz       −13 dBm0        1.5 s, then 0.3 s every 8 s
//   permanent (ROH)      1400+2060+2450+2600 Hz −13   0.1 s on, 0.1 s off
//   hold / reminder      440 Hz / 350+440 Hz −13      one 0.1 s beep (hold repeats every 10 s)
// Cisco-Zip (one 0.1 s 480 Hz beep), Cisco-ZipZip (two) and Cisco-BeepBonk (a 1 kHz then a
// 500 Hz 0.1 s beep) are not in the plan: the values are guesses, marked as such in `Tone`.
// In-band DTMF: the Q.23 row/column pairs at −10 dBm0 (low group) and −8 dBm0 (high group)
// for `dtmf_db_level` 3, moved by −6/−3/0/+3/+6 dB for levels 1–5; 100 ms on, 100 ms off.

#if canImport(Glibc)
import Glibc
#endif

public struct ToneSegment: Sendable, Hashable {
    public var frequencies: [Double]
    /// dBm0 of each frequency component.
    public var level: Double
    /// Milliseconds; nil: forever.
    public var milliseconds: Int?
    /// dB by which the components after the first are louder (DTMF's high group: +2 dB).
    public var twist: Double = 0

    public init(_ frequencies: [Double], level: Double, milliseconds: Int?) {
        self.frequencies = frequencies
        self.level = level
        self.milliseconds = milliseconds
    }

    public static func silence(_ ms: Int?) -> ToneSegment { ToneSegment([], level: -100, milliseconds: ms) }
}

public struct Tone: Sendable, Hashable {
    public var name: String
    public var segments: [ToneSegment]
    /// Where to go after the last segment; nil: the tone ends (then silence).
    public var repeatFrom: Int?

    public init(name: String, segments: [ToneSegment], repeatFrom: Int?) {
        self.name = name
        self.segments = segments
        self.repeatFrom = repeatFrom
    }

    static func on(_ f: [Double], _ level: Double, _ ms: Int?) -> ToneSegment { ToneSegment(f, level: level, milliseconds: ms) }

    public static let dial = Tone(name: "dial", segments: [on([350, 440], -13, nil)], repeatFrom: nil)
    public static let secondaryDial = Tone(name: "secondary dial", segments: [on([350, 440], -13, nil)], repeatFrom: nil)
    public static let ringback = Tone(name: "ring-back", segments: [on([440, 480], -19, 2000), .silence(4000)], repeatFrom: 0)
    public static let busy = Tone(name: "busy", segments: [on([480, 620], -24, 500), .silence(500)], repeatFrom: 0)
    public static let reorder = Tone(name: "reorder", segments: [on([480, 620], -24, 250), .silence(250)], repeatFrom: 0)
    public static let stutterDial = Tone(
        name: "stutter dial",
        segments: Array(repeating: [on([350, 440], -13, 100), .silence(100)], count: 10).flatMap { $0 } + [on([350, 440], -13, nil)],
        repeatFrom: nil)
    public static let messageWaiting = Tone(name: "message waiting", segments: stutterDial.segments, repeatFrom: nil)
    public static let confirmation = Tone(
        name: "confirmation", segments: Array(repeating: [on([350, 440], -13, 100), .silence(100)], count: 3).flatMap { $0 }, repeatFrom: nil)
    public static let callWaiting = Tone(name: "call waiting", segments: [on([440], -13, 300)], repeatFrom: nil)
    public static let callWaiting2 = Tone(name: "call waiting 2", segments: [on([440], -13, 100), .silence(100), on([440], -13, 100)], repeatFrom: nil)
    public static let callWaiting3 = Tone(
        name: "call waiting 3",
        segments: [on([440], -13, 100), .silence(100), on([440], -13, 100), .silence(100), on([440], -13, 100)], repeatFrom: nil)
    public static let callWaiting4 = Tone(
        name: "call waiting 4",
        segments: [on([440], -13, 100), .silence(100), on([440], -13, 300), .silence(100), on([440], -13, 100)], repeatFrom: nil)
    public static let busyVerify = Tone(name: "busy verify", segments: [on([440], -13, 1500), .silence(8000), on([440], -13, 300)], repeatFrom: 1)
    public static let permanent = Tone(name: "permanent", segments: [on([1400, 2060, 2450, 2600], -13, 100), .silence(100)], repeatFrom: 0)
    public static let hold = Tone(name: "hold", segments: [on([440], -13, 100), .silence(10_000)], repeatFrom: 0)
    public static let reminder = Tone(name: "reminder", segments: [on([350, 440], -13, 100)], repeatFrom: nil)
    /// Guessed (not in the tone plan): one short 480 Hz beep.
    public static let zip = Tone(name: "zip", segments: [on([480], -13, 100)], repeatFrom: nil)
    /// Guessed: two short 480 Hz beeps.
    public static let zipZip = Tone(name: "zip zip", segments: [on([480], -13, 100), .silence(100), on([480], -13, 100)], repeatFrom: nil)
    /// Guessed: a 1 kHz beep, then a 500 Hz one.
    public static let beepBonk = Tone(name: "beep bonk", segments: [on([1000], -13, 100), on([500], -13, 100)], repeatFrom: nil)
    public static let none = Tone(name: "none", segments: [], repeatFrom: nil)
    /// The ringer's built-in ring (GUIDE.md §8.1 names Chirp1 and Chirp2 without describing
    /// them; this warble and its cadence are guessed, (unverified)): 1 s of 1 kHz and 1.33 kHz
    /// alternating every 50 ms, then 2 s of silence.
    public static let ring = Tone(name: "ring",
                                  segments: (0..<20).map { on([$0 % 2 == 0 ? 1000 : 1333], -10, 50) } + [.silence(2000)],
                                  repeatFrom: 0)

    /// The tone a dial plan's `Tone=` names (GUIDE §5.5, case-insensitive; "" = the default,
    /// the secondary dial tone's place in a dial plan).
    public static func named(_ name: String) -> Tone? {
        switch name.lowercased() {
        case "", "bellcore-outside": .secondaryDial
        case "bellcore-inside": .dial
        case "bellcore-busy": .busy
        case "bellcore-alerting": .ringback
        case "bellcore-busyverify": .busyVerify
        case "bellcore-stutter": .stutterDial
        case "bellcore-msgwaiting": .messageWaiting
        case "bellcore-reorder": .reorder
        case "bellcore-callwaiting": .callWaiting
        case "bellcore-cw2": .callWaiting2
        case "bellcore-cw3": .callWaiting3
        case "bellcore-cw4": .callWaiting4
        case "bellcore-hold": .hold
        case "bellcore-confirmation": .confirmation
        case "bellcore-permanent": .permanent
        case "bellcore-reminder": .reminder
        case "bellcore-none": Tone.none
        case "cisco-zipzip": .zipZip
        case "cisco-zip": .zip
        case "cisco-beepbonk": .beepBonk
        default: nil
        }
    }

    /// In-band DTMF for a keypad character (Q.23), `dbLevel` = `dtmf_db_level` 1–5.
    public static func dtmf(_ key: Character, dbLevel: Int = 3, milliseconds: Int = 100) -> Tone? {
        let rows: [Character: Double] = ["1": 697, "2": 697, "3": 697, "A": 697, "4": 770, "5": 770, "6": 770, "B": 770,
                                         "7": 852, "8": 852, "9": 852, "C": 852, "*": 941, "0": 941, "#": 941, "D": 941]
        let columns: [Character: Double] = ["1": 1209, "4": 1209, "7": 1209, "*": 1209, "2": 1336, "5": 1336, "8": 1336, "0": 1336,
                                            "3": 1477, "6": 1477, "9": 1477, "#": 1477, "A": 1633, "B": 1633, "C": 1633, "D": 1633]
        let k = Character(key.uppercased())
        guard let low = rows[k], let high = columns[k] else { return nil }
        let shift = Double([-6, -3, 0, 3, 6][min(max(dbLevel, 1), 5) - 1])
        // The high group 2 dB above the low group.
        var segment = on([low, high], -10 + shift, milliseconds)
        segment.twist = 2
        return Tone(name: "DTMF \(k)", segments: [segment, .silence(100)], repeatFrom: nil)
    }
}

/// Produces a tone's samples frame by frame (8 kHz), continuous in phase across frames.
public struct ToneGenerator: Sendable {
    public let tone: Tone
    private var segment = 0
    private var sampleInSegment = 0
    private var phases: [Double] = []
    public private(set) var finished = false

    public init(_ tone: Tone) {
        self.tone = tone
        finished = tone.segments.isEmpty
    }

    /// The amplitude of a sine at `dBm0`: +3.14 dBm0 is full scale for 16-bit linear (the
    /// G.711 digital milliwatt convention, G.711 Table 5/6's 0 dBm0 sequence).
    public static func amplitude(dBm0: Double) -> Double { 32767 * pow(10, (dBm0 - 3.14) / 20) }

    /// The next `count` samples (a 20 ms frame by default), replacing `frame`'s contents.
    public mutating func fill(_ frame: inout [Int16], count: Int = AudioFormat.frameSamples) {
        frame.removeAll(keepingCapacity: true)
        var produced = 0
        while produced < count {
            guard !finished else {
                frame.append(contentsOf: repeatElement(0, count: count - produced))
                return
            }
            let s = tone.segments[segment]
            let remaining = s.milliseconds.map { $0 * AudioFormat.sampleRate / 1000 - sampleInSegment } ?? (count - produced)
            let n = min(count - produced, remaining)
            if phases.count != s.frequencies.count { phases = Array(repeating: 0, count: s.frequencies.count) }
            if s.frequencies.isEmpty {
                frame.append(contentsOf: repeatElement(0, count: n))
            } else {
                var amplitudes = [Double](repeating: Self.amplitude(dBm0: s.level), count: s.frequencies.count)
                for i in 1..<max(1, amplitudes.count) { amplitudes[i] *= pow(10, s.twist / 20) }
                let steps = s.frequencies.map { 2 * Double.pi * $0 / Double(AudioFormat.sampleRate) }
                for _ in 0..<n {
                    var v = 0.0
                    for i in 0..<steps.count {
                        v += amplitudes[i] * sin(phases[i])
                        phases[i] += steps[i]
                        if phases[i] > 2 * Double.pi { phases[i] -= 2 * Double.pi }
                    }
                    frame.append(Int16(max(-32768, min(32767, v.rounded()))))
                }
            }
            produced += n
            sampleInSegment += n
            if let ms = s.milliseconds, sampleInSegment >= ms * AudioFormat.sampleRate / 1000 {
                sampleInSegment = 0
                if segment + 1 < tone.segments.count {
                    segment += 1
                } else if let r = tone.repeatFrom {
                    segment = r
                } else {
                    finished = true
                }
                phases = []
            }
        }
    }
}
