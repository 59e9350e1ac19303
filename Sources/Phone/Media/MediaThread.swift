#if canImport(Glibc)
import Glibc
#endif
import Logging
import Media
import RTP

/// The phone's media thread: every call's RTP and the audio device, on a thread of their own
/// so that the 20 ms send interval holds while the phone's loop is busy with SIP, the CLI or a
/// TFTP transfer (the calls benchmark measured a p99 send gap of 23.7 ms with media on that
/// loop). It sleeps in `poll` on the calls' sockets until the next frame's deadline (the
/// last fraction of a millisecond in `nanosleep`, so a frame is not up to 1 ms late), reads
/// what arrived, then produces the frames due. With no tone and no call it has no deadline
/// and sleeps until woken (a socket pair's datagram wakes it only to be read).
///
/// The phone's loop changes `MediaCore` under its lock, then calls `wake()` when the thread
/// must see the change before its next deadline (the clock started, a channel added or removed,
/// shutdown).
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
        let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { receiveBuffer.deallocate() }
        var wakeBytes = [UInt8](repeating: 0, count: 64)
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
            for i in fds.indices { fds[i].revents = 0 }
            let ready: Int32
            if let deadline {
                let wait = max(.zero, ContinuousClock.now.duration(to: deadline))
                if wait >= .milliseconds(1) {
                    // poll's whole milliseconds, rounded down: it wakes up to 1 ms early and
                    // the next turn sleeps the rest.
                    ready = poll(&fds, nfds_t(fds.count), Int32(wait / .milliseconds(1)))
                } else {
                    // The last fraction of a millisecond: a sleep as exact as the kernel's
                    // timer slack (ppoll, which takes nanoseconds, is not in Swift's Glibc).
                    var rest = timespec(tv_sec: 0, tv_nsec: Int(wait.components.attoseconds / 1_000_000_000))
                    if rest.tv_nsec > 0 { _ = nanosleep(&rest, nil) }
                    ready = poll(&fds, nfds_t(fds.count), 0)
                }
            } else {
                ready = poll(&fds, nfds_t(fds.count), -1)
            }
            if ready < 0, errno != EINTR {
                log.error("media thread: poll: \(String(cString: strerror(errno)))")
            }
            if ready > 0 {
                if fds[0].revents != 0 {
                    while wakeBytes.withUnsafeMutableBytes({ recv(wakeRead, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
                }
                core.lock.withLock {
                    let now = core.now
                    let heard = core.digitHeard
                    for i in 1..<fds.count where fds[i].revents != 0 {
                        let owner = owners[i - 1]
                        owner.channel.drain(owner.kind, buffer: receiveBuffer, now: now, digit: heard)
                    }
                }
            }
            core.lock.withLock { core.tick() }
        }
    }
}
