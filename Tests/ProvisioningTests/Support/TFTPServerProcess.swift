import TestKit
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
    private let process: ChildProcess
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
        // posix_spawn rather than Foundation's Process: see ChildProcess.
        let process = try ChildProcess(executable, [
            "-L", "-a", "127.0.0.1:\(port)", "-s", directory.path, "-u", "tftp", "-B", "65464",
        ])
        let server = TFTPServerProcess(directory: directory, port: port, process: process)

        // Ready when its socket shows up in /proc/net/udp (15-80 ms in practice).
        let deadline = ContinuousClock.now + .seconds(5)
        while !isBound(port: port) {
            if let status = process.reap() {
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

    private init(directory: URL, port: Int, process: ChildProcess) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    deinit { stop() }

    /// Stops the server by its pid (SIGTERM, then SIGKILL after 2 s), reaps it, and removes its
    /// folder.
    func stop() {
        guard !stopped else { return }
        stopped = true
        process.terminate(grace: .seconds(2))
        try? FileManager.default.removeItem(at: directory)
    }

    enum ServerError: Error, CustomStringConvertible {
        case exited(status: Int32)
        case notReady(port: Int)
        var description: String {
            switch self {
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
