import TextUtilities
import CEditLine
import Diagnostics
import Logging
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The serial console (GUIDE.md §4.1): a tty device (`--console /dev/ttyS0`, or a pty in
/// tests) set up by `SerialPort`, or the daemon's own standard input when it runs in the
/// foreground on a terminal. Lines are edited with libedit (history, arrows, Tab completion
/// and `?` help from the command declarations); the password is read with `*` echo.
///
/// Input is UTF-8: the console thread runs in the C.UTF-8 locale (for libedit's widths and
/// its wide-to-narrow conversion of the line) and reads the device through its own libedit
/// read function, which decodes UTF-8 and drops invalid bytes as the telnet editor does.
/// Output that arrives while a line is edited (debug categories, `show` of a background
/// event) is printed on lines of its own above it, and libedit then redraws the prompt and
/// the line typed so far with the cursor where it was (`ConsoleOutput`, `EditorState`).
///
/// One dedicated thread runs the blocking editor and drives one session at a time; when a
/// session ends (`exit`) a new one starts with the login prompt, like a real console.
public final class SerialConsole: Sendable {
    public enum Device: Sendable, Equatable {
        /// A tty device path, opened and configured at `speed`.
        case path(String, speed: Int)
        /// The process's standard input and output, as they are.
        case standardIO
    }

    public let device: Device
    private let factory: TerminalSessionFactory
    private let log = Logger.category(.plat)
    private let stopped = Atomic<Bool>(false)

    public init(device: Device, factory: @escaping TerminalSessionFactory) {
        self.device = device
        self.factory = factory
    }

    /// Opens the device and starts the console thread.
    public func start() throws {
        // libedit is loaded now, with the first console (EditLineLibrary).
        if case .failure(let error) = EditLineLibrary.loaded { throw SerialPort.SetupError(description: "line editing: \(error)") }
        let (input, output): (Int32, Int32)
        let peer: String
        switch device {
        case .path(let p, let speed):
            let fd = try SerialPort.open(p, speed: speed)
            (input, output, peer) = (fd, fd, p)
        case .standardIO:
            (input, output, peer) = (dup(0), dup(1), "console")
        }
        let thread = ConsoleThread(input: input, output: output, peer: peer, factory: factory, console: self)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        var tid = pthread_t()
        let box = Unmanaged.passRetained(thread).toOpaque()
        let rc = pthread_create(&tid, &attributes, { arg in
            guard let arg else { return nil }
            Unmanaged<ConsoleThread>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, box)
        pthread_attr_destroy(&attributes)
        guard rc == 0 else {
            Unmanaged<ConsoleThread>.fromOpaque(box).release()
            throw SerialPort.SetupError(description: "cannot start the console thread: \(String(cString: strerror(rc)))")
        }
        pthread_detach(tid)
        log.info("console on \(peer)")
    }

    /// Stops after the current line (the thread is blocked reading until then).
    public func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }
}

/// Writes to the console descriptor, "\n" as CR LF (the line is in raw mode: no output
/// processing). Any thread may write. While libedit edits a line, text is queued instead and
/// a byte on `wake` tells the console thread, which prints it above the line and has libedit
/// redraw (`EditorState.printQueued`); libedit is not thread-safe, so only that thread may
/// touch the screen then.
final class ConsoleOutput: TerminalOutput {
    let fd: Int32
    let wake: (read: Int32, write: Int32)
    private struct Held {
        var editing = false
        var queued: [String] = []
    }
    private let held = NIOLockedValueBox(Held())

    init(fd: Int32) {
        self.fd = fd
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for p in fds { _ = fcntl(p, F_SETFL, fcntl(p, F_GETFL) | O_NONBLOCK); _ = fcntl(p, F_SETFD, FD_CLOEXEC) }
        }
        wake = (fds[0], fds[1])
    }

    deinit {
        if wake.read >= 0 { close(wake.read) }
        if wake.write >= 0 { close(wake.write) }
    }

    func write(_ text: String) {
        let queued = held.withLockedValue { h -> Bool in
            guard h.editing, wake.write >= 0 else {
                Self.raw(fd, text)
                return false
            }
            h.queued.append(text)
            return true
        }
        if queued {
            var byte: UInt8 = 1
            _ = Glibc.write(wake.write, &byte, 1)
        }
    }

    /// Writes now, editing or not: the console thread's own output during an edit (Tab's
    /// candidates, `?` help), which libedit redraws after.
    func writeNow(_ text: String) { held.withLockedValue { _ in Self.raw(fd, text) } }

    /// libedit starts editing a line: output is queued from now on.
    func beginEditing() { held.withLockedValue { $0.editing = true } }

    /// The line is done: what is still queued is written, and output goes straight out again.
    func endEditing() {
        held.withLockedValue { h in
            h.editing = false
            for text in h.queued { Self.raw(fd, text) }
            h.queued.removeAll()
        }
        drainWake()
    }

    /// Takes the queued text and writes `prefix` and it, under the lock (the console thread,
    /// during an edit). Returns false when nothing was queued.
    func writeQueued(after prefix: String) -> Bool {
        drainWake()
        return held.withLockedValue { h in
            guard !h.queued.isEmpty else { return false }
            var text = h.queued.joined()
            h.queued.removeAll()
            if !text.hasSuffix("\n") { text += "\n" }
            Self.raw(fd, prefix + text)
            return true
        }
    }

    private func drainWake() {
        var sink = [UInt8](repeating: 0, count: 64)
        while wake.read >= 0, read(wake.read, &sink, sink.count) > 0 {}
    }

    private static func raw(_ fd: Int32, _ text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for b in text.utf8 {
            if b == 0x0A { bytes.append(0x0D) }
            bytes.append(b)
        }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}

/// What libedit's callbacks (plain C functions) reach through EL_CLIENTDATA.
final class EditorState {
    var prompt: UnsafeMutablePointer<CChar>?
    var promptText = ""
    var context: EditingContext
    let output: ConsoleOutput
    let input: Int32

    init(context: EditingContext, output: ConsoleOutput, input: Int32) {
        self.context = context
        self.output = output
        self.input = input
    }

    /// libedit's read function (EL_GETCFN): the next character typed, as a wide character
    /// (1), end of input (0) or an error (-1). Waits on the device and on the output's wake
    /// pipe; queued output is printed above the line meanwhile. UTF-8 is decoded here: a
    /// sequence cut short, a stray continuation byte, an overlong form, a surrogate, a C1
    /// control or F5–FF is dropped.
    func readCharacter(_ el: OpaquePointer, _ wc: UnsafeMutablePointer<wchar_t>) -> Int32 {
        var pending: [UInt8] = []
        var length = 0
        while true {
            var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: output.wake.read, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, nfds_t(output.wake.read >= 0 ? 2 : 1), -1) < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if fds[1].revents != 0 { printQueued(el) }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let n = read(input, &byte, 1)
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n < 0 && errno == EIO { return 0 }   // a pty whose other side closed
            if n <= 0 { return n == 0 ? 0 : -1 }
            if length > 0 {
                if byte & 0xC0 == 0x80 {
                    pending.append(byte)
                    guard pending.count == length else { continue }
                    defer { pending.removeAll(); length = 0 }
                    guard let text = String(validating: pending, as: UTF8.self), let scalar = text.unicodeScalars.first,
                          !(0x80...0x9F).contains(scalar.value) else { continue }
                    wc.pointee = wchar_t(bitPattern: scalar.value)
                    return 1
                }
                pending.removeAll()   // cut short: this byte starts afresh
                length = 0
            }
            switch byte {
            case 0x00...0x7F:
                wc.pointee = wchar_t(byte)
                return 1
            case 0xC2...0xF4:
                pending = [byte]
                length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            default:
                continue
            }
        }
    }

    /// Output queued during the edit: erase the prompt and the line (from the row the cursor
    /// is on, when the line wraps), print the text on lines of its own, then have libedit
    /// draw the prompt and the line again with the cursor where it was.
    func printQueued(_ el: OpaquePointer) {
        guard let lib = EditLineLibrary.functions else { return }
        var column = promptText.reduce(0) { $0 + LineEditor.columns($1) }
        column += ConsoleThread.lineBeforeCursor(el).reduce(0) { $0 + LineEditor.columns($1) }
        let width = Int(cedit_columns(lib, el))
        let up = width > 0 ? column / width : 0
        guard output.writeQueued(after: (up > 0 ? "\u{1B}[\(up)A" : "") + "\r\u{1B}[J") else { return }
        cedit_refresh(lib, el)
    }

    func setPrompt(_ text: String) {
        free(prompt)
        prompt = strdup(text)
        promptText = text
    }

    deinit { free(prompt) }
}

/// The console's thread: libedit, and the session loop.
final class ConsoleThread: @unchecked Sendable {
    let input: Int32, output: ConsoleOutput, peer: String
    let factory: TerminalSessionFactory
    let console: SerialConsole
    let log = Logger.category(.plat)

    init(input: Int32, output: Int32, peer: String, factory: @escaping TerminalSessionFactory, console: SerialConsole) {
        self.input = input
        self.output = ConsoleOutput(fd: output)
        self.peer = peer
        self.factory = factory
        self.console = console
    }

    func run() {
        // libedit measures and converts characters in the thread's locale; a daemon runs in
        // "C", where anything above ASCII would show as octal escapes.
        if let utf8 = newlocale(1 << LC_CTYPE, "C.UTF-8", nil) {
            uselocale(utf8)
        } else {
            log.warning("console \(peer): no C.UTF-8 locale; non-ASCII input shows as escapes")
        }
        guard let lib = EditLineLibrary.functions else { return }   // start() checked it
        guard let fin = fdopen(input, "r"), let fout = fdopen(dup(output.fd), "w") else {
            log.error("console \(peer): cannot open the device streams")
            return
        }
        setvbuf(fout, nil, _IONBF, 0)
        guard let el = lib.pointee.el_init("deskphoned", fin, fout, fout), let history = lib.pointee.history_init() else {
            log.error("console \(peer): libedit did not start")
            return
        }
        defer { lib.pointee.el_end(el); lib.pointee.history_end(history) }
        let state = EditorState(context: EditingContext(prompt: ""), output: output, input: input)
        let statePointer = Unmanaged.passRetained(state)
        defer { statePointer.release() }
        cedit_set_clientdata(lib, el, statePointer.toOpaque())
        cedit_set_editor(lib, el, "emacs")
        cedit_set_getcfn(lib, el, { el, wc in
            guard let el, let wc, let lib = EditLineLibrary.functions, let raw = cedit_get_clientdata(lib, el) else { return -1 }
            return Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue().readCharacter(el, wc)
        })
        cedit_history_size(lib, history, 100)
        cedit_set_history(lib, el, history)
        cedit_set_prompt(lib, el, { el in
            guard let el, let lib = EditLineLibrary.functions, let raw = cedit_get_clientdata(lib, el) else { return nil }
            return Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue().prompt
        })
        cedit_add_function(lib, el, "deskphone-complete", "Complete the word", { el, _ in
            guard let el, let lib = EditLineLibrary.functions, let raw = cedit_get_clientdata(lib, el) else { return UInt8(CC_ERROR) }
            return ConsoleThread.complete(el, Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue())
        })
        cedit_add_function(lib, el, "deskphone-help", "List what may follow", { el, ch in
            guard let el, let lib = EditLineLibrary.functions, let raw = cedit_get_clientdata(lib, el) else { return UInt8(CC_ERROR) }
            return ConsoleThread.help(el, Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue(), ch)
        })
        cedit_bind(lib, el, "^I", "deskphone-complete")
        cedit_bind(lib, el, "?", "deskphone-help")

        while !console.isStopped {
            let session = factory(peer)
            let out = output
            Blocking.run { await session.start(output: out) }
            var ended = false
            while !ended, !console.isStopped {
                let context = Blocking.run { await session.editingContext() }
                state.context = context
                let line: String?
                if context.echo == .normal {
                    state.setPrompt(context.prompt)
                    var count: Int32 = 0
                    output.beginEditing()
                    line = lib.pointee.el_gets(el, &count).map { String(cString: $0) }.map { String($0.trimmingSuffix(while: \.isNewline)) }
                    output.endEditing()
                    if let line, context.recordsHistory, !line.isEmpty { cedit_history_enter(lib, history, line) }
                } else {
                    line = readMasked(prompt: context.prompt, echo: context.echo)
                }
                guard let line else { ended = true; break }
                Blocking.run { await session.handle(line: line) }
                ended = Blocking.run { await session.isFinished() }
            }
            Blocking.run { await session.close() }
            if !ended || console.isStopped { break }   // end of input: the device went away
        }
        log.info("console on \(peer) closed")
    }

    /// Reads a line without libedit, echoing `*` (or nothing) per character; backspace works.
    func readMasked(prompt: String, echo: EchoMode) -> String? {
        // On a terminal in its usual (cooked, echoing) mode — the daemon's own standard input —
        // the password would appear as typed: switch echo and line buffering off meanwhile.
        var saved = termios()
        let isTerminal = isatty(input) == 1 && tcgetattr(input, &saved) == 0
        if isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~(tcflag_t(ECHO) | tcflag_t(ICANON))
            withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            tcsetattr(input, TCSANOW, &quiet)
        }
        defer { if isTerminal { tcsetattr(input, TCSANOW, &saved) } }
        output.write(prompt)
        var bytes: [UInt8] = []
        var b: UInt8 = 0
        while true {
            let n = read(input, &b, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            switch b {
            case 0x0D, 0x0A:
                output.write("\n")
                return String(decoding: bytes, as: UTF8.self)
            case 0x08, 0x7F:
                // A whole UTF-8 sequence: its continuation bytes, then its lead.
                while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
                if !bytes.isEmpty {
                    bytes.removeLast()
                    if echo == .masked { output.write("\u{8} \u{8}") }
                }
            case 0x03, 0x15:   // Ctrl-C, Ctrl-U: start again
                bytes.removeAll()
                output.write("\n" + prompt)
            case 0x04 where bytes.isEmpty:
                return nil
            default:
                // One `*` per character typed (a UTF-8 lead or an ASCII byte; continuation
                // bytes add none); invalid UTF-8 becomes U+FFFD in the password.
                guard b >= 0x20, b != 0x7F, bytes.count < 128 else { continue }
                bytes.append(b)
                if echo == .masked, b & 0xC0 != 0x80 { output.write("*") }
            }
        }
    }

    /// The line up to the cursor, as libedit holds it (the console thread only).
    static func lineBeforeCursor(_ el: OpaquePointer) -> String { currentLine(el) }

    static func currentLine(_ el: OpaquePointer) -> String {
        guard let lib = EditLineLibrary.functions, let info = lib.pointee.el_line(el)?.pointee, let start = info.buffer, let end = info.cursor else { return "" }
        let length = end - start
        guard length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self)
    }

    static func complete(_ el: OpaquePointer, _ state: EditorState) -> UInt8 {
        guard let lib = EditLineLibrary.functions else { return UInt8(CC_ERROR) }
        let buffer = currentLine(el)
        switch state.context.complete(buffer) {
        case .none:
            return UInt8(CC_REFRESH_BEEP)
        case .replace(let new):
            let common = zip(buffer.utf8, new.utf8).prefix { $0 == $1 }.count
            lib.pointee.el_deletestr(el, Int32(buffer.utf8.count - common))
            _ = String(decoding: Array(new.utf8.dropFirst(common)), as: UTF8.self).withCString { lib.pointee.el_insertstr(el, $0) }
            return UInt8(CC_REFRESH)
        case .candidates(let words):
            state.output.writeNow("\n" + words.joined(separator: "  ") + "\n")
            return UInt8(CC_REDISPLAY)
        }
    }

    static func help(_ el: OpaquePointer, _ state: EditorState, _ ch: Int32) -> UInt8 {
        guard let lib = EditLineLibrary.functions else { return UInt8(CC_ERROR) }
        guard let help = state.context.help else {
            _ = "?".withCString { lib.pointee.el_insertstr(el, $0) }
            return UInt8(CC_REFRESH)
        }
        let lines = help(currentLine(el))
        state.output.writeNow("?\n" + lines.joined(separator: "\n") + "\n")
        return UInt8(CC_REDISPLAY)
    }
}

