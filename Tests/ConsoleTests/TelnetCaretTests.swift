import NIOCore
import NIOPosix
import TestKit
import Testing
@testable import Console

/// The caret of `% Invalid input` points at the offending word whether or not the client let
/// the server echo: what a terminal shows is replayed on a small screen model.
@Suite(.serialized) struct TelnetCaretTests {
    let group = MultiThreadedEventLoopGroup.singleton

    static func phoneSession(_ peer: String) -> CLISession {
        CLISession(configuration: SessionConfiguration(
            prompt: { "SIP Phone> " }, password: { "cisco" }, privilege: .user,
            commands: CommandTree(BuiltinCommands.all + [
                CommandSpec(["show", "greeting"], help: "Say hello") { inv in inv.print("hello") },
            ]), sleep: { _ in }), peer: peer)
    }

    /// The screen after `text`: CR returns to column 0 and overwrites, LF goes down a line.
    static func screen(_ text: String) -> [String] {
        var lines: [[Character]] = [[]]
        var column = 0
        // By scalar: "\r\n" is one Character.
        for c in text.unicodeScalars.map(Character.init) {
            switch c {
            case "\r": column = 0
            case "\n": lines.append([]); column = 0
            case "\0": break
            default:
                var line = lines[lines.count - 1]
                while line.count < column { line.append(" ") }
                if column < line.count { line[column] = c } else { line.append(c) }
                lines[lines.count - 1] = line
                column += 1
            }
        }
        return lines.map { String($0) }
    }

    /// The caret's column and the screen line above it.
    static func caret(_ text: String) throws -> (column: Int, above: String) {
        let lines = screen(text)
        guard let i = lines.firstIndex(where: { $0.trimmingPrefix(while: { $0 == " " }) == "^" }) else { throw TestFailure("no caret in \(lines) from \(text.debugDescription)") }
        let column = lines[i].count - 1
        return (column, i > 0 ? lines[i - 1] : "")
    }

    @Test(.timeLimit(.minutes(1))) func caretPointsAtTheWordForAClientThatRefusesEcho() async throws {
        let (server, address) = try await TelnetTestServer.start(log: SessionLog(), factory: Self.phoneSession)
        // ciscoboy.c's opening: WONT TTYPE, WONT TSPEED, WONT XDISPLOC, WONT NEW-ENVIRON, DO SGA,
        // then WONT ECHO, WONT NAWS, DONT STATUS, WILL LFLOW; it never answers WILL ECHO.
        let client = try await TelnetTestClient.connect(to: address, group: group, agree: false)
        try await client.send([0xFF, 0xFC, 0x18, 0xFF, 0xFC, 0x20, 0xFF, 0xFC, 0x23, 0xFF, 0xFC, 0x27, 0xFF, 0xFD, 0x03])
        try await client.send([0xFF, 0xFC, 0x01, 0xFF, 0xFC, 0x1F, 0xFF, 0xFE, 0x05, 0xFF, 0xFB, 0x21])
        try await client.expect("Password :")
        try await client.send("cisco\r\n")
        try await client.expect("SIP Phone> ")
        try await client.send("show greetx\r\n")
        let text = try await client.expect("% Invalid input")
        let (column, above) = try Self.caret(text)
        let word = try #require(above.range(of: "greetx"), "the line above the caret: \(above.debugDescription)")
        #expect(above.distance(from: above.startIndex, to: word.lowerBound) == column, "\(Self.screen(text))")
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1))) func caretPointsAtTheWordWhenTheServerEchoes() async throws {
        let (server, address) = try await TelnetTestServer.start(log: SessionLog(), factory: Self.phoneSession)
        let client = try await TelnetTestClient.connect(to: address, group: group)
        try await client.login()
        try await client.send("show greetx\r")
        let text = try await client.expect("% Invalid input")
        let (column, above) = try Self.caret(text)
        let word = try #require(above.range(of: "greetx"), "the line above the caret: \(above.debugDescription)")
        #expect(above.distance(from: above.startIndex, to: word.lowerBound) == column, "\(Self.screen(text))")
        await server.stop()
    }
}
