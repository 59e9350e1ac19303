import Logging
import NIOCore
import NIOPosix
import NIOSSH
import SSHRelay

#if canImport(Glibc)
import Glibc
#endif

/// One SSH "session" channel (RFC 4254 §6) after the login, relayed to the daemon: a `pty-req`
/// notes the terminal; a `shell` or an `exec` makes a socket pair, hands one end to the daemon
/// (`ControlMessage.session`, where the CLI session runs) and relays the channel's bytes, its
/// window changes and EOF as `SessionFrame`s over the other; the daemon's exit status becomes
/// the channel's `exit-status`, and its close the channel's. `env`, `subsystem` (sftp) and
/// everything else are refused.
final class SSHSessionRelay: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData
    typealias OutboundOut = SSHChannelData

    private let link: DaemonLink
    private let peer: String
    private let user: String
    private let logger: Logger
    private var columns: Int?
    private var started = false
    /// The session socket once it is up; frames wait in `queued` until then.
    private var socket: (any Channel)?
    private var queued: [SessionFrame] = []
    private var closed = false

    init(link: DaemonLink, peer: String, user: String, logger: Logger) {
        self.link = link
        self.peer = peer
        self.user = user
        self.logger = logger
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
        guard started, case .channel = data.type, case .byteBuffer(var bytes) = data.data else { return }
        send(.data(bytes.readBytes(length: bytes.readableBytes) ?? []))
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        socket?.close(promise: nil)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let request as SSHChannelRequestEvent.PseudoTerminalRequest:
            columns = request.terminalCharacterWidth
            reply(context, request.wantReply, ok: !started)
        case let request as SSHChannelRequestEvent.ShellRequest:
            guard !started else { return reply(context, request.wantReply, ok: false) }
            start(context, command: nil, wantReply: request.wantReply)
        case let request as SSHChannelRequestEvent.ExecRequest:
            guard !started else { return reply(context, request.wantReply, ok: false) }
            start(context, command: request.command, wantReply: request.wantReply)
        case let request as SSHChannelRequestEvent.WindowChangeRequest:
            send(.windowChange(columns: request.terminalCharacterWidth))
        case let request as SSHChannelRequestEvent.EnvironmentRequest:
            reply(context, request.wantReply, ok: false)
        case let request as SSHChannelRequestEvent.SubsystemRequest:
            logger.debug("ssh: \(peer): subsystem \(request.subsystem) refused")
            reply(context, request.wantReply, ok: false)
        case ChannelEvent.inputClosed:
            send(.endOfInput)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ wantReply: Bool, ok: Bool) {
        guard wantReply else { return }
        context.triggerUserOutboundEvent(ok ? ChannelSuccessEvent() as Any : ChannelFailureEvent() as Any, promise: nil)
    }

    private func send(_ frame: SessionFrame) {
        guard started else { return }
        if let socket {
            socket.writeAndFlush(frame.buffer(socket.allocator), promise: nil)
        } else {
            queued.append(frame)
        }
    }

    /// The session socket: one end to the daemon, the other a channel on this loop.
    private func start(_ context: ChannelHandlerContext, command: String?, wantReply: Bool) {
        started = true
        let sshChannel = context.channel
        let mine: Int32, theirs: Int32
        do {
            (mine, theirs) = try ControlSocket.pair(type: Int32(SOCK_STREAM.rawValue))
            try link.sendSession(.session(peer: peer, user: user, command: command, columns: columns), descriptor: theirs)
        } catch {
            logger.error("ssh: \(peer): cannot hand the session to the daemon: \(error)")
            reply(context, wantReply, ok: false)
            return sshChannel.close(promise: nil)
        }
        reply(context, wantReply, ok: true)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let logger = self.logger, peer = self.peer
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(SessionFrameDecoder()), DaemonSideHandler(sshChannel: sshChannel, peer: peer, logger: logger),
                    ])
                }
            }
            .withConnectedSocket(mine)
            .hop(to: context.eventLoop)
            .whenComplete { result in
                let relay = bound.value
                switch result {
                case .success(let socket):
                    if relay.closed { return socket.close(promise: nil) }
                    relay.socket = socket
                    for frame in relay.queued { socket.write(frame.buffer(socket.allocator), promise: nil) }
                    relay.queued = []
                    socket.flush()
                case .failure(let error):
                    logger.error("ssh: \(peer): session socket: \(error)")
                    sshChannel.close(promise: nil)
                }
            }
    }
}

/// The session socket's frames from the daemon onto the SSH channel; its close closes the
/// channel (after the exit status, which the daemon sends first).
private final class DaemonSideHandler: ChannelInboundHandler {
    typealias InboundIn = SessionFrame

    private let sshChannel: any Channel
    private let peer: String
    private let logger: Logger

    init(sshChannel: any Channel, peer: String, logger: Logger) {
        self.sshChannel = sshChannel
        self.peer = peer
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .data(let bytes):
            let buffer = sshChannel.allocator.buffer(bytes: bytes)
            sshChannel.writeAndFlush(SSHChannelData(type: .channel, data: .byteBuffer(buffer)), promise: nil)
        case .exitStatus(let status):
            sshChannel.triggerUserOutboundEvent(SSHChannelRequestEvent.ExitStatus(exitStatus: status), promise: nil)
        case .windowChange, .endOfInput:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        sshChannel.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.notice("ssh: session of \(peer): \(error); closing it")
        context.close(promise: nil)
    }
}
