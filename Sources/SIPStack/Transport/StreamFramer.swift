import Diagnostics
import Logging
import NIOCore
import SIPMessage

/// Cuts a TCP byte stream into SIP messages (RFC 3261 §18.3) and enforces the stream limits:
/// the size cap (through `SIPMessage.frame`), a deadline for a message begun, the idle time
/// (`IdleStateHandler` before it). RFC 5626 keep-alives: a CRLFCRLF ping gets a CRLF pong.
final class StreamFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let remote: SocketAddress
    let limits: TCPTransport.Limits
    let receive: TCPTransport.Receive
    private var buffer = ByteBuffer()
    private var deadline: Scheduled<Void>?
    private var closing = false

    init(remote: SocketAddress, limits: TCPTransport.Limits, receive: @escaping TCPTransport.Receive) {
        self.remote = remote
        self.limits = limits
        self.receive = receive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while buffer.readableBytes > 0, !closing {
            let verdict = buffer.withUnsafeReadableBytes { SIPMessage.frame($0, limits: limits.message) }
            switch verdict {
            case .complete(let length):
                let bytes = buffer.readBytes(length: length) ?? []
                // Leading CRLFs (keep-alives) are part of the frame; the parser wants the message.
                let start = bytes.firstIndex { $0 != 13 && $0 != 10 } ?? bytes.endIndex
                deliver(Array(bytes[start...]))
            case .keepAlive(let length):
                let isPing = length >= 4 && buffer.readableBytesView.prefix(4).elementsEqual([13, 10, 13, 10])
                buffer.moveReaderIndex(forwardBy: length)
                if isPing { context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: [13, 10])), promise: nil) }
            case .incomplete:
                armDeadline(context: context)
                return
            case .invalid(let error):
                reject(error, context: context)
                return
            }
        }
        buffer.discardReadBytes()
        disarmDeadline()
    }

    private func deliver(_ bytes: [UInt8]) {
        if TCPTransport.log.logLevel <= .debug {
            TCPTransport.log.debug("sipTransportRecvMessage:Received SIP message over TCP from <\(remote.ipAddress ?? "?")>:<\(remote.port ?? 0)>, length=<\(bytes.count)>, message=\n\n\(String(decoding: bytes, as: UTF8.self))")
        }
        receive(bytes, remote)
    }

    /// Answers what can be answered (400 / 513 with the salvaged headers), then closes: after
    /// a framing error the stream has no message boundary left to resynchronise on.
    private func reject(_ error: SIPParseError, context: ChannelHandlerContext) {
        closing = true
        TCPTransport.log.warning("SIP TCP from \(remote): \(error); closing the connection")
        let head = Array(buffer.readableBytesView.prefix(limits.message.maxMessageSize))
        buffer.clear()
        disarmDeadline()
        if let answer = SIPMessageBuilder.rejection(of: head, error: error, toTag: SIPIdentifiers.tag()) {
            let out = context.channel.allocator.buffer(bytes: answer.serialize())
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    private func armDeadline(context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        let remote = self.remote
        let after = limits.partialMessage
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: after) {
            TCPTransport.log.warning("SIP TCP from \(remote): message not completed within \(after.nanoseconds / 1_000_000_000) s; closing")
            context.close(promise: nil)
        }
    }

    private func disarmDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            TCPTransport.log.debug("SIP TCP to \(remote): idle; closing")
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarmDeadline()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        TCPTransport.log.debug("SIP TCP \(remote): \(error)")
        context.close(promise: nil)
    }
}
