import Diagnostics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SSHRelay

#if canImport(Glibc)
import Glibc
#endif

/// `deskphone-ssh`, the SSH server as a child process (issue 16: NIOSSH and the Foundation it
/// needs stay out of the daemon): spawned with the control socket as its fd 3, handed the host
/// key, asked about nothing; it asks here at every login (`SSHLogin.decide`) and hands every
/// session over (`RelayedSessions`). One thread of its own reads the control socket, spawns
/// the child and reaps it; a child that dies is logged and started again after a back-off
/// (1 s, doubling up to 30 s; back to 1 s once one ran a minute). `stop` ends it for good.
final class SSHServerProcess: Sendable {
    struct Configuration: Sendable {
        var executable: String
        var host: String
        var port: Int
        var logLevel: Logger.Level
        var hostKey: HostKey
        var login: SSHLogin
        var logger: Logger
    }

    private struct State {
        var pid: pid_t?
        /// The daemon's end of the current child's control socket, and its generation (an
        /// answer delayed by the back-off must not go to the next child's socket).
        var socket: Int32?
        var generation = 0
        var stopped = false
        var restart: Scheduled<Void>?
        var quickDeaths = 0
        var finished = false
    }

    private let configuration: Configuration
    private let sessions: RelayedSessions
    private let eventLoop: any EventLoop
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let state = NIOLockedValueBox(State())
    private let finished: EventLoopPromise<Void>

    init(_ configuration: Configuration, sessions: RelayedSessions, eventLoop: any EventLoop) {
        self.configuration = configuration
        self.sessions = sessions
        self.eventLoop = eventLoop
        self.finished = eventLoop.makePromise()
    }

    func start() {
        thread.start()
        launch()
    }

    /// Stops the child (SIGTERM), waits until it is reaped, ends the sessions.
    func stop() async {
        let (pid, restart) = state.withLockedValue { s in
            s.stopped = true
            return (s.pid, s.restart)
        }
        restart?.cancel()
        if let pid {
            kill(pid, SIGTERM)
            try? await finished.futureResult.get()
        }
        await sessions.closeAll()
        try? await thread.shutdownGracefully()
    }

    /// Before the daemon execs a new image: the child is stopped and reaped (by the thread)
    /// within `timeout`, so that no zombie is left and the port is free for the new image's.
    /// Blocks: the exec follows.
    func stopBeforeExec(timeout: Duration = .seconds(2)) {
        let (pid, restart) = state.withLockedValue { s in
            s.stopped = true
            return (s.pid, s.restart)
        }
        restart?.cancel()
        guard let pid else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while state.withLockedValue({ $0.pid != nil }), ContinuousClock.now < deadline { usleep(5_000) }
    }

    private func launch() {
        thread.submit { [self] availability in
            guard case .active = availability else { return }
            runChild()
        }
    }

    /// One child from spawn to reaping (on the thread).
    private func runChild() {
        let log = configuration.logger
        let startedAt = ContinuousClock.now
        let (pid, socket, generation): (pid_t, Int32, Int)
        do {
            let (p, s) = try spawn()
            guard let g = state.withLockedValue({ st -> Int? in
                guard !st.stopped else { return nil }
                st.generation += 1
                st.pid = p
                st.socket = s
                return st.generation
            }) else {
                kill(p, SIGTERM)
                close(s)
                var status: Int32 = 0
                waitpid(p, &status, 0)
                return finish()
            }
            (pid, socket, generation) = (p, s, g)
        } catch {
            log.error("ssh: cannot start \(configuration.executable): \(error)")
            return scheduleRestart(ranFor: .zero)
        }
        log.info("ssh: \(configuration.executable) started (pid \(pid))")
        let control = ControlSocket(descriptor: socket)
        do {
            try control.send(.hostKey(seed: configuration.hostKey.stored))
            loop: while true {
                switch try control.receive() {
                case .end:
                    break loop
                case .message(let message, let attached):
                    handle(message, attached: attached, generation: generation)
                }
            }
        } catch {
            log.error("ssh: control socket of pid \(pid): \(error); stopping it")
            kill(pid, SIGKILL)
        }
        state.withLockedValue { s in
            close(socket)
            s.socket = nil
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let stopped = state.withLockedValue { s -> Bool in
            s.pid = nil
            return s.stopped
        }
        if stopped {
            log.info("ssh: \(configuration.executable) (pid \(pid)) stopped")
            return finish()
        }
        log.error("ssh: \(configuration.executable) (pid \(pid)) \(Self.describe(status: status))")
        scheduleRestart(ranFor: ContinuousClock.now - startedAt)
    }

    private func handle(_ message: ControlMessage, attached: Int32?, generation: Int) {
        let log = configuration.logger
        switch message {
        case .listening(let address):
            log.info("ssh listening on \(address) (host key \(configuration.hostKey.fingerprint))")
        case .failed(let reason):
            log.error("ssh \(configuration.host):\(configuration.port): \(reason)")
        case .passwordLogin(let id, _, _, _, _), .keyLogin(let id, _, _, _, _):
            let decision = configuration.login.decide(message)
            if decision.delay == .zero {
                answer(id, decision.answer, generation: generation)
            } else {
                let c = decision.delay.components
                eventLoop.scheduleTask(in: .nanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000)) { [self] in
                    answer(id, decision.answer, generation: generation)
                }
            }
        case .session:
            guard let attached else {
                return log.warning("ssh: a session without its socket (ignored)")
            }
            sessions.start(message, descriptor: attached)
        case .hostKey, .loginAnswer:
            log.warning("ssh: unexpected \(message.name) message from deskphone-ssh (ignored)")
        }
        if case .session = message {} else if let attached { close(attached) }
    }

    /// Answers login `id` if the child that asked still runs.
    private func answer(_ id: Int, _ answer: LoginAnswer, generation: Int) {
        state.withLockedValue { s in
            guard s.generation == generation, let socket = s.socket else { return }
            do {
                try ControlSocket(descriptor: socket).send(.loginAnswer(id: id, answer: answer))
            } catch {
                configuration.logger.warning("ssh: login answer: \(error)")
            }
        }
    }

    private func scheduleRestart(ranFor: Duration) {
        let delay = state.withLockedValue { s -> Int64? in
            guard !s.stopped else { return nil }
            // 1, 2, 4 … 30 s while it keeps dying; 1 s again after one that ran a minute.
            s.quickDeaths = ranFor > .seconds(60) ? 1 : s.quickDeaths + 1
            return Self.restartDelay(afterQuickDeaths: s.quickDeaths)
        }
        guard let delay else { return finish() }
        configuration.logger.notice("ssh: restarting \(configuration.executable) in \(delay) s")
        let task = eventLoop.scheduleTask(in: .seconds(delay)) { [self] in
            if state.withLockedValue({ $0.stopped }) { return finish() }
            launch()
        }
        state.withLockedValue { $0.restart = task }
    }

    /// `--listen ADDR:PORT --log-level L`, the control socket's other end as fd 3, the log
    /// (standard error) shared, standard input and output /dev/null, signals unblocked.
    private func spawn() throws(RelayProtocolError) -> (pid_t, Int32) {
        let (mine, theirs) = try ControlSocket.pair()
        // (dup2 onto itself would keep close-on-exec)
        var child = theirs
        if child == 3 {
            child = fcntl(theirs, F_DUPFD_CLOEXEC, 4)
            close(theirs)
        }
        defer { close(child) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, child, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = [configuration.executable]
            + SSHServerCommandLine(host: configuration.host, port: configuration.port, logLevel: configuration.logLevel).arguments
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, configuration.executable, &actions, &attributes, argv, environ)
        guard r == 0 else {
            close(mine)
            throw RelayProtocolError(String(cString: strerror(r)))
        }
        return (pid, mine)
    }

    /// Seconds before the next start after `n` (≥ 1) deaths in a row.
    static func restartDelay(afterQuickDeaths n: Int) -> Int64 {
        min(30, Int64(1) << Int64(min(max(n, 1) - 1, 5)))
    }

    /// The run is over for good (stopped): `stop` may go on.
    private func finish() {
        let first = state.withLockedValue { s -> Bool in
            defer { s.finished = true }
            return !s.finished
        }
        if first { finished.succeed() }
    }

    /// "exited with status 1", "was killed by signal 9 (SIGKILL)".
    static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        let name = signal == SIGKILL ? " (SIGKILL)" : signal == SIGSEGV ? " (SIGSEGV)" : signal == SIGTERM ? " (SIGTERM)" : signal == SIGABRT ? " (SIGABRT)" : ""
        return "was killed by signal \(signal)\(name)"
    }
}
