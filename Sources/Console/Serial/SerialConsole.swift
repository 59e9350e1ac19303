import CEditLine
import Diagnostics
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The serial console (GUIDE.md §4.1): a tty device (`--console /dev/ttyS0`, or a pty in
/// tests) set up by `SerialPort`, or the daemon's own standard input when it runs in the
/// foreground on a terminal. Lines are edited with libedit (history, arrows, Tab completion
/// and `?` help from the command declarations); the password is read with `*` echo.
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
/// processing).
final class ConsoleOutput: TerminalOutput {
    let fd: Int32
    private let lock = Mutex(())

    init(fd: Int32) { self.fd = fd }

    func write(_ text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for b in text.utf8 {
            if b == 0x0A { bytes.append(0x0D) }
            bytes.append(b)
        }
        lock.withLock { _ in
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                off += n
            }
        }
    }
}

/// What libedit's callbacks (plain C functions) reach through EL_CLIENTDATA.
final class EditorState {
    var prompt: UnsafeMutablePointer<CChar>?
    var context: EditingContext
    let output: ConsoleOutput

    init(context: EditingContext, output: ConsoleOutput) {
        self.context = context
        self.output = output
    }

    func setPrompt(_ text: String) {
        free(prompt)
        prompt = strdup(text)
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
        guard let fin = fdopen(input, "r"), let fout = fdopen(dup(output.fd), "w") else {
            log.error("console \(peer): cannot open the device streams")
            return
        }
        setvbuf(fout, nil, _IONBF, 0)
        guard let el = el_init("deskphoned", fin, fout, fout), let history = history_init() else {
            log.error("console \(peer): libedit did not start")
            return
        }
        defer { el_end(el); history_end(history) }
        let state = EditorState(context: EditingContext(prompt: ""), output: output)
        let statePointer = Unmanaged.passRetained(state)
        defer { statePointer.release() }
        cedit_set_clientdata(el, statePointer.toOpaque())
        cedit_set_editor(el, "emacs")
        cedit_history_size(history, 100)
        cedit_set_history(el, history)
        cedit_set_prompt(el, { el in
            guard let el, let raw = cedit_get_clientdata(el) else { return nil }
            return Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue().prompt
        })
        cedit_add_function(el, "deskphone-complete", "Complete the word", { el, _ in
            guard let el, let raw = cedit_get_clientdata(el) else { return UInt8(CC_ERROR) }
            return ConsoleThread.complete(el, Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue())
        })
        cedit_add_function(el, "deskphone-help", "List what may follow", { el, ch in
            guard let el, let raw = cedit_get_clientdata(el) else { return UInt8(CC_ERROR) }
            return ConsoleThread.help(el, Unmanaged<EditorState>.fromOpaque(raw).takeUnretainedValue(), ch)
        })
        cedit_bind(el, "^I", "deskphone-complete")
        cedit_bind(el, "?", "deskphone-help")

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
                    line = el_gets(el, &count).map { String(cString: $0) }.map { $0.trimmingNewline() }
                    if let line, context.recordsHistory, !line.isEmpty { cedit_history_enter(history, line) }
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
                guard b >= 0x20, bytes.count < 128 else { continue }
                bytes.append(b)
                if echo == .masked { output.write("*") }
            }
        }
    }

    static func currentLine(_ el: OpaquePointer) -> String {
        guard let info = el_line(el)?.pointee, let start = info.buffer, let end = info.cursor else { return "" }
        let length = end - start
        guard length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self)
    }

    static func complete(_ el: OpaquePointer, _ state: EditorState) -> UInt8 {
        let buffer = currentLine(el)
        switch state.context.complete(buffer) {
        case .none:
            return UInt8(CC_REFRESH_BEEP)
        case .replace(let new):
            let common = zip(buffer.utf8, new.utf8).prefix { $0 == $1 }.count
            el_deletestr(el, Int32(buffer.utf8.count - common))
            _ = String(decoding: Array(new.utf8.dropFirst(common)), as: UTF8.self).withCString { el_insertstr(el, $0) }
            return UInt8(CC_REFRESH)
        case .candidates(let words):
            state.output.write("\n" + words.joined(separator: "  ") + "\n")
            return UInt8(CC_REDISPLAY)
        }
    }

    static func help(_ el: OpaquePointer, _ state: EditorState, _ ch: Int32) -> UInt8 {
        guard let help = state.context.help else {
            _ = "?".withCString { el_insertstr(el, $0) }
            return UInt8(CC_REFRESH)
        }
        let lines = help(currentLine(el))
        state.output.write("?\n" + lines.joined(separator: "\n") + "\n")
        return UInt8(CC_REDISPLAY)
    }
}

extension String {
    func trimmingNewline() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
