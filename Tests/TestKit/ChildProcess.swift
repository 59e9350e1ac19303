import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn: a clean signal mask and default dispositions
/// (Foundation's `Process` passes on the test runner's mask, which blocks SIGTERM), standard
/// input from /dev/null, standard output and error to files, descriptors 3 and up closed.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var status: Int32?

    static let sanitizerVariables = ["ASAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "DESKPHONE_SANITIZER"]

    public init(_ path: String, _ arguments: [String], stdout: String = "/dev/null", stderr: String = "/dev/null",
         environment: [String] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Its own process group, so that a peer's workers (Kamailio forks) die with it at exit.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Not the test process's other descriptors: a socket inherited from a concurrently
        // running test would keep that test's port bound. glibc's closefrom action is a GNU
        // extension the Glibc module does not import, so it is looked up at run time.
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw TestFailure("posix_spawn_file_actions_addclosefrom_np is missing (glibc < 2.34)")
        }
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        // The sanitizers' settings go with it (make test-asan / test-tsan): the daemons and
        // fixtures the tests start are sanitized builds too and must run as the suite does.
        let given = Set(environment.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        let sanitizerSettings = ChildProcess.sanitizerVariables.filter { !given.contains($0) }.compactMap { name in
            getenv(name).map { "\(name)=\(String(cString: $0))" }
        }
        let envp: [UnsafeMutablePointer<CChar>?] = (environment + sanitizerSettings).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
        ChildProcess.live.register(pid)
    }

    deinit { _ = terminate() }

    /// Children still running when the test process exits (a test that failed half-way, an
    /// object kept alive to the end) are killed then: no peer outlives the run that started it.
    final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var pids: Set<pid_t> = []
        private var installed = false

        func register(_ pid: pid_t) {
            lock.lock()
            defer { lock.unlock() }
            pids.insert(pid)
            if !installed {
                installed = true
                atexit { ChildProcess.live.killAll() }
            }
        }

        func forget(_ pid: pid_t) {
            lock.lock()
            pids.remove(pid)
            lock.unlock()
        }

        func killAll() {
            lock.lock()
            let all = pids
            pids.removeAll()
            lock.unlock()
            for pid in all { kill(-pid, SIGKILL) }
        }
    }

    static let live = Registry()

    /// The wait status once the child has exited (reaping it), else nil.
    @discardableResult
    public func reap() -> Int32? {
        if let status { return status }
        var s: Int32 = 0
        if waitpid(pid, &s, WNOHANG) == pid {
            status = s
            ChildProcess.live.forget(pid)
        }
        return status
    }

    /// Waits up to `timeout` for the child to exit by itself.
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while reap() == nil && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return status
    }

    /// SIGTERM, then SIGKILL after `grace`; returns the wait status.
    @discardableResult
    public func terminate(grace: Duration = .seconds(3)) -> Int32? {
        guard reap() == nil else { return status }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while reap() == nil && ContinuousClock.now < deadline { usleep(5_000) }
        if status == nil {
            kill(pid, SIGKILL)
            var s: Int32 = 0
            if waitpid(pid, &s, 0) == pid { status = s }
            ChildProcess.live.forget(pid)
        }
        return status
    }

    /// The exit code of a normal exit, nil for a death by signal.
    public static func exitCode(_ status: Int32) -> Int32? {
        (status & 0x7F) == 0 ? (status >> 8) & 0xFF : nil
    }
}
