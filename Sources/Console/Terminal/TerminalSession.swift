/// The contract between a CLI session (the command engine) and the transports that carry it:
/// telnet connections, the serial console, and in-memory test drivers.
///
/// A transport owns the line editing (echo, backspace, history, arrows) and calls the session
/// with whole lines. Tab completion and `?` help are answered synchronously from the
/// `EditingContext` the session hands out, so a line editor (libedit's callback, the telnet
/// line editor) never waits on the session.

/// How typed characters are echoed.
public enum EchoMode: Sendable, Equatable {
    /// Echo what is typed.
    case normal
    /// Echo `*` for each character (the password prompt: the guide's sample shows `*****`).
    case masked
    /// Echo nothing.
    case off
}

/// The answer to a Tab press.
public enum Completion: Sendable, Equatable {
    /// Nothing completes.
    case none
    /// Replace the whole line buffer with this text (the completed word plus a space when it
    /// is complete).
    case replace(String)
    /// Several words could follow: show them, then redraw the prompt and the buffer unchanged.
    case candidates([String])
}

/// What the line editor needs to edit the next line.
public struct EditingContext: Sendable {
    /// The prompt, e.g. `SIP Phone> ` (or `Password :` during login).
    public var prompt: String
    public var echo: EchoMode
    /// Whether the line goes into the history (not the password).
    public var recordsHistory: Bool
    /// Tab pressed: the buffer so far (cursor at its end).
    public var complete: @Sendable (String) -> Completion
    /// `?` typed at the end of the buffer: the help lines to print before the prompt and
    /// buffer are redrawn (the `?` itself is not inserted). Nil: `?` is an ordinary character
    /// (while entering a password).
    public var help: (@Sendable (String) -> [String])?

    public init(prompt: String, echo: EchoMode = .normal, recordsHistory: Bool = true,
                complete: @escaping @Sendable (String) -> Completion = { _ in .none },
                help: (@Sendable (String) -> [String])? = nil) {
        self.prompt = prompt
        self.echo = echo
        self.recordsHistory = recordsHistory
        self.complete = complete
        self.help = help
    }
}

/// Where a session's output goes. Text uses "\n" line ends; the transport converts them for
/// its medium (CR LF on telnet and serial lines). `write` may be called at any moment — debug
/// output arrives while the user is typing; the transport then prints it above the line being
/// edited and redraws the prompt and the buffer.
public protocol TerminalOutput: AnyObject, Sendable {
    func write(_ text: String)
    /// Whether the typed line stands on the screen after the prompt, echoed by this side.
    /// False for a telnet client that refused WILL ECHO: it echoed the line itself, or (a
    /// program) not at all.
    var echoesInput: Bool { get }
}

extension TerminalOutput {
    public var echoesInput: Bool { true }
}

/// One CLI session as a transport drives it. All calls for one session come from one task,
/// in order: `start`, then `editingContext` / `handle(line:)` pairs until `isFinished`, then
/// `close`. `interrupt` may come from elsewhere while `handle` runs.
public protocol TerminalSession: AnyObject, Sendable {
    /// Writes the greeting (for the phone: two blank lines; the login prompt comes from the
    /// first editing context).
    func start(output: any TerminalOutput) async
    /// How to edit the next line.
    func editingContext() async -> EditingContext
    /// Runs one line (a password during login, else a command) to completion; its output goes
    /// to the `TerminalOutput` given to `start`.
    func handle(line: String) async
    /// Ctrl-C while a command runs: stop it (a ping, say).
    func interrupt() async
    /// True once the session has ended (`exit`, or the login was cut off): the transport
    /// flushes the output and closes.
    func isFinished() async -> Bool
    /// The transport went away (hang-up, idle time-out, peer closed).
    func close() async
    /// True once the login is done: the transport then counts the connection as a session
    /// (until then it is a connection waiting to log in, limited and timed apart).
    func isLoggedIn() async -> Bool
}

extension TerminalSession {
    /// A session without a login is logged in from the start.
    public func isLoggedIn() async -> Bool { true }
}

/// Makes one session per connection; `peer` describes the remote end (`127.0.0.1:40122`, or
/// the console device path).
public typealias TerminalSessionFactory = @Sendable (_ peer: String) -> any TerminalSession
