#if canImport(Glibc)
import Glibc
#endif

/// In-band DTMF detection (ITU-T Q.23 frequencies, Q.24-style checks) by the Goertzel
/// algorithm on each 20 ms frame at 8 kHz: digits that arrive as tones are reported like
/// RFC 4733 events, once per key press.
///
/// Why by hand and not spandsp: eight Goertzel filters and the acceptance rules are about a
/// hundred lines, need no extra library in the daemon (spandsp pulls in libtiff) and are
/// fully testable here; spandsp's detector is better at rejecting speech, which a desk
/// phone's far end rarely plays as DTMF.
public struct DTMFDetector: Sendable {
    static let rows: [Double] = [697, 770, 852, 941]
    static let columns: [Double] = [1209, 1336, 1477, 1633]
    /// Goertzel's 2·cos(2πf/8000) of the four rows (lanes 0–3) and four columns (lanes 4–7),
    /// computed once: the eight filters run side by side in one pass over the frame.
    static let coefficients = SIMD8<Double>((rows + columns).map { 2 * cos(2 * Double.pi * $0 / 8000) })
    static let keys: [[Character]] = [["1", "2", "3", "A"], ["4", "5", "6", "B"], ["7", "8", "9", "C"], ["*", "0", "#", "D"]]
    /// The weakest tone accepted: about -30 dBm0 per tone (Goertzel power per sample, A²/4).
    static let minimumPower = 2.5e4
    /// Twist: row and column within 8 dB of each other (Q.24 allows 4–8 dB).
    static let maximumTwist = 6.3
    /// Every other row or column at least 8 dB below the chosen one.
    static let relativePeak = 6.3

    private var candidate: Character?
    private var runs = 0
    private var reported: Character?

    public init() {}

    /// The digit that began in this frame, if any: a key is reported after two frames in a row
    /// (40 ms, Q.24's minimum) and not again until a frame without it.
    public mutating func process(_ frame: [Int16]) -> Character? {
        let key = Self.detect(frame)
        defer { candidate = key }
        guard let key else {
            runs = 0
            reported = nil
            return nil
        }
        runs = key == candidate ? runs + 1 : 1
        guard runs >= 2, reported != key else { return nil }
        reported = key
        return key
    }

    /// The key whose two tones dominate `frame`, if one does. It runs on every frame a call
    /// receives, so it makes no array: the filters' state and powers are SIMD lanes.
    static func detect(_ frame: [Int16]) -> Character? {
        guard !frame.isEmpty else { return nil }
        let (power, energy) = powers(frame)
        var ri = 0, ci = 4
        for i in 1..<4 where power[i] > power[ri] { ri = i }
        for i in 5..<8 where power[i] > power[ci] { ci = i }
        let rp = power[ri], cp = power[ci]
        guard rp > minimumPower, cp > minimumPower, rp < cp * maximumTwist, cp < rp * maximumTwist else { return nil }
        for i in 0..<4 where i != ri && power[i] * relativePeak > rp { return nil }
        for i in 4..<8 where i != ci && power[i] * relativePeak > cp { return nil }
        // The two tones must be most of the signal (no speech or music around them).
        guard (rp + cp) * 2 > energy * 0.5 else { return nil }
        return keys[ri][ci - 4]
    }

    /// The power of each of the eight frequencies in `frame` (Goertzel, per sample: A²/4 for a
    /// sine of amplitude A), and the frame's mean power.
    static func powers(_ frame: [Int16]) -> (SIMD8<Double>, Double) {
        let c = coefficients
        var s1 = SIMD8<Double>(), s2 = SIMD8<Double>()
        var energy = 0.0
        for x in frame {
            let v = Double(x)
            let s0 = c * s1 - s2 + v
            s2 = s1
            s1 = s0
            energy += v * v
        }
        let n = Double(frame.count)
        return ((s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n), energy / n)
    }
}
