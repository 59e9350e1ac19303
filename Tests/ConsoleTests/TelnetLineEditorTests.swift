import Testing
@testable import Console

@Suite struct TelnetLineEditorTests {
    /// Feeds bytes, collecting the output and the events; starts a new line with `context`
    /// after each event, as the connection does.
    struct Driver {
        var editor = LineEditor(remoteEcho: true)
        var context: EditingContext
        var output: [UInt8] = []
        var events: [LineEditor.Event] = []

        init(_ context: EditingContext = EditingContext(prompt: "> ")) {
            self.context = context
            output = editor.begin(context)
        }

        mutating func type(_ bytes: [UInt8]) {
            var rest = bytes[...]
            while !rest.isEmpty {
                let r = editor.receive(rest)
                output += r.output
                rest = rest.dropFirst(r.consumed)
                if let e = r.event {
                    events.append(e)
                    output += editor.begin(context)
                }
            }
        }
        mutating func type(_ s: String) { type(Array(s.utf8)) }
        var text: String { String(decoding: output, as: UTF8.self) }
        mutating func take() -> String { defer { output = [] }; return text }

        /// What a terminal shows on the current line after the output (handles BS, CR,
        /// ESC [ K / J as erase to end of line).
        static func screenLine(_ bytes: [UInt8]) -> String {
            var line: [UInt8] = [], col = 0, i = 0
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case 0x08: col = max(0, col - 1)
                case 0x0D: col = 0
                case 0x0A: line = []; col = 0
                case 0x07, 0x00: break
                case 0x1B:
                    if i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "["), bytes[i + 2] == UInt8(ascii: "K") || bytes[i + 2] == UInt8(ascii: "J") {
                        line = Array(line.prefix(col)); i += 2
                    }
                default:
                    if col < line.count { line[col] = b } else { line.append(b) }
                    col += 1
                }
                i += 1
            }
            // Trailing blanks are erased cells.
            while line.last == 0x20 { line.removeLast() }
            return String(decoding: line, as: UTF8.self)
        }
        var screen: String { Self.screenLine(output) }
    }

    @Test func insertInTheMiddleWithArrows() {
        var d = Driver()
        d.type("shw")
        d.type("\u{1B}[D")
        d.type("o")
        #expect(d.editor.line == "show")
        #expect(d.screen == "> show")
        #expect(d.editor.cursorPosition == 3)
        d.type("\u{1B}OC\u{1B}[C x\r")  // ESC O C also moves; right at the end does nothing
        #expect(d.events == [.line("show x")])
    }

    @Test func backspaceBothCodesErasesOnScreen() {
        var d = Driver()
        d.type("abcd\u{7F}\u{08}")
        #expect(d.editor.line == "ab")
        #expect(d.screen == "> ab")
        d.type("\u{1B}[D\u{7F}")  // backspace in the middle: "b" stays
        #expect(d.editor.line == "b")
        #expect(d.screen == "> b")
        d.type("\u{7F}\u{7F}")  // at the start: nothing happens
        #expect(d.editor.line == "b")
    }

    @Test func ctrlUAndCtrlW() {
        var d = Driver()
        d.type("show  network\u{17}")
        #expect(d.editor.line == "show  ")
        d.type("\u{17}")
        #expect(d.editor.line == "")
        d.type("one two\u{15}")
        #expect(d.editor.line == "")
        #expect(d.screen == ">")
        d.type("ab cd\u{01}X\u{05}Y\r")  // Ctrl-A home, Ctrl-E end
        #expect(d.events == [.line("Xab cdY")])
    }

    @Test func historyUpDownSkipsUnrecordedLines() {
        var d = Driver()
        d.type("first\r")
        d.context = EditingContext(prompt: "Password :", echo: .masked, recordsHistory: false)
        d.output += d.editor.begin(d.context)
        d.type("secret\r")
        d.context = EditingContext(prompt: "> ")
        d.output += d.editor.begin(d.context)
        d.type("second\r")
        d.type("dra")
        d.type("\u{1B}[A")
        #expect(d.editor.line == "second")
        d.type("\u{1B}[A")
        #expect(d.editor.line == "first")
        d.type("\u{1B}[A")  // top: stays
        #expect(d.editor.line == "first")
        #expect(d.screen == "> first")
        d.type("\u{1B}[B\u{1B}[B")
        #expect(d.editor.line == "dra")
        #expect(d.screen == "> dra")
        #expect(d.editor.history == ["first", "second"])
    }

    @Test func maskedEchoShowsStarsAndOffShowsNothing() {
        var d = Driver(EditingContext(prompt: "Password :", echo: .masked, recordsHistory: false))
        _ = d.take()
        d.type("cisco")
        #expect(d.text == "*****")
        d.type("\u{7F}")
        #expect(d.screen == "****")
        d.type("o\r")
        #expect(d.events == [.line("cisco")])
        #expect(!d.text.contains("c"))
        var off = Driver(EditingContext(prompt: "", echo: .off))
        _ = off.take()
        off.type("abc\u{7F}d\r")
        #expect(off.text == "\r\n")
        #expect(off.events == [.line("abd")])
    }

    @Test func tabReplaceAndCandidates() {
        let context = EditingContext(prompt: "SIP Phone> ", complete: { buffer in
            switch buffer {
            case "sh": .replace("show ")
            case "show ": .candidates(["network", "register"])
            default: .none
            }
        })
        var d = Driver(context)
        d.type("sh\t")
        #expect(d.editor.line == "show ")
        #expect(d.screen == "SIP Phone> show")
        #expect(d.text.hasSuffix("SIP Phone> show "))  // only the rest of the word is sent
        _ = d.take()
        d.type("\t")
        #expect(d.text == "\r\nnetwork  register\r\nSIP Phone> show ")
        #expect(d.editor.line == "show ")
        _ = d.take()
        d.type("zz\t")
        #expect(d.text == "zz\u{07}")
    }

    @Test func questionMarkPrintsHelpAndRedraws() {
        let context = EditingContext(prompt: "P> ", help: { buffer in
            buffer == "sh" ? ["show    Show running system information"] : ["?"]
        })
        var d = Driver(context)
        d.type("sh")
        _ = d.take()
        d.type("?")
        #expect(d.text == "?\r\nshow    Show running system information\r\nP> sh")
        #expect(d.editor.line == "sh")
        // Without help (the password prompt) `?` is an ordinary character.
        var p = Driver(EditingContext(prompt: "Password :", echo: .masked))
        p.type("a?\r")
        #expect(p.events == [.line("a?")])
    }

    @Test func lineEndsEachEndOneLine() {
        for end in ["\r\n", "\r\u{0}", "\r", "\n"] {
            var d = Driver()
            d.type("a" + end + "b" + end)
            #expect(d.events == [.line("a"), .line("b")], "line end \(Array(end.utf8))")
        }
        // CR | LF split across packets: still one line.
        var d = Driver()
        d.type("x\r")
        d.type("\ny\r")
        d.type("\u{0}")
        d.type("\n")
        #expect(d.events == [.line("x"), .line("y"), .line("")])
    }

    @Test func overLongLineIsCutWithOneBell() {
        var d = Driver()
        _ = d.take()
        d.type(String(repeating: "a", count: 600))
        #expect(d.editor.line.count == LineEditor.maximumLineLength)
        #expect(d.output.filter { $0 == 0x07 }.count == 1)
        d.type("\r")
        #expect(d.events == [.line(String(repeating: "a", count: 512))])
    }

    @Test func ctrlCAndCtrlD() {
        var d = Driver()
        d.type("abc\u{03}")
        #expect(d.events == [.interrupt])
        d.type("x\u{04}")  // not empty: delete at the cursor (nothing there)
        #expect(d.events == [.interrupt])
        d.type("\u{15}\u{04}")
        #expect(d.events == [.interrupt, .eof])
    }

    @Test func asynchronousTextIsPrintedAboveTheLine() {
        var d = Driver(EditingContext(prompt: "SIP Phone> "))
        d.type("show netw\u{1B}[D\u{1B}[D")
        _ = d.take()
        d.output = d.editor.printAbove("REG: registered line 1\n")
        #expect(d.text == "\r\u{1B}[JREG: registered line 1\r\nSIP Phone> show netw\u{08}\u{08}")
        d.type("X")
        #expect(d.editor.line == "show neXtw")
    }

    @Test func localEchoModeSendsNoEcho() {
        var d = Driver()
        d.editor.remoteEcho = false
        _ = d.take()
        d.type("show\u{7F}w ?\t\r\n")
        #expect(d.events == [.line("show ? ")])
        #expect(d.text == "> ")  // only the next prompt
    }
}
