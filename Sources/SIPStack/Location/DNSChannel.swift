import CAres
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A resolver's one c-ares channel and the thread that drives it.
///
/// c-ares 1.18 channels are not thread-safe, so the channel is touched by one thread only:
/// a worker started when a query is submitted and none runs, which sends every queued query,
/// drives the channel (`ares_getsock` + `poll` + `ares_process_fd`, with a pipe to hear new
/// submissions) and ends when nothing is queued or in flight. The next worker takes over the
/// same channel; the hand-over goes through `state`'s lock. The channel is made on the first
/// query and lives as long as the resolver.
///
/// New servers are applied between queries (`ares_set_servers_ports_csv` refuses while
/// queries are pending in 1.18): queued queries wait for those in flight, then go to the new
/// servers. Back to no servers (resolv.conf) the channel is made afresh, c-ares having no
/// call that restores its defaults.
final class DNSChannel: @unchecked Sendable {
    struct Reply: Sendable {
        /// An `ARES_*` status; NXDOMAIN and NODATA still carry the answer (for its SOA).
        let status: Int32
        let answer: [UInt8]
    }

    struct Counters: Sendable {
        var created = 0
        var sent = 0
    }

    final class Job: @unchecked Sendable {
        let name: String
        let type: Int32
        let done: @Sendable (Reply) -> Void
        unowned let owner: DNSChannel

        init(name: String, type: Int32, owner: DNSChannel, done: @escaping @Sendable (Reply) -> Void) {
            self.name = name
            self.type = type
            self.owner = owner
            self.done = done
        }
    }

    private struct State {
        var servers: [String]
        /// The channel does not have `servers` yet.
        var serversPending = true
        var queued: [Job] = []
        var running = false
        var counters = Counters()
    }

    let timeout: Duration
    let tries: Int
    private let state: NIOLockedValueBox<State>
    /// Written by the worker, read by the submitters; a byte wakes the worker's poll.
    private let wake: (read: Int32, write: Int32)
    // The worker's own (one worker at a time):
    private var channel: ares_channel?
    private var channelServers: [String] = []
    private var usable = false
    private var active = 0

    static let libraryInit: Bool = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS

    init(servers: [String], timeout: Duration, tries: Int) {
        self.timeout = timeout
        self.tries = tries
        state = NIOLockedValueBox(State(servers: servers))
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        wake = (fds[0], fds[1])
    }

    deinit {
        // No worker runs (it holds a reference), so nothing is in flight.
        if let channel { ares_destroy(channel) }
        if wake.read >= 0 { close(wake.read) }
        if wake.write >= 0 { close(wake.write) }
    }

    var servers: [String] { state.withLockedValue { $0.servers } }
    var counters: Counters { state.withLockedValue { $0.counters } }

    /// Returns whether the servers changed.
    func setServers(_ servers: [String]) -> Bool {
        state.withLockedValue { s in
            guard s.servers != servers else { return false }
            s.servers = servers
            s.serversPending = true
            return true
        }
    }

    func query(_ name: String, type: Int32) async -> Reply {
        await withCheckedContinuation { (continuation: CheckedContinuation<Reply, Never>) in
            submit(Job(name: name, type: type, owner: self) { continuation.resume(returning: $0) })
        }
    }

    private func submit(_ job: Job) {
        let startWorker = state.withLockedValue { s in
            s.queued.append(job)
            defer { s.running = true }
            return !s.running
        }
        guard startWorker else {
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
            return
        }
        var tid = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<DNSChannel>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, box)
        if rc == 0 {
            pthread_detach(tid)
        } else {
            Unmanaged<DNSChannel>.fromOpaque(box).release()
            let stranded = state.withLockedValue { s in
                defer { s.queued.removeAll(); s.running = false }
                return s.queued
            }
            for j in stranded { j.done(Reply(status: ARES_ENOMEM, answer: [])) }
        }
    }

    /// The worker: until nothing is queued or in flight.
    private func run() {
        while true {
            let (jobs, servers, exit): ([Job], [String]?, Bool) = state.withLockedValue { s in
                var apply: [String]?
                if s.serversPending, active == 0 {
                    apply = s.servers
                    s.serversPending = false
                }
                // While new servers wait for the queries in flight, new queries wait too.
                let jobs = s.serversPending ? [] : s.queued
                if !s.serversPending { s.queued.removeAll() }
                if jobs.isEmpty, active == 0, apply == nil {
                    s.running = false
                    return ([], nil, true)
                }
                s.counters.sent += jobs.count
                return (jobs, apply, false)
            }
            if exit { return }
            if let servers { usable = prepare(servers) }
            for job in jobs { start(job) }
            if active > 0 { drive() }
        }
    }

    /// Makes the channel when there is none (or when going back to resolv.conf) and gives it
    /// `servers`; false when either fails (the queries then fail until the next servers).
    private func prepare(_ servers: [String]) -> Bool {
        guard Self.libraryInit else { return false }
        if let old = channel, servers.isEmpty, !channelServers.isEmpty {
            ares_destroy(old)
            channel = nil
        }
        if channel == nil {
            var options = ares_options()
            let (seconds, attoseconds) = timeout.components
            options.timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            options.tries = Int32(clamping: tries)
            var made: ares_channel?
            guard ares_init_options(&made, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) == ARES_SUCCESS, let made else {
                return false
            }
            channel = made
            channelServers = []
            state.withLockedValue { $0.counters.created += 1 }
        }
        guard !servers.isEmpty else { return true }
        guard ares_set_servers_ports_csv(channel, servers.joined(separator: ",")) == ARES_SUCCESS else { return false }
        channelServers = servers
        return true
    }

    private func start(_ job: Job) {
        guard let channel, usable else { return job.done(Reply(status: ARES_EBADSTR, answer: [])) }
        active += 1
        ares_query(channel, job.name, 1 /* C_IN */, job.type, { arg, status, _, abuf, alen in
            guard let arg else { return }
            let job = Unmanaged<Job>.fromOpaque(arg).takeRetainedValue()
            job.owner.active -= 1
            let answer = abuf.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(0, alen)))) } ?? []
            job.done(Reply(status: status, answer: answer))
        }, Unmanaged.passRetained(job).toOpaque())
    }

    /// One round of the channel's sockets and time-outs (and the wake pipe).
    private func drive() {
        guard let channel else { return }
        var socks = [ares_socket_t](repeating: -1, count: Int(ARES_GETSOCK_MAXNUM))
        let bits = ares_getsock(channel, &socks, Int32(ARES_GETSOCK_MAXNUM))
        var fds: [pollfd] = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        for i in 0..<Int(ARES_GETSOCK_MAXNUM) {
            let r = cares_readable(bits, Int32(i)) != 0, w = cares_writable(bits, Int32(i)) != 0
            guard r || w else { continue }
            fds.append(pollfd(fd: socks[i], events: Int16((r ? POLLIN : 0) | (w ? POLLOUT : 0)), revents: 0))
        }
        var tv = timeval()
        let next = ares_timeout(channel, nil, &tv)
        let ms = next.map { Int32(clamping: $0.pointee.tv_sec * 1000 + $0.pointee.tv_usec / 1000) } ?? 100
        let n = poll(&fds, nfds_t(fds.count), max(1, ms))
        if fds[0].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            while read(wake.read, &sink, sink.count) > 0 {}
        }
        guard n > 0, fds.dropFirst().contains(where: { $0.revents != 0 }) else {
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)   // time-outs
            return
        }
        for f in fds.dropFirst() where f.revents != 0 {
            let readable = f.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
            let writable = f.revents & Int16(POLLOUT) != 0
            ares_process_fd(channel, readable ? f.fd : ARES_SOCKET_BAD, writable ? f.fd : ARES_SOCKET_BAD)
        }
    }
}
