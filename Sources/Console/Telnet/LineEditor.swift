/// Character-at-a-time line editing for a telnet client whose echo the server does (RFC 857),
/// without I/O: bytes in, bytes to send and line events out. Driven by the `EditingContext`
/// of the session: prompt, echo mode, history, Tab completion and `?` help.
///
/// When the client echoes locally instead (it refused WILL ECHO), `remoteEcho` is false: the
/// editor then sends no echo or redraw of its own and only assembles the lines the client sends.
///
/// Input is UTF-8 (RFC 5198 for network text; the phone's own output is ASCII). The line is
/// kept as grapheme clusters: a character arrives whole (its bytes may come in separate
/// segments) and is echoed as the bytes typed; a combining mark joins the character before
/// it, and backspace, Delete, the arrows and Ctrl-W step over whole clusters. Cursor moves
/// are drawn in terminal columns (`Self.columns`: 0 for marks, 2 for wide East Asian and
/// emoji characters). Invalid UTF-8 (a stray continuation byte, a sequence cut short by
/// another byte, an overlong form, a surrogate, a C1 control) is dropped: the bytes before
/// and after it edit as usual.
public struct LineEditor: Sendable {
    public enum Event: Sendable, Equatable {
        /// Return: the line (the editor is idle until the next `begin`).
        case line(String)
        /// Ctrl-C (the line is abandoned; the editor is idle).
        case interrupt
        /// Ctrl-D on an empty line (the editor is idle).
        case eof
    }

    /// What `receive` did.
    public struct Result: Sendable, Equatable {
        /// Bytes for the terminal (NVT line ends; IAC not yet doubled).
        public var output: [UInt8] = []
        /// The event that ended the edit, if any; bytes after it were not consumed.
        public var event: Event?
        /// How many of the given bytes were consumed.
        public var consumed = 0
    }

    /// Longer lines are cut, with a bell. The cap counts UTF-8 bytes (what the session and
    /// the command parser receive); a character that would cross it is refused whole.
    public static let maximumLineLength = 512
    public static let bell: UInt8 = 0x07

    /// Whether the server echoes (the client agreed to WILL ECHO).
    public var remoteEcho: Bool
    /// The terminal width (NAWS), used to erase a wrapped line before asynchronous output.
    public var columns: Int?
    public let historyLimit: Int
    public private(set) var history: [String] = []

    private var context: EditingContext?
    /// The line as grapheme clusters; `cursor` indexes it.
    private var buffer: [Character] = [] {
        didSet { bufferBytes = nil }
    }
    /// The UTF-8 bytes of `buffer`, counted when needed and kept until it changes: a flood of
    /// input past the cap is refused character by character without counting the line again
    /// each time (that made 256 KB typed at the password prompt take the loop for seconds).
    private var bufferBytes: Int?
    private var cursor = 0
    /// The bytes of a UTF-8 sequence begun, and how many it has in all.
    private var pending: [UInt8] = []
    private var pendingLength = 0
    /// The history entry shown (history.count: the line being typed).
    private var historyIndex = 0
    /// The line being typed while the history is walked.
    private var draft: [Character] = []
    private var rangBell = false
    /// A CR ended the last line: a following LF or NUL belongs to it (RFC 854 CR LF, CR NUL).
    private var afterCR = false
    private var escape = EscapeState.none

    private enum EscapeState: Sendable {
        case none
        case escape
        /// ESC [ or ESC O and the parameter bytes so far.
        case sequence([UInt8])
    }

    public init(remoteEcho: Bool = true, historyLimit: Int = 32) {
        self.remoteEcho = remoteEcho
        self.historyLimit = historyLimit
    }

    /// Whether a line is being edited (between `begin` and its event).
    public var isEditing: Bool { context != nil }
    /// The line typed so far.
    public var line: String { String(buffer) }
    /// The cursor, in characters (grapheme clusters) from the start of the line.
    public var cursorPosition: Int { cursor }

    /// Starts a line: returns the prompt to send.
    public mutating func begin(_ context: EditingContext) -> [UInt8] {
        self.context = context
        buffer.removeAll()
        cursor = 0
        draft.removeAll()
        pending.removeAll()
        historyIndex = history.count
        rangBell = false
        return TelnetEncoder.lineEnds(context.prompt)
    }

    /// Stops editing without an event (the connection is closing).
    public mutating func cancel() {
        context = nil
    }

    /// Feeds received data bytes. Stops after the byte that ends the line.
    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) -> Result where Bytes.Element == UInt8 {
        var result = Result()
        for byte in bytes {
            guard context != nil else { break }
            result.consumed += 1
            if let event = receive(byte, into: &result.output) {
                result.event = event
                context = nil
                break
            }
        }
        return result
    }

    /// Text that arrives while a line is edited: erase the prompt and the line, print the
    /// text, then draw the prompt, the line and the cursor again. Outside editing, just the text.
    public mutating func printAbove(_ text: String) -> [UInt8] {
        var body = TelnetEncoder.lineEnds(text)
        guard let context else { return body }
        if !text.hasSuffix("\n") { body += [0x0D, 0x0A] }
        var out: [UInt8] = []
        if remoteEcho {
            let promptWidth = context.prompt.unicodeScalars.count
            let cursorColumn = promptWidth + displayWidth(buffer[..<cursor])
            if let columns, columns > 0, cursorColumn >= columns {
                out += Array("\u{1B}[\(cursorColumn / columns)A".utf8)
            }
            out += Array("\r\u{1B}[J".utf8)
            out += body
            out += redrawLine()
        } else {
            // The client shows its own echo of what was typed; start below it.
            out += [0x0D, 0x0A]
            out += body
            out += TelnetEncoder.lineEnds(context.prompt)
        }
        return out
    }

    // MARK: One byte

    private mutating func receive(_ byte: UInt8, into out: inout [UInt8]) -> Event? {
        if afterCR {
            afterCR = false
            if byte == 0x0A || byte == 0x00 { return nil }
        }
        switch escape {
        case .none: break
        case .escape:
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "O") {
                escape = .sequence([])
            } else {
                escape = .none  // ESC and one character (Meta-x): not supported, ignored
            }
            return nil
        case .sequence(var parameters):
            if (0x30...0x3F).contains(byte) || (0x20...0x2F).contains(byte) {
                if parameters.count < 8 { parameters.append(byte) }
                escape = .sequence(parameters)
                return nil
            }
            escape = .none
            escapeSequence(final: byte, parameters: parameters, into: &out)
            return nil
        }

        if !pending.isEmpty {
            if byte & 0xC0 == 0x80 {
                pending.append(byte)
                if pending.count == pendingLength {
                    defer { pending.removeAll() }
                    if let text = String(validating: pending, as: UTF8.self),
                       let scalar = text.unicodeScalars.first, !(0x80...0x9F).contains(scalar.value) {
                        insert(text, into: &out)
                    }
                }
                return nil
            }
            pending.removeAll()   // cut short by this byte: the sequence is dropped, the byte counts
        }

        switch byte {
        case 0x0D, 0x0A:
            afterCR = byte == 0x0D
            return endLine(into: &out)
        case 0x03:  // Ctrl-C
            if remoteEcho { out += Array("^C\r\n".utf8) }
            buffer.removeAll()
            cursor = 0
            return .interrupt
        case 0x04:  // Ctrl-D
            if buffer.isEmpty {
                if remoteEcho { out += [0x0D, 0x0A] }
                return .eof
            }
            deleteForward(into: &out)
        case 0x08, 0x7F: deleteBackward(into: &out)
        case 0x15: delete(from: 0, into: &out)  // Ctrl-U
        case 0x17: delete(from: wordStart(), into: &out)  // Ctrl-W
        case 0x01: moveCursor(to: 0, into: &out)  // Ctrl-A
        case 0x05: moveCursor(to: buffer.count, into: &out)  // Ctrl-E
        case 0x02: moveCursor(to: cursor - 1, into: &out)  // Ctrl-B
        case 0x06: moveCursor(to: cursor + 1, into: &out)  // Ctrl-F
        case 0x0C: if remoteEcho { out += [0x0D, 0x0A] + redrawLine() }  // Ctrl-L
        case 0x1B: escape = .escape
        case 0x09:
            if remoteEcho { complete(into: &out) } else { insert(" ", into: &out) }
        case UInt8(ascii: "?") where context?.help != nil && remoteEcho:
            help(into: &out)
        case 0x20...0x7E:
            insert(String(UnicodeScalar(byte)), into: &out)
        case 0xC2...0xF4:
            pending = [byte]
            pendingLength = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        default:
            break  // other control characters, stray continuation bytes and C0, C1, F5–FF are ignored
        }
        return nil
    }

    private mutating func escapeSequence(final: UInt8, parameters: [UInt8], into out: inout [UInt8]) {
        switch final {
        case UInt8(ascii: "A"): walkHistory(by: -1, into: &out)
        case UInt8(ascii: "B"): walkHistory(by: 1, into: &out)
        case UInt8(ascii: "C"): moveCursor(to: cursor + 1, into: &out)
        case UInt8(ascii: "D"): moveCursor(to: cursor - 1, into: &out)
        case UInt8(ascii: "H"): moveCursor(to: 0, into: &out)
        case UInt8(ascii: "F"): moveCursor(to: buffer.count, into: &out)
        case UInt8(ascii: "~"):
            switch parameters {
            case [UInt8(ascii: "1")], [UInt8(ascii: "7")]: moveCursor(to: 0, into: &out)
            case [UInt8(ascii: "4")], [UInt8(ascii: "8")]: moveCursor(to: buffer.count, into: &out)
            case [UInt8(ascii: "3")]: deleteForward(into: &out)
            default: break
            }
        default: break
        }
    }

    // MARK: Editing

    private mutating func endLine(into out: inout [UInt8]) -> Event {
        if remoteEcho { out += [0x0D, 0x0A] }
        let text = String(buffer)
        if context?.recordsHistory == true, !buffer.isEmpty, history.last != text {
            history.append(text)
            if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        }
        buffer.removeAll()
        cursor = 0
        return .line(text)
    }

    /// Inserts one scalar's text at the cursor: a character of its own, or part of the one
    /// before (a combining mark, a ZWJ sequence) when it joins it into one grapheme cluster.
    private mutating func insert(_ text: String, into out: inout [UInt8]) {
        let bytes = bufferBytes ?? Self.byteCount(buffer[...])
        bufferBytes = bytes
        guard bytes + text.utf8.count <= Self.maximumLineLength else {
            if !rangBell { out.append(Self.bell) }
            rangBell = true
            return
        }
        if cursor > 0, let text = text.first, case let joined = String(buffer[cursor - 1]) + String(text), joined.count == 1,
           let character = joined.first {
            // Same cluster: the echo is the bytes typed (the terminal joins them too).
            let before = buffer[cursor - 1]
            buffer[cursor - 1] = character
            guard remoteEcho else { return }
            let tail = buffer[cursor...]
            guard echo == .normal else { return }
            if Self.columns(character) == Self.columns(before) {
                out += Array(String(text).utf8)
            } else {
                // A joiner that widens the cluster (an emoji sequence): redraw it and the tail.
                let shrink = max(0, Self.columns(before) - Self.columns(character))
                out += back(Self.columns(before)) + display(buffer[(cursor - 1)...]) + spaces(shrink)
                out += back(displayWidth(tail) + shrink)
            }
            return
        }
        guard let character = text.first else { return }
        buffer.insert(character, at: cursor)
        cursor += 1
        guard remoteEcho else { return }
        let tail = buffer[(cursor - 1)...]
        out += display(tail)
        out += back(displayWidth(tail.dropFirst()))
    }

    private mutating func deleteBackward(into out: inout [UInt8]) {
        guard cursor > 0 else { return }
        moveCursor(to: cursor - 1, into: &out)
        deleteForward(into: &out)
    }

    private mutating func deleteForward(into out: inout [UInt8]) {
        guard cursor < buffer.count else { return }
        let removedWidth = displayWidth(buffer[cursor...cursor])
        buffer.remove(at: cursor)
        guard remoteEcho else { return }
        let tail = buffer[cursor...]
        out += display(tail) + spaces(removedWidth)
        out += back(displayWidth(tail) + removedWidth)
    }

    /// Deletes from `start` to the cursor.
    private mutating func delete(from start: Int, into out: inout [UInt8]) {
        guard start < cursor else { return }
        let removedWidth = displayWidth(buffer[start..<cursor])
        buffer.removeSubrange(start..<cursor)
        cursor = start
        guard remoteEcho else { return }
        let tail = buffer[cursor...]
        out += back(removedWidth) + display(tail) + spaces(removedWidth)
        out += back(displayWidth(tail) + removedWidth)
    }

    /// Where the word before the cursor starts (spaces before the cursor go with it).
    private func wordStart() -> Int {
        var i = cursor
        while i > 0 && buffer[i - 1] == " " { i -= 1 }
        while i > 0 && buffer[i - 1] != " " { i -= 1 }
        return i
    }

    private mutating func moveCursor(to position: Int, into out: inout [UInt8]) {
        let target = min(max(position, 0), buffer.count)
        guard target != cursor else { return }
        if remoteEcho {
            if target < cursor {
                out += back(displayWidth(buffer[target..<cursor]))
            } else {
                out += display(buffer[cursor..<target])
            }
        }
        cursor = target
    }

    /// Shows `text` as the whole line, cursor at its end. Only what differs from the old line
    /// is redrawn (a completion that extends the word just prints the rest).
    private mutating func replaceBuffer(with text: [Character], into out: inout [UInt8]) {
        var new: [Character] = []
        var bytes = 0
        for c in text where c.unicodeScalars.allSatisfy({ $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }) {
            bytes += c.utf8.count
            guard bytes <= Self.maximumLineLength else { break }
            new.append(c)
        }
        var common = 0
        while common < min(new.count, buffer.count) && new[common] == buffer[common] { common += 1 }
        if remoteEcho {
            if cursor > common {
                out += back(displayWidth(buffer[common..<cursor]))
            } else if cursor < common {
                out += display(buffer[cursor..<common])
            }
        }
        let oldTailWidth = displayWidth(buffer[common...])
        buffer = new
        cursor = buffer.count
        guard remoteEcho else { return }
        let newTailWidth = displayWidth(buffer[common...])
        out += display(buffer[common...])
        if newTailWidth < oldTailWidth { out += spaces(oldTailWidth - newTailWidth) + back(oldTailWidth - newTailWidth) }
    }

    private mutating func walkHistory(by step: Int, into out: inout [UInt8]) {
        guard context?.recordsHistory == true else { return }
        let target = historyIndex + step
        guard target >= 0 && target <= history.count && target != historyIndex else { return }
        if historyIndex == history.count { draft = buffer }
        historyIndex = target
        let text = target == history.count ? draft : Array(history[target])
        replaceBuffer(with: text, into: &out)
    }

    private mutating func complete(into out: inout [UInt8]) {
        guard let context else { return }
        switch context.complete(String(buffer)) {
        case .none:
            out.append(Self.bell)
        case .replace(let text):
            replaceBuffer(with: Array(text), into: &out)
        case .candidates(let words):
            out += [0x0D, 0x0A]
            out += TelnetEncoder.lineEnds(words.joined(separator: "  ") + "\n")
            out += redrawLine()
        }
    }

    private mutating func help(into out: inout [UInt8]) {
        guard let context, let help = context.help else { return }
        let lines = help(String(buffer))
        out += [UInt8(ascii: "?"), 0x0D, 0x0A]
        for line in lines { out += TelnetEncoder.lineEnds(line + "\n") }
        out += redrawLine()
    }

    // MARK: Drawing

    /// The prompt, the line, and the cursor back where it was.
    private func redrawLine() -> [UInt8] {
        guard let context else { return [] }
        return TelnetEncoder.lineEnds(context.prompt) + display(buffer[...]) + back(displayWidth(buffer[cursor...]))
    }

    private var echo: EchoMode { context?.echo ?? .normal }

    private func display(_ characters: ArraySlice<Character>) -> [UInt8] {
        switch echo {
        case .normal: characters.flatMap { $0.utf8 }
        case .masked: Array(repeating: UInt8(ascii: "*"), count: characters.count)
        case .off: []
        }
    }

    /// The terminal columns `characters` take as displayed.
    private func displayWidth(_ characters: ArraySlice<Character>) -> Int {
        switch echo {
        case .normal: characters.reduce(0) { $0 + Self.columns($1) }
        case .masked: characters.count
        case .off: 0
        }
    }

    static func byteCount(_ characters: ArraySlice<Character>) -> Int { characters.reduce(0) { $0 + $1.utf8.count } }

    /// The columns a terminal gives a grapheme cluster, as wcwidth(3) would in a UTF-8 locale
    /// (which a daemon does not run in, so this is our own small table): 0 for a lone mark or
    /// format character, 2 for emoji presentation and the East Asian Wide and Fullwidth
    /// blocks (UAX #11), 1 for the rest.
    static func columns(_ c: Character) -> Int {
        guard let first = c.unicodeScalars.first else { return 0 }
        if c.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation }) { return 2 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        switch first.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    private func back(_ count: Int) -> [UInt8] { Array(repeating: 0x08, count: count) }
    private func spaces(_ count: Int) -> [UInt8] { Array(repeating: 0x20, count: count) }
}
