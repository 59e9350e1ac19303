import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends datagrams (or anything) on a steady schedule from a thread of its own: slot n goes
/// out at start + n × interval (absolute deadlines, so a late wake-up does not push the rest
/// back). The thread asks for SCHED_FIFO like the phone's media thread, so that the suite's
/// own load (158 suites on 2 cores) does not make the test's far end the jittery party; where
/// that is refused it runs at normal priority.
public enum SteadySender {
    public static func run<Slot: Sendable>(_ slots: [Slot], every interval: Duration, _ send: @escaping @Sendable (Slot) -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                var parameter = sched_param()
                parameter.sched_priority = 5
                _ = pthread_setschedparam(pthread_self(), Int32(SCHED_FIFO), &parameter)
                let start = ContinuousClock.now
                for (i, slot) in slots.enumerated() {
                    let wait = ContinuousClock.now.duration(to: start + interval * i)
                    if wait > .zero {
                        var ts = timespec(tv_sec: Int(wait.components.seconds), tv_nsec: Int(wait.components.attoseconds / 1_000_000_000))
                        nanosleep(&ts, nil)
                    }
                    send(slot)
                }
                done.resume()
            }.start()
        }
    }
}
