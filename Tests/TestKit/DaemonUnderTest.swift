import Foundation

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
