import CRuntime
import NIOCore
import NIOPosix

extension PhoneLoop {
    /// Makes a NIO event loop Swift concurrency's global executor (what NIO's
    /// `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor` does for its
    /// singleton group, with the delayed jobs of `Task.sleep` added): `globalLoop`, a thread of
    /// its own beside the phone's loop. The daemon's nonisolated async code and default actors
    /// (CLI sessions, command handlers) run there, as they ran on the cooperative pool, so the
    /// blocking work some of them do (flash writes, firmware images) never stalls SIP and RTP.
    ///
    /// Why (issue 16): on Linux, the first job libdispatch runs on one of its default-priority
    /// worker threads starts its worker-pool monitor, a timer on the manager thread that fires
    /// every second for the rest of the process (`_dispatch_workq_init_once` in
    /// swift-corelibs-libdispatch's event/workqueue.c) — the idle daemon's ~60 wake-ups a
    /// minute. With the hooks, no job reaches those threads: what remains of libdispatch is the
    /// manager thread waiting on ServiceLifecycle's signal sources, and the main queue. A
    /// sleeping event loop wakes only for its due timers.
    ///
    /// Call it once, first thing in the daemon's `main`, before any task is created; never in
    /// a test process. Nothing may block `globalLoop` waiting for a task (it is the task's thread).
    /// Returns false when a hook is already set (nothing is changed then).
    @discardableResult
    public static func becomeGlobalExecutor() -> Bool {
        #if compiler(<6.6)
        // The runtime's hook variables (swift/Runtime/Concurrency.h); each takes the job and the
        // original implementation, which is never called here.
        typealias Enqueue = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void
        typealias EnqueueWithDelay = @convention(thin) (
            UInt64, UnownedJob, @convention(thin) (UInt64, UnownedJob) -> Void) -> Void
        typealias EnqueueWithDeadline = @convention(thin) (
            Int64, Int64, Int64, Int64, Int32, UnownedJob,
            @convention(thin) (Int64, Int64, Int64, Int64, Int32, UnownedJob) -> Void) -> Void
        let global = cconcurrency_enqueue_global_hook()
        let delayed = cconcurrency_enqueue_global_with_delay_hook()
        let deadline = cconcurrency_enqueue_global_with_deadline_hook()
        guard global.pointee == nil, delayed.pointee == nil, deadline.pointee == nil else { return false }
        let enqueue: Enqueue = { job, _ in PhoneLoop.enqueue(job, afterNanoseconds: 0) }
        let enqueueWithDelay: EnqueueWithDelay = { delay, job, _ in
            PhoneLoop.enqueue(job, afterNanoseconds: Int64(clamping: delay))
        }
        // The deadline is on the runtime's clock `clock` (continuous or suspending); its own
        // reading of that clock turns it into a delay. The leeway (tsec, tnsec) is not needed.
        let enqueueWithDeadline: EnqueueWithDeadline = { sec, nsec, _, _, clock, job, _ in
            var nowSec: Int64 = 0, nowNsec: Int64 = 0
            swiftGetTime(&nowSec, &nowNsec, clock)
            let (s, overflow) = (sec &- nowSec).multipliedReportingOverflow(by: 1_000_000_000)
            PhoneLoop.enqueue(job, afterNanoseconds: overflow ? (sec > nowSec ? .max : 0) : s &+ (nsec - nowNsec))
        }
        global.pointee = unsafeBitCast(enqueue, to: UnsafeMutableRawPointer.self)
        delayed.pointee = unsafeBitCast(enqueueWithDelay, to: UnsafeMutableRawPointer.self)
        deadline.pointee = unsafeBitCast(enqueueWithDeadline, to: UnsafeMutableRawPointer.self)
        return true
        #else
        return false
        #endif
    }

    /// The loop Swift concurrency's global jobs run on once `becomeGlobalExecutor` is called.
    public static let globalLoop: any EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    /// Runs a global job on `globalLoop`, now or after a delay (a timer of that loop).
    private static func enqueue(_ job: UnownedJob, afterNanoseconds delay: Int64) {
        let loop = globalLoop
        let executor = loop.executor
        if delay <= 0 {
            executor.enqueue(job)
        } else {
            loop.scheduleTask(in: .nanoseconds(delay)) { executor.enqueue(job) }
        }
    }
}

extension PhoneLoop {
    /// One malloc arena for the whole process (glibc's M_ARENA_MAX): glibc reserves 64 MB of
    /// address space for each thread that allocates, most of the daemon's virtual size; the
    /// phone allocates on its one loop anyway. Call it first thing in `main`.
    public static func singleMallocArena() {
        _ = cruntime_single_malloc_arena()
    }

    /// Gives the heap's free pages back to the kernel (glibc's `malloc_trim(0)`): what the boot
    /// allocated and freed. Returns whether any memory was released.
    @discardableResult
    public static func trimHeap() -> Bool {
        cruntime_trim_heap() == 1
    }
}

/// The runtime's reading of its clocks (what `ContinuousClock.now` and `SuspendingClock.now` use).
@_silgen_name("swift_get_time")
private func swiftGetTime(_ seconds: UnsafeMutablePointer<Int64>, _ nanoseconds: UnsafeMutablePointer<Int64>, _ clock: Int32)
