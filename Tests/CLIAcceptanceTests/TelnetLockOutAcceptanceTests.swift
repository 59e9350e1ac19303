import Foundation
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The telnet lock-out of issue 14, against the real daemon: eight connections that never send
/// a password, then a person with Debian's telnet under expect; and the log an operator reads.
@Suite(.serialized) struct TelnetLockOutAcceptanceTests {
    /// Reads from `fd` until the text received contains `needle` (or `timeout` passes).
    static func receive(_ fd: Int32, until needle: String, timeout: Duration = .seconds(10)) async throws -> String {
        var text = ""
        let deadline = ContinuousClock.now + timeout
        while !text.contains(needle) {
            guard ContinuousClock.now < deadline else { throw TestFailure("no \(needle.debugDescription) in \(text.debugDescription)") }
            text += String(decoding: await Sockets.receive(fd, timeout: .milliseconds(50)), as: UTF8.self)
        }
        return text
    }

    /// A connection that reads the greeting and then says nothing.
    static func silentConnection(port: Int) async throws -> Int32 {
        let fd = try Sockets.connect(port: port).get()
        do { _ = try await receive(fd, until: "Password :") } catch { close(fd); throw error }
        return fd
    }

    @Test(.timeLimit(.minutes(2))) func eightSilentConnectionsThenAPersonLogsInWithTelnet() async throws {
        for tool in ["/usr/bin/telnet", "/usr/bin/expect"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: run `scripts/install-deps.sh test`")
            return
        }
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let port = try #require(daemon.telnetPort)
        var silent: [Int32] = []
        defer { silent.forEach { close($0) } }
        for _ in 0..<8 { silent.append(try await Self.silentConnection(port: port)) }
        // The ninth connection: a person, one wrong password first.
        let script = """
            set timeout 15
            log_user 1
            spawn telnet 127.0.0.1 \(port)
            expect timeout { exit 2 } "Password :"
            send "guess\\r"
            expect timeout { exit 3 } "% Password incorrect"
            expect timeout { exit 4 } "Password :"
            send "s3cret\\r"
            expect timeout { exit 5 } "SIP Phone> "
            send "show version\\r"
            expect timeout { exit 6 } "Deskphone "
            expect timeout { exit 7 } "SIP Phone> "
            send "exit\\r"
            expect timeout { exit 8 } eof
            exit 0
            """
        try script.write(toFile: daemon.directory + "/ninth.exp", atomically: true, encoding: .utf8)
        let child = try ChildProcess("/usr/bin/expect", ["-f", daemon.directory + "/ninth.exp"],
                                     stdout: daemon.directory + "/ninth.out", stderr: daemon.directory + "/ninth.err",
                                     environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=dumb", "HOME=" + daemon.directory])
        let status = await child.wait(timeout: .seconds(60))
        child.terminate()
        let transcript = (try? String(contentsOfFile: daemon.directory + "/ninth.out", encoding: .utf8)) ?? ""
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "expect stopped (exit code marks the step):\n\(transcript)")
        #expect(!transcript.contains("Too many sessions"))
        // What the operator reads in the journal, each line with the source address.
        try await waitUntil("the session's close is logged") { daemon.log.contains("closed") }
        let log = daemon.log
        #expect(log.contains("login: wrong password from 127.0.0.1:"), "\(log)")
        #expect(log.contains(" logged in"))
        #expect(log.contains("8 connections wait to log in"), "the oldest silent one made room")
        #expect(log.range(of: #"telnet: connection from 127\.0\.0\.1:\d+ closed"#, options: .regularExpression) != nil)
    }

    @Test(.timeLimit(.minutes(2))) func theNinthLoggedInSessionIsRefusedAndTheRefusalLogged() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let port = try #require(daemon.telnetPort)
        var sessions: [Int32] = []
        defer { sessions.forEach { close($0) } }
        for _ in 0..<8 {
            let fd = try await Self.silentConnection(port: port)
            sessions.append(fd)
            _ = Sockets.send(fd, Array("s3cret\r\n".utf8))
            _ = try await Self.receive(fd, until: "SIP Phone> ")
        }
        let ninth = try Sockets.connect(port: port).get()
        defer { close(ninth) }
        _ = try await Self.receive(ninth, until: "Too many sessions")
        try await waitUntil("the refusal is logged") { daemon.log.contains("too many sessions") }
        #expect(daemon.log.range(of: #"telnet: refused 127\.0\.0\.1:\d+: too many sessions"#, options: .regularExpression) != nil)
    }
}
