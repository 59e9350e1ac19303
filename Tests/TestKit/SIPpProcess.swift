import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIPp (Debian package sip-tester) running one scenario from Tests/Peers/ on 127.0.0.1 and a
/// free UDP port: the scripted far end of interop tests (PEERS.md). Its media and control
/// ports are free ports too, so that concurrent tests and other SIPp instances do not collide.
public final class SIPpProcess: @unchecked Sendable {
    public static let executable = "/usr/bin/sipp"
    public let port: Int
    public let directory: String
    let process: ChildProcess
    /// The wait status when SIPp had already exited while `start` waited for it to listen.
    var finished: Int32?

    /// The child's process id (it is stopped by this id only).
    public var pid: pid_t { process.pid }

    /// Starts `sipp -sf Tests/Peers/<scenario> -i 127.0.0.1 -p PORT -m calls -timeout …` and waits
    /// until it listens. `timeout` is SIPp's own global limit: reaching it is a failure
    /// (`-timeout_error`), so a scenario that never completes ends with a non-zero status.
    public static func start(scenario: String, calls: Int = 1, timeout: Duration = .seconds(60),
                             arguments: [String] = []) async throws -> SIPpProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("sipp is not installed (\(executable) missing): run scripts/install-deps.sh test")
        }
        // A scenario name from Tests/Peers/, or the absolute path of one a test wrote.
        let file = scenario.hasPrefix("/") ? scenario : TestSupport.repositoryRoot.appendingPathComponent("Tests/Peers/" + scenario).path
        guard FileManager.default.fileExists(atPath: file) else { throw TestFailure("no SIPp scenario \(file)") }
        let dir = try TestSupport.temporaryDirectory("sipp")
        let port = try Sockets.freeUDPPort()
        let seconds = max(1, Int(timeout.components.seconds))
        let args = ["-sf", file, "-i", "127.0.0.1", "-p", String(port), "-m", String(calls),
                    "-mp", String(try Sockets.freeUDPPort()), "-cp", String(try Sockets.freeUDPPort()),
                    "-nostdin", "-timeout", "\(seconds)s", "-timeout_error",
                    "-trace_err", "-error_file", dir + "/errors.log",
                    "-trace_msg", "-message_file", dir + "/messages.log"] + arguments
        let p = try ChildProcess(executable, args, stdout: dir + "/stdout.log", stderr: dir + "/stderr.log")
        let sipp = SIPpProcess(port: port, directory: dir, process: p)
        let deadline = ContinuousClock.now + TestSupport.peerStartLimit
        while !Sockets.isUDPBound(port: port) {
            if let status = p.reap() {
                // A short client scenario may be over before its socket is seen: its status is
                // the result (exitCode reports it).
                sipp.finished = status
                return sipp
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("sipp did not bind 127.0.0.1:\(port): \(sipp.log)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return sipp
    }

    init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    deinit { process.terminate() }

    /// SIPp's exit code once it has exited by itself within `timeout` (0: every call succeeded;
    /// 1: a call failed; 99: no call processed), nil when it is still running or died by a signal.
    public func exitCode(timeout: Duration) async -> Int32? {
        if let finished { return ChildProcess.exitCode(finished) }
        guard let status = await process.wait(timeout: timeout) else { return nil }
        return ChildProcess.exitCode(status)
    }

    /// SIGTERM (then SIGKILL) to this SIPp's pid.
    public func stop() { process.terminate() }

    /// Its error log and standard error, for failure messages.
    public var log: String {
        ["errors.log", "stderr.log"].map { (try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) ?? "" }
            .joined(separator: "\n")
    }

    /// Every message SIPp sent and received (`-trace_msg`).
    public var messages: String { (try? String(contentsOfFile: directory + "/messages.log", encoding: .utf8)) ?? "" }
}
