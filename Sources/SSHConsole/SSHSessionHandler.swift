import Console
import Logging
import NIOCore
import NIOSSH
import NIOConcurrencyHelpers

/// One SSH "session" channel (RFC 4254 §6) after the login: a `pty-req` notes the terminal, a
/// `shell` puts a `ByteTerminal` (the telnet session's line editor and driver, without telnet)
/// behind this handler, an `exec` runs its one command line and exits. Channel data passes as
/// plain `ByteBuffer`s between the two; `env`, `subsystem` (sftp) and everything else are
/// refused. When the session ends the channel closes with an `exit-status`.
final class SSHSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = SSHChannelData
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = SSHChannelData

    struct Environment {
        var factory: TerminalSessionFactory
        var peer: String
        var idleTimeout: TimeAmount
        var logger: Logger
        /// Admission of one more session (false: "Too many sessions").
        var onLogin: @Sendable () -> Bool
    }

    private let environment: Environment
    private var terminal: SSHChannelRequestEvent.PseudoTerminalRequest?
    private var started = false
    private var shell = false
    private var sentExitStatus = false
    /// An exec's exit status: 1 when the command printed an error (`% …`).
    private var exitStatus = 0

    init(_ environment: Environment) {
        self.environment = environment
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The client's EOF (`ssh host cmd </dev/null` sends it at once) must not close the
        // channel before the answer is out.
        let channel = context.channel
        channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).whenFailure { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let data = unwrapInboundIn(data)
        guard started, case .channel = data.type, case .byteBuffer(let bytes) = data.data else { return }
        context.fireChannelRead(wrapInboundOut(bytes))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let request as SSHChannelRequestEvent.PseudoTerminalRequest:
            terminal = request
            reply(context, request.wantReply, ok: !started)
        case let request as SSHChannelRequestEvent.ShellRequest:
            guard !started else { return reply(context, request.wantReply, ok: false) }
            started = true
            reply(context, request.wantReply, ok: true)
            startShell(context)
        case let request as SSHChannelRequestEvent.ExecRequest:
            guard !started else { return reply(context, request.wantReply, ok: false) }
            started = true
            reply(context, request.wantReply, ok: true)
            runCommand(request.command, context)
        case let request as SSHChannelRequestEvent.WindowChangeRequest:
            context.fireUserInboundEventTriggered(ByteTerminal.resizeEvent(columns: request.terminalCharacterWidth))
        case let request as SSHChannelRequestEvent.EnvironmentRequest:
            reply(context, request.wantReply, ok: false)
        case let request as SSHChannelRequestEvent.SubsystemRequest:
            environment.logger.debug("ssh: \(environment.peer): subsystem \(request.subsystem) refused")
            reply(context, request.wantReply, ok: false)
        case ChannelEvent.inputClosed:
            // The client has no more to send: Ctrl-D at the prompt after what it sent (the
            // session ends once the commands typed ahead have run).
            if shell {
                context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: [0x0D, 0x04])))
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(SSHChannelData(type: .channel, data: .byteBuffer(bytes))), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if !sentExitStatus, started, context.channel.isActive {
            sentExitStatus = true
            context.triggerUserOutboundEvent(SSHChannelRequestEvent.ExitStatus(exitStatus: exitStatus), promise: nil)
        }
        context.close(mode: mode, promise: promise)
    }

    private func reply(_ context: ChannelHandlerContext, _ wantReply: Bool, ok: Bool) {
        guard wantReply else { return }
        context.triggerUserOutboundEvent(ok ? ChannelSuccessEvent() as Any : ChannelFailureEvent() as Any, promise: nil)
    }

    // MARK: shell

    private func startShell(_ context: ChannelHandlerContext) {
        shell = true
        let environment = self.environment
        let session = environment.factory(environment.peer)
        let options = ByteTerminal.Options(echo: terminal != nil, columns: terminal.map(\.terminalCharacterWidth),
                                           idleTimeout: environment.idleTimeout, name: "ssh session", logger: environment.logger)
        do {
            try context.pipeline.syncOperations.addHandler(
                ByteTerminal.handler(session: session, peer: environment.peer, options: options, onLogin: environment.onLogin),
                position: .after(self))
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
        let output = ExecOutput(channel: channel, crlf: terminal != nil)
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
