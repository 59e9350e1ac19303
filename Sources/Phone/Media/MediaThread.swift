#if canImport(Glibc)
import Glibc
#endif
import Logging
import Media
import RTP

/// The phone's media thread: every call's RTP and the audio device, on a thread of their own
/// so that the 20 ms send interval holds while the phone's loop is busy with SIP, the CLI or a
/// TFTP transfer (the calls benchmark measured a p99 send gap of 23.7 ms with media on that
/// loop). While the 20 ms clock runs it wakes once per frame: it sleeps to the frame's
/// deadline, reads every call's sockets (the kernel stamps each datagram's arrival, so RFC
/// 3550's jitter is the wire's, not the frame's) and runs the frame — one wake-up where a
/// thread that also woke for each datagram took two or three, which was most of its CPU. With
/// no tone and no call it has no deadline and sleeps in `poll` until woken.
///
/// The phone's loop changes `MediaCore` under its lock; the thread sees a change at its next
/// frame (within 20 ms) or, when its clock is stopped, when `wake()` is called (the clock
/// started, a channel added or removed, shutdown).
final class MediaThread: @unchecked Sendable {
    private let core: MediaCore
    /// A socket pair: the loop writes a byte to `wakeWrite`, the thread polls `wakeRead`.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var thread: pthread_t?
    private let log = Logger.category(.rtp)

    init(core: MediaCore) throws(MediaEngineError) {
        self.core = core
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .thread(errno: errno)
        }
        wakeRead = pair[0]
        wakeWrite = pair[1]
    }

    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    func start() throws(MediaEngineError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        let status = pthread_create(&t, nil, { raw in
            guard let raw else { return nil }
            let me = Unmanaged<MediaThread>.fromOpaque(raw).takeRetainedValue()
            MediaThread.nameThisThread("deskphone-media")
            me.raisePriority()
            me.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<MediaThread>.fromOpaque(context).release()
            throw .thread(errno: status)
        }
        thread = t
    }

    /// Interrupts the thread's sleep (it rereads the core).
    func wake() {
        var byte: UInt8 = 1
        _ = send(wakeWrite, &byte, 1, Int32(MSG_DONTWAIT))
    }

    /// Stops the thread and waits for it (shutdown); the core's sockets are closed.
    func stop() {
        core.lock.withLock { core.stopping = true }
        wake()
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    /// The real-time priority the thread asks for: SCHED_FIFO 5, the level rtkit grants
    /// PulseAudio's and PipeWire's audio threads. It needs RLIMIT_RTPRIO ≥ 5 (the .deb's unit
    /// sets LimitRTPRIO=5) or CAP_SYS_NICE; without either the thread keeps the normal policy
    /// and says so. With it, the 20 ms send interval holds while the CLI and SIP keep both
    /// cores busy (the calls benchmark's busy-CLI run). The thread sleeps every frame, and the
    /// kernel's RT throttling keeps 5 % of each second for other tasks in any case.
    static let realtimePriority: Int32 = 5

    private func raisePriority() {
        var parameter = sched_param()
        parameter.sched_priority = Self.realtimePriority
        let status = pthread_setschedparam(pthread_self(), Int32(SCHED_FIFO), &parameter)
        if status == 0 {
            log.info("media thread: real-time priority \(Self.realtimePriority) (SCHED_FIFO)")
        } else {
            log.info("media thread: normal priority (SCHED_FIFO \(Self.realtimePriority) refused: \(String(cString: strerror(status))); LimitRTPRIO or CAP_SYS_NICE allow it)")
        }
    }

    /// The name `top -H` and `ps -L` show (pthread_setname_np is not in Swift's Glibc).
    static func nameThisThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = name.withCString { write(fd, $0, strlen($0)) }
        Glibc.close(fd)
    }

    private func run() {
        var fds: [pollfd] = []
        var owners: [(channel: MediaChannel, kind: RTPSocketPair.Kind)] = []
        var built = -1
        let batch = RTPReceiveBatch()
        var wakeBytes = [UInt8](repeating: 0, count: 64)
        var frames = 0
        /// Reads the sockets `owners[i]` for which `include(i)` (the core's lock held; no array
        /// is made per frame).
        func drain(_ include: (Int) -> Bool) {
            let now = core.now
            var realNow = timespec()
            clock_gettime(CLOCK_REALTIME, &realNow)
            let heard = core.digitHeard
            for i in owners.indices where include(i) { owners[i].channel.drain(owners[i].kind, batch: batch, now: now, realNow: realNow, digit: heard) }
        }
        while true {
            // What to watch and until when, from the core.
            let deadline: ContinuousClock.Instant? = core.lock.withLock {
                for socket in core.closing { socket.close() }
                core.closing.removeAll(keepingCapacity: true)
                if core.stopping {
                    for channel in core.channels { channel.socket.close() }
                    return nil
                }
                if core.generation != built {
                    built = core.generation
                    fds.removeAll(keepingCapacity: true)
                    owners.removeAll(keepingCapacity: true)
                    fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
                    for channel in core.channels where !channel.closed {
                        fds.append(pollfd(fd: channel.socket.rtpDescriptor, events: Int16(POLLIN), revents: 0))
                        owners.append((channel, .rtp))
                        fds.append(pollfd(fd: channel.socket.rtcpDescriptor, events: Int16(POLLIN), revents: 0))
                        owners.append((channel, .rtcp))
                    }
                }
                return core.pacer?.nextDeadline
            }
            if core.lock.withLock({ core.stopping }) { return }
            if let deadline {
                // The clock runs: one wake-up per frame. Sleep to the deadline, then read
                // every socket (the kernel stamped each datagram's arrival) and run the frame.
                let wait = ContinuousClock.now.duration(to: deadline)
                if wait > .zero {
                    var rest = timespec(tv_sec: Int(wait.components.seconds), tv_nsec: Int(wait.components.attoseconds / 1_000_000_000))
                    _ = nanosleep(&rest, nil)
                }
                // RTCP (a report every 5 s) is read every tenth frame: a system call saved on
                // the other nine, and its arrival time is the kernel's anyway.
                frames &+= 1
                let readRTCP = frames % 10 == 0
                core.lock.withLock {
                    drain { owners[$0].kind == .rtp || readRTCP }
                    core.tick()
                }
                continue
            }
            // No clock: sleep until woken (the clock starts, a channel comes or goes) or a
            // datagram arrives for a stream not started yet (read, and dropped by its session).
            for i in fds.indices { fds[i].revents = 0 }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0, errno != EINTR {
                log.error("media thread: poll: \(String(cString: strerror(errno)))")
            }
            if ready > 0 {
                if fds[0].revents != 0 {
                    while wakeBytes.withUnsafeMutableBytes({ recv(wakeRead, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
                }
                core.lock.withLock { drain { fds[$0 + 1].revents != 0 } }
            }
        }
    }
}
