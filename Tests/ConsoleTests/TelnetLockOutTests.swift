import Logging
import NIOCore
import NIOPosix
import TestKit
import Testing
@testable import Console

/// Connections that never log in must not lock logins out (the lock-out seen with eight silent
/// connections), and hostile option bytes must not make a session deaf. Real sockets on 127.0.0.1.
@Suite(.serialized) struct TelnetLockOutTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test(.timeLimit(.minutes(1))) func eightSilentConnectionsDoNotLockOutTheNinth() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        var silent: [TelnetTestClient] = []
        for _ in 0..<8 {
            let c = try await TelnetTestClient.connect(to: address, group: group)
            try await c.expect("Password :")
            silent.append(c)
        }
        // The ninth gets a password prompt, not "Too many sessions", and logs in.
        let ninth = try await TelnetTestClient.connect(to: address, group: group)
        try await ninth.login()
        try await ninth.send("hello\r")
        try await ninth.expect("you said: hello")
        #expect(!ninth.text.contains("Too many sessions"))
        // The connection that waited longest made room; the others still wait.
        try await silent[0].expectClosed()
        #expect(silent.dropFirst().allSatisfy { !$0.isClosed })
        #expect(server.counts.sessions == 1)
        #expect(server.counts.pendingLogins == 7)
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func aConnectionThatDoesNotLogInIsClosedAfterTheLoginTimeOut() async throws {
        let log = SessionLog()
        // Long enough for the other client to log in on a loaded machine (300 ms once was not).
        let (server, address) = try await TelnetTestServer.start(log: log, loginTimeout: .seconds(2))
        let loggedIn = try await TelnetTestClient.connect(to: address, group: group)
        try await loggedIn.login()
        let start = ContinuousClock.now
        let silent = try await TelnetTestClient.connect(to: address, group: group)
        try await silent.expect("Login time-out (2 s): closing the connection.")
        try await silent.expectClosed()
        #expect(ContinuousClock.now - start >= .milliseconds(1950))
        // The login time-out is for the password prompt only: the session that logged in stays.
        try await loggedIn.send("still here\r")
        try await loggedIn.expect("you said: still here")
        await server.stop()
    }

    @Test func timeOutsAreDescribedWithoutRounding() {
        #expect(TelnetConnectionHandler.describe(.milliseconds(300)) == "300 ms")
        #expect(TelnetConnectionHandler.describe(.milliseconds(1500)) == "1500 ms")
        #expect(TelnetConnectionHandler.describe(.seconds(2)) == "2 s")
        #expect(TelnetConnectionHandler.describe(.seconds(90)) == "90 s")
        #expect(TelnetConnectionHandler.describe(.seconds(120)) == "2 min")
    }

    @Test(.timeLimit(.minutes(1))) func unterminatedSubnegotiationIsCappedByLength() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let client = try await TelnetTestClient.connect(to: address, group: group)
        try await client.expect("Password :")
        // IAC SB TERMINAL-TYPE and far more than any option needs, never IAC SE.
        try await client.send([255, 250, 24] + Array(repeating: UInt8(ascii: "x"), count: 200) + Array("\r".utf8))
        try await client.expect("Wrong password")  // the bytes past the cap were a (wrong) line
        try await client.send("cisco\r")
        try await client.expect("SIP Phone> ")
        try await client.send("hello\r")
        try await client.expect("you said: hello")
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func unterminatedSubnegotiationIsCappedByTime() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log, subnegotiationTimeout: .milliseconds(200))
        let client = try await TelnetTestClient.connect(to: address, group: group)
        try await client.expect("Password :")
        try await client.send([255, 250, 31, 0, 80])  // IAC SB NAWS, cut short
        // Nothing tells the client that the time is up: it waits past it, then types.
        try await Task.sleep(for: .milliseconds(500))
        try await client.send("cisco\r")
        try await client.expect("SIP Phone> ")
        try await client.send("hello\r")
        try await client.expect("you said: hello")
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func loginsRefusalsAndClosesAreLoggedWithTheSourceAddress() async throws {
        let capture = LogCapture()
        let throttle = LoginThrottle()
        let factory: TerminalSessionFactory = { peer in
            CLISession(configuration: SessionConfiguration(
                prompt: { "SIP Phone> " }, password: { "cisco" }, privilege: .user,
                commands: CommandTree(BuiltinCommands.all), sleep: { _ in },
                throttle: throttle, logger: capture.logger), peer: peer)
        }
        let (server, address) = try await TelnetTestServer.start(log: SessionLog(), maxSessions: 1,
                                                                  logger: capture.logger, factory: factory)
        let first = try await TelnetTestClient.connect(to: address, group: group)
        try await first.expect("Password :")
        try await first.send("guess\r")
        try await first.expect("% Password incorrect")
        try await first.send("cisco\r")
        try await first.expect("SIP Phone> ")
        let refused = try await TelnetTestClient.connect(to: address, group: group, agree: false)
        try await refused.expect("Too many sessions")
        try await first.send("exit\r")
        try await first.expectClosed()
        try await waitUntil("the close is logged") { capture.all.contains { $0.contains("closed") } }
        let lines = capture.all
        #expect(lines.contains { $0.hasPrefix("notice: login: wrong password from 127.0.0.1:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("info: login: 127.0.0.1:") && $0.hasSuffix("logged in") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("notice: telnet: refused 127.0.0.1:") && $0.hasSuffix("too many sessions") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("info: telnet: connection from 127.0.0.1:") && $0.hasSuffix("closed") }, "\(lines)")
        await server.stop()
    }
}
