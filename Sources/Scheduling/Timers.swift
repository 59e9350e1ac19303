/// The one clock protocol every protocol timer is scheduled through (ARCHITECTURE.md, "An
/// injected clock"): SIP T1/T2 and timers A–M, registration refreshes and retries. The event
/// loop implements it in the phone (`LoopTimers`); tests drive `ManualTimers` and run a
/// 32-second transaction time-out in microseconds.
///
/// Timers are used on the phone's loop only, so the protocol is neither isolated nor Sendable:
/// its users are `@PhoneLoop` classes (or a test that owns the manual clock).
public protocol Timers: AnyObject {
    /// Monotonic time since an arbitrary origin.
    var now: Duration { get }
    /// Runs `fire` once after `delay` unless the handle is cancelled first.
    func schedule(after delay: Duration, _ fire: @escaping () -> Void) -> TimerHandle
}

/// A scheduled timer; cancelling an expired or cancelled one does nothing.
public struct TimerHandle {
    private let cancelAction: () -> Void
    public init(cancel: @escaping () -> Void) { cancelAction = cancel }
    public func cancel() { cancelAction() }
}

extension Duration {
    /// Whole nanoseconds (negative durations count as zero).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
