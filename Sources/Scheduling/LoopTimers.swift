import NIOCore

/// `Timers` on a NIO event loop: what the phone runs. Schedules on the loop it was made for
/// and must be used from that loop.
public final class LoopTimers: Timers {
    private let loop: any EventLoop

    public init(loop: any EventLoop) { self.loop = loop }

    public var now: Duration { .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds)) }

    public func schedule(after delay: Duration, _ fire: @escaping () -> Void) -> TimerHandle {
        let scheduled = loop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.nanoseconds)) { fire() }
        return TimerHandle { scheduled.cancel() }
    }
}
