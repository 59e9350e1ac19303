import NIOCore
import NIOEmbedded
import Testing
@testable import Console

/// UTF-8 input in the telnet line editor: characters whole, the echo the bytes typed, moves
/// and deletions by grapheme cluster and terminal column, invalid bytes dropped.
@Suite struct LineEditorUTF8Tests {
    typealias Driver = TelnetLineEditorTests.Driver

    static let bs: UInt8 = 0x08

    @Test func aCharacterSplitAcrossSegmentsIsInsertedWholeAndEchoedAsTyped() {
        var d = Driver()
        _ = d.take()
        d.type([0xC3])
        #expect(d.output == [] && d.editor.line == "", "half a character shows nothing")
        d.type([0xA9])
        #expect(d.output == [0xC3, 0xA9])
        d.type("€😀")
        #expect(d.take() == "é€😀")
        #expect(d.editor.line == "é€😀" && d.editor.cursorPosition == 3)
        d.type("\r")
        #expect(d.events == [.line("é€😀")])
    }

    @Test func backspaceAndArrowsStepOverWholeCharactersInColumns() {
        var d = Driver()
        d.type("aé日😀")
        _ = d.take()
        d.type([0x7F])   // the emoji: two columns back, two blanks, two back
        #expect(d.output == [Self.bs, Self.bs, 0x20, 0x20, Self.bs, Self.bs])
        #expect(d.editor.line == "aé日")
        _ = d.take()
        d.type("\u{1B}[D")   // over 日: two columns
        #expect(d.output == [Self.bs, Self.bs])
        _ = d.take()
        d.type("\u{1B}[D")   // over é: one column
        #expect(d.output == [Self.bs])
        _ = d.take()
        d.type("x")   // inserted before é: x, then é日 redrawn, back three columns
        #expect(d.output == Array("xé日".utf8) + [Self.bs, Self.bs, Self.bs])
        #expect(d.editor.line == "axé日" && d.editor.cursorPosition == 2)
        _ = d.take()
        d.type("\u{1B}[3~")   // Delete removes é whole
        #expect(d.editor.line == "ax日")
        d.type("\u{01}")   // Ctrl-A: back over a, x (2 columns)
        d.type("\u{05}\u{17}")   // Ctrl-E, Ctrl-W: the word "ax日"
        #expect(d.editor.line == "")
    }

    @Test func aCombiningMarkJoinsTheCharacterBefore() {
        var d = Driver()
        d.type("e")
        _ = d.take()
        d.type("\u{0301}")   // COMBINING ACUTE ACCENT: echoed as typed, no cursor move
        #expect(d.output == [0xCC, 0x81])
        #expect(d.editor.line == "e\u{0301}" && d.editor.cursorPosition == 1)
        _ = d.take()
        d.type([0x7F])   // one column back over the cluster, both scalars gone
        #expect(d.output == [Self.bs, 0x20, Self.bs])
        #expect(d.editor.line == "")
        // A ZWJ sequence becomes one cluster: one backspace removes it all.
        d.type("👩\u{200D}💻")
        #expect(d.editor.cursorPosition == 1)
        d.type([0x7F])
        #expect(d.editor.line == "")
    }

    @Test func invalidUTF8IsDroppedAndEditingGoesOn() {
        var d = Driver()
        _ = d.take()
        // A stray continuation, FF, a lead cut short by an ASCII byte, an overlong "/", a
        // surrogate, a C1 control (U+0085) and F5: all dropped; the ASCII between them stays.
        d.type([UInt8(ascii: "a"), 0x80, UInt8(ascii: "b"), 0xFF, UInt8(ascii: "c"), 0xE2, 0x82, UInt8(ascii: "d"),
                0xC0, 0xAF, UInt8(ascii: "e"), 0xED, 0xA0, 0x80, UInt8(ascii: "f"), 0xC2, 0x85, 0xF5, 0x80, 0x80, 0x80,
                UInt8(ascii: "g")])
        #expect(d.editor.line == "abcdefg")
        #expect(d.take() == "abcdefg")
        d.type("ü\r")
        #expect(d.events == [.line("abcdefgü")])
    }

    @Test func theLineCapCountsBytesAndRefusesAWholeCharacter() {
        var d = Driver()
        d.type(String(repeating: "a", count: LineEditor.maximumLineLength - 1))
        _ = d.take()
        d.type("é")   // two bytes: one too many
        #expect(d.output == [LineEditor.bell])
        #expect(d.editor.line.utf8.count == LineEditor.maximumLineLength - 1)
        d.type("b")   // one byte fits
        #expect(d.editor.line.utf8.count == LineEditor.maximumLineLength)
        #expect(d.editor.line.hasSuffix("ab"))
    }

    @Test func masksAreOnePerCharacter() {
        var d = Driver(EditingContext(prompt: "Password :", echo: .masked, recordsHistory: false))
        _ = d.take()
        d.type("pä€")
        #expect(d.take() == "***")
        d.type([0x7F])
        #expect(d.output == [Self.bs, 0x20, Self.bs])
        d.type("\r")
        #expect(d.events == [.line("pä")])
    }

    @Test func historyAndCompletionKeepCharacters() {
        var d = Driver(EditingContext(prompt: "> ", complete: { line in line == "sé" ? .replace("séance ") : .none }))
        d.type("sé\t")
        #expect(d.editor.line == "séance ")
        d.type("\r\u{1B}[A")
        #expect(d.editor.line == "séance " && d.editor.cursorPosition == 7)
    }

    /// Through the telnet connection handler: the bytes of "é" in separate TCP segments and
    /// the session gets the line as text.
    @Test func theTelnetHandlerPassesUTF8Through() throws {
        let handler = TelnetConnectionHandler(
            peer: "test", limits: .init(idleTimeout: .minutes(10), maximumBufferedOutput: 1 << 16), logger: .init(label: "test"))
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(ByteBuffer(bytes: [255, 253, 1]))   // DO ECHO
        let results = TelnetConnectionHandlerTests.Results()
        handler.readLine(EditingContext(prompt: "> ")) { results.lines.append($0) }
        while (try channel.readOutbound(as: ByteBuffer.self)) != nil {}
        try channel.writeInbound(ByteBuffer(bytes: [0x63, 0x61, 0x66, 0xC3]))
        try channel.writeInbound(ByteBuffer(bytes: [0xA9, 0x7F, 0xC3, 0xA8, 0x0D, 0x0A]))
        var echoed: [UInt8] = []
        while let b = try channel.readOutbound(as: ByteBuffer.self) { echoed += b.readableBytesView }
        #expect(echoed == Array("café".utf8) + [0x08, 0x20, 0x08] + Array("è\r\n".utf8))
        #expect(results.lines == [.line("cafè")])
        _ = try channel.finish()
    }
}
