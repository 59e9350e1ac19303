import Foundation
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A tftpd-hpa started by a test on 127.0.0.1 and a free high port, serving a temporary folder
/// (Tests against a real peer, ARCHITECTURE.md). Stop it with `stop()`; it is also stopped
/// when the value goes away.
final class TFTPServerProcess: @unchecked Sendable {
    static let executable = "/usr/sbin/in.tftpd"

    let directory: URL
    let port: Int
    let pid: pid_t
    private var exitStatus: Int32?
    private var stopped = false

    var address: SocketAddress {
        get throws { try SocketAddress(ipAddress: "127.0.0.1", port: port) }
    }

    /// Writes `files` (world-readable: the server drops to user `tftp`) and starts the server.
    /// Fails the test when in.tftpd is not installed.
    static func start(files: [String: [UInt8]]) async throws -> TFTPServerProcess {
        try #require(
            FileManager.default.isExecutableFile(atPath: executable),
            "tftpd-hpa is not installed (\(executable) missing): run scripts/install-deps.sh test")
        let fm = FileManager.default
        let directory = fm.temporaryDirectory.appendingPathComponent("tftp-test-\(UUID().uuidString)")
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        for (name, bytes) in files {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        }

        let port = try await freeUDPPort()
        let pid = try spawn(executable, [
            "-L", "-a", "127.0.0.1:\(port)", "-s", directory.path, "-u", "tftp", "-B", "65464",
        ])
        let server = TFTPServerProcess(directory: directory, port: port, pid: pid)

        // Ready when its socket shows up in /proc/net/udp (15-80 ms in practice).
        let deadline = ContinuousClock.now + .seconds(5)
        while !isBound(port: port) {
            if let status = server.reap() {
                server.stop()
                throw ServerError.exited(status: status)
            }
            guard ContinuousClock.now < deadline else {
                server.stop()
                throw ServerError.notReady(port: port)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return server
    }

    private init(directory: URL, port: Int, pid: pid_t) {
        self.directory = directory
        self.port = port
        self.pid = pid
    }

    deinit { stop() }

    /// Stops the server by its pid (SIGTERM, then SIGKILL after 2 s), reaps it, and removes its
    /// folder.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if exitStatus == nil {
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(2)
            while reap() == nil && ContinuousClock.now < deadline { usleep(5_000) }
            if exitStatus == nil {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The child's wait status once it has exited (reaping it), else nil.
    @discardableResult
    private func reap() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        return exitStatus
    }

    /// Starts `path` with `arguments`, stdin and stdout on /dev/null, and a clean signal state.
    /// Foundation's `Process` is not used: its child inherits the spawning thread's signal mask,
    /// and in the test runner that mask blocks SIGTERM, so the server could not be stopped.
    /// Descriptors 3 and up are closed in the child.
    private static func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        // Not one of the test process's other descriptors: a socket inherited from a
        // concurrently running test would keep that test's port bound after it closed it.
        // glibc ≥ 2.34 has posix_spawn_file_actions_addclosefrom_np, but the Glibc module does
        // not import GNU extensions, so it is looked up at run time.
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw ServerError.spawnFailed(errno: ENOSYS)
        }
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw ServerError.spawnFailed(errno: result) }
        return pid
    }

    enum ServerError: Error, CustomStringConvertible {
        case spawnFailed(errno: Int32)
        case exited(status: Int32)
        case notReady(port: Int)
        var description: String {
            switch self {
            case .spawnFailed(let errno): "cannot start in.tftpd: errno \(errno)"
            case .exited(let status): "in.tftpd exited (wait status \(status)) before it was ready"
            case .notReady(let port): "in.tftpd did not bind 127.0.0.1:\(port) within 5 s"
            }
        }
    }

    /// A UDP port the OS just had free on 127.0.0.1.
    private static func freeUDPPort() async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port
        try await channel.close()
        guard let port else { throw ServerError.notReady(port: 0) }
        return port
    }

    /// Whether a UDP socket is bound to 127.0.0.1:`port`.
    static func isBound(port: Int) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return false }
        let local = "0100007F:" + String(format: "%04X", port)
        return table.split(separator: "\n").dropFirst().contains { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == Substring(local)
        }
    }
}
