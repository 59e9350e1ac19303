import NIOCore
import NIOEmbedded
import Testing
@testable import Console

/// The telnet connection handler in `.plain` mode (an SSH shell channel): no option negotiation,
/// the echo is the pty's choice; and the session list a logged-in session joins.
@Suite struct ByteTerminalTests {
    func makeChannel(echo: Bool) throws -> (EmbeddedChannel, TelnetConnectionHandler) {
        let handler = TelnetConnectionHandler(
            peer: "test", limits: .init(idleTimeout: .minutes(10), maximumBufferedOutput: 1 << 20),
            logger: .init(label: "test"), mode: .plain(echo: echo, columns: 80), name: "ssh")
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, handler)
    }

    func outbound(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test func noNegotiationAndTheServerEchoesOnAPty() throws {
        let (channel, handler) = try makeChannel(echo: true)
        #expect(try outbound(channel).isEmpty, "no IAC WILL ECHO … on an SSH channel")
        var lines: [TelnetConnectionHandler.LineResult] = []
        handler.readLine(EditingContext(prompt: "P> ")) { lines.append($0) }
        #expect(try outbound(channel) == Array("P> ".utf8))
        // CR alone ends the line (a pty in raw mode sends no LF or NUL after it).
        try channel.writeInbound(ByteBuffer(bytes: Array("sh ver".utf8) + [0x0D]))
        #expect(lines == [.line("sh ver")])
        #expect(try outbound(channel) == Array("sh ver\r\n".utf8))
        handler.write("a\nb\n")
        #expect(try outbound(channel) == Array("a\r\nb\r\n".utf8))
    }

    @Test func withoutAPtyTheClientShowsTheLineItself() throws {
        let (channel, handler) = try makeChannel(echo: false)
        var lines: [TelnetConnectionHandler.LineResult] = []
        handler.readLine(EditingContext(prompt: "P> ")) { lines.append($0) }
        _ = try outbound(channel)
        try channel.writeInbound(ByteBuffer(bytes: Array("show version\n".utf8)))
        #expect(lines == [.line("show version")])
        #expect(try outbound(channel).isEmpty, "no echo")
    }

    @Test func aLoggedInSessionIsListedUntilItCloses() async {
        let list = SessionList()
        let session = CLISession(configuration: SessionConfiguration(
            prompt: { "P> " }, password: { "pw" }, privilege: .user, commands: CommandTree([]),
            sleep: { _ in }, sessions: list, transport: "telnet"), peer: "127.0.0.1:4000")
        await session.start(output: MemoryTerminal())
        #expect(list.entries.isEmpty, "not before the login")
        await session.handle(line: "wrong")
        #expect(list.entries.isEmpty)
        await session.handle(line: "pw")
        #expect(list.entries.map(\.transport) == ["telnet"])
        #expect(list.entries.map(\.peer) == ["127.0.0.1:4000"])
        #expect(list.entries.map(\.privilege) == [.user])
        #expect(await session.listing == list.entries.first?.id)
        await session.close()
        #expect(list.entries.isEmpty)
    }
}
