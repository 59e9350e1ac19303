import NIOConcurrencyHelpers

/// A terminal that keeps what is written: the in-memory transport of tests and of
/// `deskphone`-side scripting, and the same session code as telnet runs through it.
public final class MemoryTerminal: TerminalOutput {
    private let text = NIOLockedValueBox("")

    public init() {}

    public func write(_ s: String) { text.withLockedValue { $0 += s } }

    /// Everything written so far.
    public var contents: String { text.withLockedValue { $0 } }

    /// Returns what was written since the last call.
    public func take() -> String { text.withLockedValue { t in defer { t = "" }; return t } }

    /// Drives a session like a transport would: start, then each line in turn, returning the
    /// output of each line (prompt echo included, as a terminal would show it).
    public static func run(_ session: any TerminalSession, lines: [String]) async -> [String] {
        let terminal = MemoryTerminal()
        await session.start(output: terminal)
        _ = terminal.take()
        var outputs: [String] = []
        for line in lines {
            if await session.isFinished() { break }
            _ = await session.editingContext()
            await session.handle(line: line)
            outputs.append(terminal.take())
        }
        await session.close()
        return outputs
    }
}
