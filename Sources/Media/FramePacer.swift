// 20 ms frame pacing from a monotonic start: the n-th deadline is start + n × 20 ms, computed,
// never accumulated, so a timer that fires late does not push every later frame back (a
// repeating timer re-armed "20 ms from now" drifts by its latency each time).

/// A pure value driven by the owner's clock readings (any `InstantProtocol` with `Duration`
/// arithmetic: `ContinuousClock.Instant` in the phone, a manual instant in tests).
public struct FramePacer<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    public let start: Instant
    public let interval: Duration
    /// How many frames late the owner may fall before frames are skipped instead of sent in a
    /// burst (after a stall, sending 50 frames at once helps no one).
    public let maximumBacklog: Int
    /// The index of the next frame to produce.
    public private(set) var next: Int = 0
    /// Frames skipped because the owner fell too far behind.
    public private(set) var skipped: Int = 0

    /// The deadline of frame `n`: start + n × interval.
    public func deadline(_ n: Int) -> Instant { start.advanced(by: interval * n) }

    /// When the owner should next wake up (schedule a one-shot timer for this instant):
    /// start + next × interval, kept up to date by `due` (Duration's 128-bit multiply and
    /// divide were a tenth of the media thread's time when computed on every frame; the sum
    /// is exact, so keeping it is the same as computing it).
    public private(set) var nextDeadline: Instant

    public init(start: Instant, interval: Duration = AudioFormat.frameDuration, maximumBacklog: Int = 5) {
        self.start = start
        self.interval = interval
        self.maximumBacklog = maximumBacklog
        self.nextDeadline = start
    }

    /// The frames due at `now`, in order (usually one; more after a late wake-up, up to the
    /// backlog; none when woken early). Each index is consumed once.
    public mutating func due(at now: Instant) -> Range<Int> {
        guard now >= nextDeadline else { return next..<next }
        let following = nextDeadline.advanced(by: interval)
        if now < following {
            // On time: this one frame.
            defer {
                next += 1
                nextDeadline = following
            }
            return next..<(next + 1)
        }
        // The last frame whose deadline has passed.
        let elapsed = start.duration(to: now)
        let last = Int(elapsed / interval)
        var first = next
        if last - first + 1 > maximumBacklog {
            skipped += last - maximumBacklog + 1 - first
            first = last - maximumBacklog + 1
        }
        next = last + 1
        nextDeadline = deadline(next)
        return first..<(last + 1)
    }
}

extension FramePacer where Instant == ContinuousClock.Instant {
    /// The frames due now on the monotonic clock. Compiled here for the concrete instant: the
    /// generic `due(at:)` called from another module runs unspecialized, with a generic metadata
    /// lookup and protocol-witness arithmetic on every frame.
    public mutating func dueNow() -> Range<Int> { due(at: .now) }
}
