import Diagnostics
import Logging
import NIOCore
import NIOPosix

/// SIP over UDP (RFC 3261 §18) on `voip_control_port`: a thin NIO adapter that hands every
/// datagram to `receive` and sends bytes where it is told. Messages are logged on the
/// `sip-messages` debug category as GUIDE.md §4.3 shows them.
public final class UDPTransport: Sendable {
    public typealias Receive = @Sendable (_ bytes: [UInt8], _ from: SocketAddress) -> Void

    let channel: any Channel
    public let localAddress: SocketAddress
    static let log = Logger.category(.sipMessages)

    private init(channel: any Channel, localAddress: SocketAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    /// The largest datagram read whole: any UDP datagram. NIO keeps one receive buffer of this
    /// capacity per channel for the channel's life.
    public static let maximumDatagram = 65536

    /// Binds `host:port` (port 0: any) and starts delivering datagrams of up to `capacity`
    /// bytes (a longer one is cut to that and then fails to parse).
    public static func bind(group: any EventLoopGroup, host: String, port: Int, capacity: Int = UDPTransport.maximumDatagram,
                            receive: @escaping Receive) async throws -> UDPTransport {
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: capacity))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Inbound(receive: receive)) }
            }
        // A numeric address needs no getaddrinfo(3) (its NSS and netlink round trips are start-up time).
        let channel = try await ((try? SocketAddress(ipAddress: host, port: port)).map { bootstrap.bind(to: $0) }
            ?? bootstrap.bind(host: host, port: port)).get()
        guard let local = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return UDPTransport(channel: channel, localAddress: local)
    }

    public func send(_ bytes: [UInt8], to remote: SocketAddress) {
        if Self.log.logLevel <= .debug {
            Self.log.debug("sipTransportSendMessage:Sent SIP message to <\(remote.ipAddress ?? "?")>:<\(remote.port ?? 0)>, length=<\(bytes.count)>, message=\n\n\(String(decoding: bytes, as: UTF8.self))")
        }
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
    }

    public func close() async {
        try? await channel.close()
    }

    final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let receive: Receive
        init(receive: @escaping Receive) { self.receive = receive }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            if UDPTransport.log.logLevel <= .debug {
                UDPTransport.log.debug("sipTransportRecvMessage:Received SIP message from <\(envelope.remoteAddress.ipAddress ?? "?")>:<\(envelope.remoteAddress.port ?? 0)>, length=<\(bytes.count)>, message=\n\n\(String(decoding: bytes, as: UTF8.self))")
            }
            receive(bytes, envelope.remoteAddress)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP port unreachable and the like: the transaction's timers handle the silence.
            UDPTransport.log.debug("UDP transport: \(error)")
        }
    }
}
