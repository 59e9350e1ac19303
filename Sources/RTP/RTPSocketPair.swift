// The thin NIO adapter of an RTP session: two UDP sockets, RTP on an even port of the media
// range and RTCP on the next one, on the phone's event loop. Each datagram is handed, in
// order, to the owner's callback on that loop (no Task or copy per datagram); everything else
// (statistics, filtering, jitter) is the sans-I/O code of this module.

#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

extension RTPEndpoint {
    /// From a datagram's source (nil for a Unix socket address).
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let a):
            self.init(address: .v4(UInt32(bigEndian: a.address.sin_addr.s_addr)), port: UInt16(bigEndian: a.address.sin_port))
        case .v6(let a):
            var addr = a.address.sin6_addr
            let (hi, lo) = withUnsafeBytes(of: &addr) { raw -> (UInt64, UInt64) in
                var h: UInt64 = 0, l: UInt64 = 0
                for i in 0..<8 { h = h << 8 | UInt64(raw[i]) }
                for i in 8..<16 { l = l << 8 | UInt64(raw[i]) }
                return (h, l)
            }
            self.init(address: .v6(hi, lo), port: UInt16(bigEndian: a.address.sin6_port))
        case .unixDomainSocket:
            return nil
        }
    }

    /// The socket address to send to.
    public var socketAddress: SocketAddress {
        switch address {
        case .v4(let v):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = v.bigEndian
            return SocketAddress(sin, host: "")
        case .v6(let hi, let lo):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<8 { raw[i] = UInt8(truncatingIfNeeded: hi >> UInt64(56 - 8 * i)) }
                for i in 0..<8 { raw[8 + i] = UInt8(truncatingIfNeeded: lo >> UInt64(56 - 8 * i)) }
            }
            return SocketAddress(sin6, host: "")
        }
    }
}

extension RTPReceiver {
    /// A datagram as the socket pair delivers it (no copy); `payloadRange` of an accepted
    /// header is relative to the buffer's reader index.
    public mutating func receive(_ buffer: ByteBuffer, from source: RTPEndpoint, arrival: Duration) -> RTPReceiveResult {
        buffer.withUnsafeReadableBytes { receive($0, from: source, arrival: arrival) }
    }
}

public final class RTPSocketPair: Sendable {
    public enum Kind: Sendable, Hashable {
        case rtp, rtcp
    }

    /// Called on the event loop for every datagram, in arrival order. The buffer is the
    /// datagram (read it with `withUnsafeReadableBytes` and hand that to `RTPReceiver`).
    public typealias Receive = @Sendable (_ kind: Kind, _ datagram: ByteBuffer, _ from: RTPEndpoint) -> Void

    public let rtpPort: Int
    public var rtcpPort: Int { rtpPort + 1 }
    public let eventLoop: any EventLoop
    let rtp: any Channel
    let rtcp: any Channel

    private init(rtp: any Channel, rtcp: any Channel, port: Int) {
        self.rtp = rtp
        self.rtcp = rtcp
        self.rtpPort = port
        self.eventLoop = rtp.eventLoop
    }

    public enum BindError: Error, Sendable, Hashable {
        /// Every even port of the range (and its RTCP neighbour) was taken.
        case noFreePort(first: Int, last: Int)
    }

    /// Binds the first free pair from `range` (advancing it) on `host` of the event loop.
    /// `tos`: the IP ToS byte for RTP and RTCP (`tos_media` precedence 5 → 0xA0), nil: unset.
    public static func bind(on eventLoop: any EventLoop, host: String, range: inout MediaPortRange, tos: UInt8? = nil,
                            receive: @escaping Receive) async throws -> RTPSocketPair {
        for port in range.candidates() {
            guard let rtp = try? await channel(eventLoop, host, port, tos, .rtp, receive) else { continue }
            guard let rtcp = try? await channel(eventLoop, host, port + 1, tos, .rtcp, receive) else {
                try? await rtp.close()
                continue
            }
            return RTPSocketPair(rtp: rtp, rtcp: rtcp, port: port)
        }
        throw BindError.noFreePort(first: range.first, last: range.last)
    }

    static func channel(_ loop: any EventLoop, _ host: String, _ port: Int, _ tos: UInt8?, _ kind: Kind,
                        _ receive: @escaping Receive) async throws -> any Channel {
        var bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Inbound(kind: kind, receive: receive)) }
            }
        if let tos {
            bootstrap = bootstrap.channelOption(.ipOption(NIOBSDSocket.Option(rawValue: CInt(IP_TOS))), value: SocketOptionValue(tos))
        }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    public func sendRTP(_ bytes: [UInt8], to remote: RTPEndpoint) { send(bytes, on: rtp, to: remote.socketAddress) }

    /// RTCP goes to the far end's RTP port + 1 (RFC 3550 §11) unless `remote` says otherwise.
    public func sendRTCP(_ bytes: [UInt8], to remote: RTPEndpoint) { send(bytes, on: rtcp, to: remote.socketAddress) }

    private func send(_ bytes: [UInt8], on channel: any Channel, to remote: SocketAddress) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
    }

    public func close() async {
        try? await rtp.close()
        try? await rtcp.close()
    }

    final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let kind: Kind
        let receive: Receive

        init(kind: Kind, receive: @escaping Receive) {
            self.kind = kind
            self.receive = receive
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let from = RTPEndpoint(envelope.remoteAddress) else { return }
            receive(kind, envelope.data, from)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP port unreachable while the far end is not listening yet: nothing to do,
            // the media simply does not arrive.
        }
    }
}
