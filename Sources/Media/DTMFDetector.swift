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
    /// Goertzel's 2·cos(2πf/8000) of each, computed once (not eight cosines per frame).
    static let rowCoefficients = rows.map { 2 * cos(2 * Double.pi * $0 / 8000) }
    static let columnCoefficients = columns.map { 2 * cos(2 * Double.pi * $0 / 8000) }
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

    /// The key whose two tones dominate `frame`, if one does.
    static func detect(_ frame: [Int16]) -> Character? {
        guard !frame.isEmpty else { return nil }
        let r = rowCoefficients.map { goertzel(frame, coefficient: $0) }
        let c = columnCoefficients.map { goertzel(frame, coefficient: $0) }
        guard let (ri, rp) = r.enumerated().max(by: { $0.element < $1.element }).map({ ($0.offset, $0.element) }),
              let (ci, cp) = c.enumerated().max(by: { $0.element < $1.element }).map({ ($0.offset, $0.element) }),
              rp > minimumPower, cp > minimumPower,
              rp < cp * maximumTwist, cp < rp * maximumTwist else { return nil }
        for (i, p) in r.enumerated() where i != ri && p * relativePeak > rp { return nil }
        for (i, p) in c.enumerated() where i != ci && p * relativePeak > cp { return nil }
        // The two tones must be most of the signal (no speech or music around them).
        let energy = frame.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(frame.count)
        guard (rp + cp) * 2 > energy * 0.5 else { return nil }
        return keys[ri][ci]
    }

    /// Power of `frequency` in `frame`, per sample (A²/4 for a sine of amplitude A).
    static func goertzel(_ frame: [Int16], _ frequency: Double) -> Double {
        goertzel(frame, coefficient: 2 * cos(2 * Double.pi * frequency / 8000))
    }

    static func goertzel(_ frame: [Int16], coefficient: Double) -> Double {
        var s1 = 0.0, s2 = 0.0
        for x in frame {
            let s0 = Double(x) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let n = Double(frame.count)
        return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n)
    }
}
