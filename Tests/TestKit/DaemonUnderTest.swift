import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real deskphoned process booted on a provisioning folder written by the test, with its
/// telnet CLI on 127.0.0.1 and a port the OS picks.
public final class DaemonUnderTest: @unchecked Sendable {
    public let directory: String
    public let logPath: String
    public let process: ChildProcess
    public private(set) var telnetPort: Int?

    public static let mac = "00:11:AA:BB:CC:42"

    /// `files` go into the provisioning folder (`SIP0011AABBCC42.cnf` is the phone file).
    public static func start(files: [String: String], arguments: [String] = [],
                             environment: [String] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=vt100"],
                             waitForTelnet: Bool = true) async throws -> DaemonUnderTest {
        let dir = try TestSupport.temporaryDirectory("daemon")
        for (name, text) in files { try TestSupport.write(text, to: dir + "/tftpboot/" + name) }
        let log = dir + "/deskphoned.log"
        let args = ["--provision", dir + "/tftpboot", "--flash", dir + "/flash", "--mac", mac,
                    "--telnet", "127.0.0.1:0", "--config", "/dev/null"] + arguments
        let p = try ChildProcess(try TestSupport.product("deskphoned"), args.contains("--console") ? args : args + ["--console", "none"],
                                 stderr: log, environment: environment)
        let d = DaemonUnderTest(directory: dir, logPath: log, process: p)
        try await d.waitFor(waitForTelnet ? "telnet listening on" : "boot complete")
        if waitForTelnet { d.telnetPort = d.parseTelnetPort() }
        return d
    }

    /// A deskphoned with exactly `arguments` (plus `--console none`), logging to
    /// `directory/deskphoned.log`; waits for `waitFor` in the log.
    public static func launch(_ arguments: [String], in dir: String, waitFor: String = "telnet listening on") async throws -> DaemonUnderTest {
        let log = dir + "/deskphoned.log"
        let p = try ChildProcess(try TestSupport.product("deskphoned"), arguments + ["--console", "none"], stderr: log,
                                 environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=vt100"])
        let d = DaemonUnderTest(directory: dir, logPath: log, process: p)
        try await d.waitFor(waitFor)
        d.telnetPort = d.parseTelnetPort()
        return d
    }

    /// Waits until `text` appears at least `count` times in the log. With `survivingExit` the
    /// launched process may exit meanwhile (a firmware watchdog takes over as the phone).
    public func waitFor(_ text: String, count: Int, survivingExit: Bool = false, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while log.components(separatedBy: text).count - 1 < count {
            if !survivingExit, let status = process.reap() {
                throw TestFailure("deskphoned exited (status \(status)) before '\(text)' ×\(count); log:\n\(log)")
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("no '\(text)' ×\(count) within \(timeout); log:\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        telnetPort = parseTelnetPort()
    }

    /// How many times `text` is in the log.
    public func occurrences(_ text: String) -> Int { log.components(separatedBy: text).count - 1 }

    /// Every pid the log names as a phone or a watchdog (`deskphoned starting: pid N`,
    /// `trial watchdog pid N`): after a rollback the phone may be another process than the
    /// one launched.
    public var loggedPIDs: [pid_t] {
        var pids: [pid_t] = []
        for marker in ["deskphoned starting: pid ", "trial watchdog pid "] {
            for part in log.components(separatedBy: marker).dropFirst() {
                if let n = pid_t(part.prefix { $0.isNumber }), !pids.contains(n) { pids.append(n) }
            }
        }
        return pids
    }

    /// Stops the launched process and every other phone or watchdog process the log names
    /// (SIGTERM, then SIGKILL), by pid.
    public func stopAll() {
        let others = loggedPIDs.filter { $0 != process.pid }
        process.terminate()
        for pid in others where kill(pid, 0) == 0 {
            kill(pid, SIGTERM)
            var waited = 0
            while kill(pid, 0) == 0 && waited < 60 { usleep(50_000); waited += 1 }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
    }

    init(directory: String, logPath: String, process: ChildProcess) {
        self.directory = directory
        self.logPath = logPath
        self.process = process
    }

    deinit { process.terminate() }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text`; fails if the daemon exits first.
    public func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !log.contains(text) {
            if let status = process.reap() {
                throw TestFailure("deskphoned exited (status \(status)) before '\(text)'; log:\n\(log)")
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("no '\(text)' within \(timeout); log:\n\(log)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The port from `telnet listening on [IPv4]127.0.0.1/127.0.0.1:PORT`.
    func parseTelnetPort() -> Int? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("telnet listening on") }),
              let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...].prefix { $0.isNumber })
    }

    @discardableResult
    public func stop() -> Int32? { process.terminate() }

    /// Runs `deskphone cli -f SCRIPT` against this daemon.
    public func cliScript(_ script: String, password: String = "cisco") async throws -> (code: Int32?, output: String, errors: String) {
        try await runCLI(["-f", script], password: password)
    }

    /// Runs `deskphone cli` against this daemon; returns exit code and standard output.
    public func cli(_ commands: [String], password: String = "cisco") async throws -> (code: Int32?, output: String, errors: String) {
        try await runCLI(commands.flatMap { ["-c", $0] }, password: password)
    }

    func runCLI(_ arguments: [String], password: String) async throws -> (code: Int32?, output: String, errors: String) {
        guard let port = telnetPort else { throw TestFailure("telnet is not listening") }
        let out = directory + "/cli-\(UUID().uuidString).out", err = out + ".err"
        let p = try ChildProcess(try TestSupport.product("deskphone"),
                                 ["cli", "127.0.0.1:\(port)", "--timeout", "20"] + arguments,
                                 stdout: out, stderr: err, environment: ["DESKPHONE_PASSWORD=\(password)"])
        let status = await p.wait(timeout: .seconds(60))
        return (status.flatMap(ChildProcess.exitCode),
                (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
