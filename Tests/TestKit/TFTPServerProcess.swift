import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A tftpd-hpa started by a test on 127.0.0.1 and a free high port, serving a temporary folder
/// (Tests against a real peer, ARCHITECTURE.md). Stop it with `stop()`; it is also stopped
/// when the value goes away.
public final class TFTPServerProcess: @unchecked Sendable {
    public static let executable = "/usr/sbin/in.tftpd"

    public let directory: URL
    public let port: Int
    private let process: ChildProcess
    private var stopped = false

    public var address: SocketAddress {
        get throws { try SocketAddress(ipAddress: "127.0.0.1", port: port) }
    }

    /// Writes `files` (world-readable: the server drops to user `tftp`) and starts the server.
    /// Fails the test when in.tftpd is not installed.
    public static func start(files: [String: [UInt8]], port: Int? = nil) async throws -> TFTPServerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("tftpd-hpa is not installed (\(executable) missing): run scripts/install-deps.sh test")
        }
        let fm = FileManager.default
        let directory = fm.temporaryDirectory.appendingPathComponent("tftp-test-\(UUID().uuidString)")
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        for (name, bytes) in files {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        }

        // The port was free a moment ago; if another socket took it meanwhile, in.tftpd cannot
        // bind it and exits: start again on another port (a `port` given is tried first).
        var candidate = port
        for _ in 0..<5 {
            let port: Int
            if let candidate { port = candidate } else { port = try await freeUDPPort() }
            candidate = nil
            // posix_spawn rather than Foundation's Process: see ChildProcess.
            let process = try ChildProcess(executable, [
                "-L", "-a", "127.0.0.1:\(port)", "-s", directory.path, "-u", "tftp", "-B", "65464",
            ])
            let server = TFTPServerProcess(directory: directory, port: port, process: process)
            // Ready when its own socket on the port shows up (15-80 ms in practice): a socket of
            // another process on that port is not this server.
            let deadline = ContinuousClock.now + TestSupport.peerStartLimit
            while !Sockets.isUDPBound(port: port, byProcess: process.pid) {
                if process.reap() != nil { break }
                guard ContinuousClock.now < deadline else {
                    server.stop()
                    throw ServerError.notReady(port: port)
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            if Sockets.isUDPBound(port: port, byProcess: process.pid) { return server }
            server.stop(removingFiles: false)
        }
        try? FileManager.default.removeItem(at: directory)
        throw ServerError.exited(status: -1)
    }

    private init(directory: URL, port: Int, process: ChildProcess) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    deinit { stop() }

    /// Stops the server by its pid (SIGTERM, then SIGKILL after 2 s), reaps it, and removes its
    /// folder.
    public func stop() { stop(removingFiles: true) }

    /// Puts (or replaces) a file in the served folder, world-readable.
    public func put(_ name: String, _ bytes: [UInt8]) throws {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
    }

    private func stop(removingFiles: Bool) {
        guard !stopped else { return }
        stopped = true
        process.terminate(grace: .seconds(2))
        if removingFiles { try? FileManager.default.removeItem(at: directory) }
    }

    public enum ServerError: Error, CustomStringConvertible {
        case exited(status: Int32)
        case notReady(port: Int)
        public var description: String {
            switch self {
            case .exited(let status): "in.tftpd exited (wait status \(status)) before it was ready"
            case .notReady(let port): "in.tftpd did not bind 127.0.0.1:\(port) within \(TestSupport.peerStartLimit)"
            }
        }
    }

    /// A UDP port the OS just had free on 127.0.0.1.
    private static func freeUDPPort() async throws -> Int { try Sockets.freeUDPPort() }
}
