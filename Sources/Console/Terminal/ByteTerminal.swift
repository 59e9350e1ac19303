import Logging
import NIOCore

/// A CLI session on a channel of plain terminal bytes whose transport has done the rest: an
/// SSH session channel (its pty request, its encryption and its login). The same line editor,
/// type-ahead, idle time-out, output cap and session driver as a telnet connection, without
/// telnet's option negotiation and IAC escaping: after its login an SSH session looks like a
/// telnet session.
public enum ByteTerminal {
    public struct Options: Sendable {
        /// Whether this side echoes what is typed (the client asked for a pty and put its
        /// terminal in raw mode); without a pty the client shows the line itself.
        public var echo: Bool
        /// The terminal's width (the pty request's), used to redraw a wrapped line.
        public var columns: Int?
        public var idleTimeout: TimeAmount
        public var maximumBufferedOutput: Int
        /// What the log lines start with (`ssh`).
        public var name: String
        public var logger: Logger

        public init(echo: Bool, columns: Int?, idleTimeout: TimeAmount, maximumBufferedOutput: Int = 256 * 1024,
                    name: String, logger: Logger) {
            self.echo = echo
            self.columns = columns
            self.idleTimeout = idleTimeout
            self.maximumBufferedOutput = maximumBufferedOutput
            self.name = name
            self.logger = logger
        }
    }

    /// A handler for a channel of `ByteBuffer`s that runs `session` from the moment it is added
    /// to an active channel until the session ends (then it closes the channel) or the channel
    /// closes. `onLogin` is asked once the session is logged in; false ends it with "Too many
    /// sessions". Call on the channel's event loop.
    public static func handler(session: any TerminalSession, peer: String, options: Options,
                               onLogin: @escaping @Sendable () -> Bool = { true }) -> any ChannelHandler {
        let limits = TelnetConnectionHandler.Limits(idleTimeout: options.idleTimeout,
                                                    maximumBufferedOutput: options.maximumBufferedOutput)
        return TelnetConnectionHandler(peer: peer, limits: limits, logger: options.logger,
                                       mode: .plain(echo: options.echo, columns: options.columns),
                                       name: options.name) { bound, channel in
            bound.value.onInterrupt = { Task { await session.interrupt() } }
            let driver = TelnetSessionDriver(session: session, handler: bound, channel: channel,
                                             echoesInput: bound.value.echoFlag, onLogin: onLogin)
            Task { await driver.run() }
        }
    }

    /// The event that tells a `handler` the terminal's new width (an SSH window-change).
    public static func resizeEvent(columns: Int) -> any Sendable {
        TelnetConnectionHandler.Resize(columns: columns)
    }
}
