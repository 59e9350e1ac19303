import TestKit
import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import Console

/// The connection handler on an `EmbeddedChannel`: no sockets, no session task.
@Suite struct TelnetConnectionHandlerTests {
    final class Results { var lines: [TelnetConnectionHandler.LineResult] = [] }

    func makeChannel(maxOutput: Int = 256 * 1024) throws -> (EmbeddedChannel, TelnetConnectionHandler) {
        let handler = TelnetConnectionHandler(
            peer: "test", limits: .init(idleTimeout: .minutes(10), maximumBufferedOutput: maxOutput),
            logger: .init(label: "test"))
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, handler)
    }

    func outbound(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test func offersOptionsThenEchoesOnceTheClientAgrees() throws {
        let (channel, handler) = try makeChannel()
        #expect(try outbound(channel) == [255, 251, 1, 255, 251, 3, 255, 253, 31])
        let results = Results()
        handler.readLine(EditingContext(prompt: "Password :", echo: .masked)) { results.lines.append($0) }
        #expect(try outbound(channel) == Array("Password :".utf8))
        try channel.writeInbound(ByteBuffer(bytes: [255, 253, 1, 255, 253, 3, 255, 251, 31,
                                                    255, 250, 31, 0, 100, 0, 40, 255, 240]))
        #expect(try outbound(channel) == [])  // confirmations are not answered
        #expect(handler.negotiation.windowSize == WindowSize(columns: 100, rows: 40))
        try channel.writeInbound(ByteBuffer(string: "cis"))
        try channel.writeInbound(ByteBuffer(string: "co\r"))
        #expect(try outbound(channel) == Array("*****\r\n".utf8))
        try channel.writeInbound(ByteBuffer(string: "\n"))  // the LF of the CR LF, late
        #expect(results.lines == [.line("cisco")])
        _ = try channel.finish()
    }

    @Test func refusedEchoMeansNoServerEchoAndCookedLines() throws {
        let (channel, handler) = try makeChannel()
        _ = try outbound(channel)
        try channel.writeInbound(ByteBuffer(bytes: [255, 254, 1, 255, 254, 3, 255, 252, 31, 255, 251, 24]))
        #expect(try outbound(channel) == [255, 254, 24])
        let results = Results()
        handler.readLine(EditingContext(prompt: "> ")) { results.lines.append($0) }
        #expect(try outbound(channel) == Array("> ".utf8))
        try channel.writeInbound(ByteBuffer(string: "show version\r\n"))
        #expect(try outbound(channel) == [])
        #expect(results.lines == [.line("show version")])
        _ = try channel.finish()
    }

    @Test func typeAheadWaitsForTheNextLineAndCtrlCInterrupts() throws {
        let (channel, handler) = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: [255, 253, 1]))
        var interrupts = 0
        handler.onInterrupt = { interrupts += 1 }
        let results = Results()
        handler.readLine(EditingContext(prompt: "> ")) { results.lines.append($0) }
        try channel.writeInbound(ByteBuffer(string: "ping x\rshow"))  // "show" typed during the ping
        #expect(results.lines == [.line("ping x")])
        try channel.writeInbound(ByteBuffer(bytes: [255, 244]))  // IAC IP: the NVT's Ctrl-C
        try channel.writeInbound(ByteBuffer(string: "abc\u{03}sh"))
        #expect(interrupts == 2)
        _ = try outbound(channel)
        handler.readLine(EditingContext(prompt: "> ")) { results.lines.append($0) }
        #expect(String(decoding: try outbound(channel), as: UTF8.self) == "> sh")  // the type-ahead after ^C
        try channel.writeInbound(ByteBuffer(string: "ow\r"))
        #expect(results.lines == [.line("ping x"), .line("show")])
        _ = try channel.finish()
    }

    @Test func outputIsEscapedAndPrintedAboveTheEditedLine() throws {
        let (channel, handler) = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: [255, 253, 1]))
        handler.readLine(EditingContext(prompt: "> ")) { _ in }
        try channel.writeInbound(ByteBuffer(string: "ab"))
        _ = try outbound(channel)
        handler.write("x\u{FF}\n")  // UTF-8: C3 BF, no IAC
        handler.write("raw")
        let out = try outbound(channel)
        #expect(String(decoding: out, as: UTF8.self) == "\r\u{1B}[Jx\u{FF}\r\n> ab\r\u{1B}[Jraw\r\n> ab")
        _ = try channel.finish()
    }

    @Test func closingTheConnectionEndsTheLineRequest() throws {
        let (channel, handler) = try makeChannel()
        let results = Results()
        handler.readLine(EditingContext(prompt: "> ")) { results.lines.append($0) }
        try channel.close().wait()
        #expect(results.lines == [.closed])
        handler.readLine(EditingContext(prompt: "> ")) { results.lines.append($0) }
        #expect(results.lines == [.closed, .closed])
    }

    @Test func tooMuchUnsentOutputDropsTheConnection() throws {
        let (channel, handler) = try makeChannel(maxOutput: 1000)
        // EmbeddedChannel completes writes on flush; a stalled peer is simulated by a
        // single write over the cap.
        handler.write(String(repeating: "x", count: 2000))
        #expect(!channel.isActive)
        #expect(handler.isClosed)
    }

    /// The echo of a typed line overflows the output cap while the line is being edited: the
    /// connection is dropped from inside the editor's input, and the line completes once, as
    /// `.closed` (it once completed a second time, as the typed line, and a test run crashed on
    /// the resumed continuation).
    @Test func anEchoOverTheCapClosesAndCompletesTheLineOnce() throws {
        let (channel, handler) = try makeChannel(maxOutput: 100)
        try channel.writeInbound(ByteBuffer(bytes: [255, 253, 1, 255, 253, 3]))   // DO ECHO, DO SGA: the phone echoes
        _ = try outbound(channel)
        var results: [TelnetConnectionHandler.LineResult] = []
        handler.readLine(EditingContext(prompt: "> ", help: { _ in [] })) { results.append($0) }
        try channel.writeInbound(ByteBuffer(bytes: Array(String(repeating: "x", count: 150).utf8) + [13]))
        #expect(results == [.closed])
        #expect(handler.isClosed)
        #expect(!channel.isActive)
    }

    @Test func randomBytesNeverCrashTheHandler() throws {
        let (channel, handler) = try makeChannel()
        var lines = 0
        func again() { handler.readLine(EditingContext(prompt: "> ", help: { _ in ["h"] })) { r in
            if case .line = r { lines += 1 }
            if r != .closed { again() }
        } }
        again()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 1...2000)).map { _ in UInt8.random(in: 0...255) }
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            _ = try outbound(channel)
        }
        #expect(lines > 0)
        _ = try channel.finish()
    }
}

/// The server on a real socket on 127.0.0.1.
@Suite(.serialized) struct TelnetServerTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test(.timeLimit(.minutes(1))) func loginAndCommand() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let client = try await TelnetTestClient.connect(to: address, group: group)
        try await client.expect("\r\n\r\nPassword :")
        try await client.send("cis")
        try await client.send("co\r\n")
        try await client.expect("Password :*****\r\nSIP Phone> ")
        try await client.send("sh\t")
        try await client.expect("SIP Phone> show ")
        try await client.send("version\r")
        try await client.expect("you said: show version\r\nSIP Phone> ")
        try await client.send("exit\r\n")
        try await client.expectClosed()
        try await Task.sleep(for: .milliseconds(50))
        let session = try #require(log.all.first)
        #expect(session.state.withLockedValue { $0.closed })
        #expect(session.state.withLockedValue { $0.lines } == ["cisco", "show version", "exit"])
        #expect(session.peer.hasPrefix("127.0.0.1:"))
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func eightSessionsAndTheNinthIsRefused() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        var clients: [TelnetTestClient] = []
        for _ in 0..<8 {
            let c = try await TelnetTestClient.connect(to: address, group: group)
            try await c.expect("Password :")
            clients.append(c)
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (i, c) in clients.enumerated() {
                tasks.addTask {
                    try await c.send("cisco\r")
                    try await c.expect("SIP Phone> ")
                    try await c.send("hello \(i)\r")
                    try await c.expect("you said: hello \(i)")
                }
            }
            try await tasks.waitForAll()
        }
        let ninth = try await TelnetTestClient.connect(to: address, group: group, agree: false)
        try await ninth.expect("Too many sessions")
        try await ninth.expectClosed()
        #expect(log.all.count == 8)
        // One leaves: there is room again.
        try await clients[0].send("exit\r")
        try await clients[0].expectClosed()
        try await Task.sleep(for: .milliseconds(100))
        let tenth = try await TelnetTestClient.connect(to: address, group: group)
        try await tenth.expect("Password :")
        await server.stop()
        for c in clients + [tenth] { try await c.expectClosed() }
        #expect(log.all.allSatisfy { $0.state.withLockedValue { $0.closed } })
    }

    @Test(.timeLimit(.minutes(1))) func idleTimeOutClosesWithAMessage() async throws {
        let log = SessionLog()
        // 1.5 s: with 400 ms a loaded run saw the time-out fire between the password and the
        // prompt (the session's start took longer than that).
        let (server, address) = try await TelnetTestServer.start(log: log, idleTimeout: .milliseconds(1500))
        let client = try await TelnetTestClient.connect(to: address, group: group)
        // Taken before the password goes out: the server's idle clock starts when it reads it,
        // so a loaded machine can only lengthen what is measured (260 ms was seen when taken
        // after login() returned).
        let start = ContinuousClock.now
        try await client.login()
        try await client.expect("Idle time-out", timeout: .seconds(5))
        try await client.expectClosed()
        #expect(ContinuousClock.now - start >= .milliseconds(1400))
        try await Task.sleep(for: .milliseconds(50))
        #expect(log.all.first?.state.withLockedValue { $0.closed } == true)
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func randomFloodFromOneClientDoesNotDisturbAnother() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let good = try await TelnetTestClient.connect(to: address, group: group)
        try await good.login()
        let bad = try await TelnetTestClient.connect(to: address, group: group)
        var generator = SystemRandomNumberGenerator()
        var sent = 0
        for _ in 0..<16 {
            // No Ctrl-D: on an empty line it would log the flooding client out early.
            let bytes = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }.map { $0 == 4 ? 5 : $0 }
            if (try? await bad.send(bytes)) != nil { sent += bytes.count }
        }
        #expect(sent == 1 << 20)
        await bad.close()
        try await good.send("still here\r")
        try await good.expect("you said: still here")
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func stalledClientIsDroppedWhenItsOutputPilesUp() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let good = try await TelnetTestClient.connect(to: address, group: group)
        try await good.login()
        let stalled = try await TelnetTestClient.connect(to: address, group: group, reading: false)
        try await Task.sleep(for: .milliseconds(100))
        try await stalled.send("cisco\rflood\r")
        let session = try #require(log.all.count == 2 ? log.all[1] : nil)
        let deadline = ContinuousClock.now + .seconds(20)
        while !session.state.withLockedValue({ $0.closed }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(session.state.withLockedValue { $0.closed }, "the stalled client's session was not closed")
        try await good.send("fine\r")
        try await good.expect("you said: fine")
        await stalled.close()
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func halfOpenClientDoesNotBlockOthers() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let silent = try await TelnetTestClient.connect(to: address, group: group, agree: false)
        let good = try await TelnetTestClient.connect(to: address, group: group)
        try await good.login()
        try await good.send("hi\r")
        try await good.expect("you said: hi")
        #expect(!silent.isClosed)
        await server.stop()
        try await silent.expectClosed()
    }

    @Test(.timeLimit(.minutes(1))) func ctrlCDuringASlowCommandInterruptsIt() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let client = try await TelnetTestClient.connect(to: address, group: group)
        try await client.login()
        try await client.send("slow\r")
        try await client.expect("running slow")
        try await client.send("next\r")  // type-ahead during the command
        try await client.send([0x03])
        try await client.expect("interrupted\r\nSIP Phone> ")
        #expect(log.all.first?.state.withLockedValue { $0.interrupts } == 1)
        try await client.send("after\r")
        try await client.expect("you said: after")
        // The type-ahead before ^C was discarded.
        let lines = try #require(log.all.first).state.withLockedValue { $0.lines }
        #expect(!lines.contains("next"))
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func outputFromAnotherThreadArrivesInOrderAboveThePrompt() async throws {
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let client = try await TelnetTestClient.connect(to: address, group: group)
        try await client.login()
        try await client.send("sho")
        try await client.expect("SIP Phone> sho")
        let output = try #require(log.all.first?.state.withLockedValue { $0.output })
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { for i in 0..<100 { output.write("debug \(i)\n") } }
        }
        try await client.expect("debug 99\r\nSIP Phone> sho")
        let text = client.text
        var last = text.startIndex
        for i in 0..<100 {
            let r = try #require(text.range(of: "debug \(i)\r\n", range: last..<text.endIndex))
            last = r.upperBound
        }
        await server.stop()
    }
}

/// Debian's telnet client, driven by expect.
@Suite struct TelnetRealClientTests {
    @Test(.timeLimit(.minutes(1))) func debianTelnetLogsInAndRunsACommand() async throws {
        for tool in ["/usr/bin/telnet", "/usr/bin/expect"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: run `scripts/install-deps.sh test`")
            return
        }
        let log = SessionLog()
        let (server, address) = try await TelnetTestServer.start(log: log)
        let port = try #require(address.port)
        let dir = NSTemporaryDirectory() + "telnet-expect-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
            set timeout 5
            log_user 1
            spawn telnet 127.0.0.1 [lindex $argv 0]
            expect timeout { exit 2 } "Password :"
            send "cisco\\r"
            expect timeout { exit 3 } "SIP Phone> "
            send "show version\\r"
            expect timeout { exit 4 } "you said: show version"
            expect timeout { exit 5 } "SIP Phone> "
            send "sh\\t"
            expect timeout { exit 6 } "show "
            send "\\025exit\\r"
            expect timeout { exit 7 } eof
            exit 0
            """
        try script.write(toFile: dir + "/login.exp", atomically: true, encoding: .utf8)
        let child = try ChildProcess("/usr/bin/expect", ["-f", dir + "/login.exp", String(port)],
                                     stdout: dir + "/out.txt", stderr: dir + "/err.txt",
                                     environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=dumb", "HOME=" + dir])
        let status = await child.wait(timeout: .seconds(30))
        child.terminate()
        let transcript = (try? String(contentsOfFile: dir + "/out.txt", encoding: .utf8)) ?? ""
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "expect: \(transcript)")
        #expect(transcript.contains("Password :*****"))
        #expect(!transcript.contains("cisco"))
        #expect(log.all.first?.state.withLockedValue { $0.lines } == ["cisco", "show version", "exit"])
        await server.stop()
    }
}
