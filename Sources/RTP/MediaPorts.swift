// The RTP port range (GUIDE §2.2.4 start_media_port…end_media_port, §9.6: even ports, RTCP on
// port + 1). Pure: the socket adapter asks it which ports to try, in turn.

public struct MediaPortRange: Sendable, Hashable {
    /// The first and last even RTP port whose RTCP port (+1) is still within `end`.
    public let first: Int
    public let last: Int
    private var cursor: Int

    /// `start`/`end` as configured (16384, 32766 by default); an odd start is rounded up.
    /// Nil when the range holds no even port with its odd neighbour.
    public init?(start: Int, end: Int, initial: Int? = nil) {
        let f = start + (start & 1)
        let l = min(end, 65535) - 1
        let lastEven = l - (l & 1)
        guard f >= 2, f <= lastEven else { return nil }
        first = f
        last = lastEven
        let i = initial ?? f
        let clamped = min(max(i, f), lastEven)
        cursor = clamped - (clamped - f) % 2
    }

    public var count: Int { (last - first) / 2 + 1 }

    /// Every even port once, starting after the one handed out last, wrapping around; the
    /// range remembers where it stopped so calls do not reuse one port at once.
    public mutating func candidates() -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var p = cursor
        for _ in 0..<count {
            out.append(p)
            p = p + 2 > last ? first : p + 2
        }
        cursor = p
        return out
    }
}
