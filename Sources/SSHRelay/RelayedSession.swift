import Console
import Logging
import NIOCore
import NIOConcurrencyHelpers

/// The daemon's end of one SSH session (a shell or an exec of `deskphone-ssh`), on the session's
/// socket after a `SessionFrameDecoder`: a shell puts a `ByteTerminal` (the telnet session's
/// line editor and driver, without telnet) behind this handler, which passes terminal bytes as
/// plain `ByteBuffer`s; an exec runs its one command line. When the session ends, the exit
/// status goes out before the socket closes (the child closes the SSH channel then).
final class RelayedSession: ChannelDuplexHandler {
    typealias InboundIn = SessionFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Environment {
        var factory: TerminalSessionFactory
        var peer: String
        /// nil: a shell.
        var command: String?
        /// The pty's width; nil without a pty (no echo then, and LF line ends for an exec).
        var columns: Int?
        var idleTimeout: TimeAmount
        var logger: Logger
        /// Admission of one more session (false: "Too many sessions").
        var onLogin: @Sendable () -> Bool
    }

    private let environment: Environment
    private var sentExitStatus = false
    /// An exec's exit status: 1 when the command printed an error (`% …`).
    private var exitStatus = 0

    init(_ environment: Environment) {
        self.environment = environment
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if let command = environment.command {
            runCommand(command, context)
        } else {
            startShell(context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .data(let bytes):
            guard environment.command == nil else { return }
            context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: bytes)))
        case .windowChange(let columns):
            context.fireUserInboundEventTriggered(ByteTerminal.resizeEvent(columns: columns))
        case .endOfInput:
            // The client has no more to send: Ctrl-D at the prompt after what it sent (the
            // session ends once the commands typed ahead have run).
            if environment.command == nil {
                context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: [0x0D, 0x04])))
            }
        case .exitStatus:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A damaged frame is worth a notice; the socket's reset (the child closed it as the
        // client left) is not.
        if error is RelayProtocolError {
            environment.logger.notice("ssh: session of \(environment.peer): \(error); closing it")
        } else {
            environment.logger.debug("ssh: session of \(environment.peer): \(error)")
        }
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        // (chunks no larger than a frame may be)
        while bytes.readableBytes > RelayFrame.maximumPayload, let chunk = bytes.readBytes(length: RelayFrame.maximumPayload) {
            context.write(wrapOutboundOut(SessionFrame.data(chunk).buffer(context.channel.allocator)), promise: nil)
        }
        let rest = bytes.readBytes(length: bytes.readableBytes) ?? []
        context.write(wrapOutboundOut(SessionFrame.data(rest).buffer(context.channel.allocator)), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard !sentExitStatus, context.channel.isActive else { return context.close(mode: mode, promise: promise) }
        sentExitStatus = true
        // The status after everything written before it, then the close.
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(SessionFrame.exitStatus(exitStatus).buffer(context.channel.allocator)))
            .whenComplete { _ in bound.value.close(mode: mode, promise: promise) }
    }

    // MARK: shell

    private func startShell(_ context: ChannelHandlerContext) {
        let environment = self.environment
        let session = environment.factory(environment.peer)
        let options = ByteTerminal.Options(echo: environment.columns != nil, columns: environment.columns,
                                           idleTimeout: environment.idleTimeout, name: "ssh session", logger: environment.logger)
        do {
            try context.pipeline.syncOperations.addHandler(
                ByteTerminal.handler(session: session, peer: environment.peer, options: options, onLogin: environment.onLogin),
                position: .after(self))
            // (added to an active channel, the terminal starts at once)
        } catch {
            environment.logger.error("ssh: \(environment.peer): \(error)")
            context.close(promise: nil)
        }
    }

    // MARK: exec

    /// Runs one command line (`ssh phone show version`) and closes the channel; the output
    /// has CR LF line ends when the client asked for a pty, else plain LF.
    private func runCommand(_ line: String, _ context: ChannelHandlerContext) {
        let environment = self.environment
        let channel = context.channel
        let output = ExecOutput(channel: channel, crlf: environment.columns != nil)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        environment.logger.info("ssh: \(environment.peer) runs '\(line.prefix(80))'")
        Task {
            var status = 0
            if environment.onLogin() {
                let session = environment.factory(environment.peer)
                await session.start(output: output)
                output.isMuted = false  // (the greeting's blank lines are for a terminal)
                await session.handle(line: line)
                await session.close()
                status = output.sawError ? 1 : 0
            } else {
                output.isMuted = false
                output.write(TelnetServer.tooManySessionsMessage)
                status = 1
            }
            let exitStatus = status
            channel.eventLoop.execute {
                bound.value.exitStatus = exitStatus
                channel.close(promise: nil)
            }
        }
    }
}

/// An exec's output, from any thread, straight onto the channel (in order: one channel, one loop).
final class ExecOutput: TerminalOutput {
    private let channel: any Channel
    private let crlf: Bool
    private let state = NIOLockedValueBox((muted: true, error: false, atLineStart: true))

    init(channel: any Channel, crlf: Bool) {
        self.channel = channel
        self.crlf = crlf
    }

    var isMuted: Bool {
        get { state.withLockedValue { $0.muted } }
        set { state.withLockedValue { $0.muted = newValue } }
    }

    /// Whether a line began with `%` (the CLI's error marker).
    var sawError: Bool { state.withLockedValue { $0.error } }

    /// The command line is not echoed: an error's caret line repeats it.
    var echoesInput: Bool { false }

    func write(_ text: String) {
        let send = state.withLockedValue { s -> Bool in
            guard !s.muted else { return false }
            var lineStart = s.atLineStart
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if lineStart, line.hasPrefix("%") { s.error = true }
                lineStart = true
            }
            s.atLineStart = text.hasSuffix("\n")
            return true
        }
        guard send, !text.isEmpty else { return }
        var bytes = Array(text.utf8)
        if crlf {
            bytes = bytes.reduce(into: [UInt8]()) { out, b in
                if b == 0x0A { out.append(0x0D) }
                out.append(b)
            }
        }
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }
}
