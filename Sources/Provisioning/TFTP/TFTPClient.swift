import Diagnostics
import Logging
import NIOCore
import NIOPosix

/// Reads files over TFTP: a thin SwiftNIO adapter that runs one `TFTPTransfer` per read on one
/// UDP channel's event loop.
public struct TFTPClient: Sendable {
    public let eventLoopGroup: any EventLoopGroup

    public init(eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
    }

    /// Reads `file` from `server` (host:port as a NIO SocketAddress).
    public func read(_ file: String, from server: SocketAddress, options: TFTPOptions = .init()) async throws -> [UInt8] {
        let loop = eventLoopGroup.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let logger = Logger.category(.tftp)
        let localHost: String
        switch server {
        case .v4: localHost = "0.0.0.0"
        case .v6: localHost = "::"
        case .unixDomainSocket:
            throw TFTPError.protocolViolation("server address \(server) is not an IP address")
        }
        // NIO reads datagrams into 2048-byte buffers by default and would cut bigger blocks
        // short. Room for the largest DATA this read can get (the requested block size, or 512
        // from a server that ignores options) plus one byte, so an oversized datagram shows as
        // a block too large instead of being truncated into a short, final-looking one.
        let largestDatagram = 4 + max(options.blockSize, TFTPTransfer.defaultBlockSize) + 1
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: largestDatagram))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TFTPClientHandler(
                            transfer: TFTPTransfer(file: file, options: options),
                            server: server, promise: promise, logger: logger))
                }
            }
            .bind(host: localHost, port: 0)
            .get()
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Parses "HOST[:PORT]" — an IPv4 literal, a host name, or a bracketed IPv6 literal
    /// ("[::1]:6969"); a bare IPv6 literal without port is also taken. The port defaults to 69.
    /// Host names are resolved here, blocking the caller.
    public static func serverAddress(_ spec: String) throws -> SocketAddress {
        func invalid(_ reason: String) -> TFTPServerAddressError { TFTPServerAddressError(spec: spec, reason: reason) }
        var host = Substring(spec)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("missing ']'") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid("unexpected text after ']'") }
                portText = rest.dropFirst()
            }
        } else if let colon = host.firstIndex(of: ":"), host[host.index(after: colon)...].firstIndex(of: ":") == nil {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw invalid("empty host") }
        var port = 69
        if let portText {
            guard !portText.isEmpty, portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let value = Int(portText), (1...65535).contains(value)
            else { throw invalid("port must be 1...65535") }
            port = value
        }
        if let address = try? SocketAddress(ipAddress: String(host), port: port) { return address }
        guard !host.contains(":") else { throw invalid("bad IPv6 address") }
        do {
            return try SocketAddress.makeAddressResolvingHost(String(host), port: port)
        } catch {
            throw invalid("cannot resolve \(host): \(error)")
        }
    }
}

/// Why `TFTPClient.serverAddress(_:)` rejected its argument.
public struct TFTPServerAddressError: Error, Equatable, Sendable, CustomStringConvertible {
    public var spec: String
    public var reason: String
    public var description: String { "bad TFTP server \(spec.debugDescription): \(reason)" }
}

/// Carries out a `TFTPTransfer`'s actions on a datagram channel. Lives on the channel's loop.
private final class TFTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private var transfer: TFTPTransfer
    private let server: SocketAddress
    private let promise: EventLoopPromise<[UInt8]>
    private let logger: Logger
    private var timer: Scheduled<Void>?
    private var done = false

    init(transfer: TFTPTransfer, server: SocketAddress, promise: EventLoopPromise<[UInt8]>, logger: Logger) {
        self.transfer = transfer
        self.server = server
        self.promise = promise
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("tftp read start", metadata: [
            "file": "\(transfer.file)", "server": "\(server)", "blksize": "\(transfer.options.blockSize)",
        ])
        perform(transfer.start(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        // The transfer ID is the port (RFC 1350 §4); datagrams from another host are not ours.
        guard envelope.remoteAddress.ipAddress == server.ipAddress, let port = envelope.remoteAddress.port else {
            logger.debug("tftp ignoring datagram", metadata: ["from": "\(envelope.remoteAddress)"])
            return
        }
        let bytes = envelope.data.readableBytesView
        perform(transfer.receive(bytes, fromPort: port), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket may report ICMP errors for earlier sends; the retransmission timer decides.
        logger.debug("tftp socket error", metadata: ["error": "\(error)"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if !done {
            done = true
            promise.fail(CancellationError())
        }
        context.fireChannelInactive()
    }

    private func perform(_ actions: [TFTPTransfer.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let bytes, let port):
                var address = server
                if let port { address.port = port }
                let buffer = context.channel.allocator.buffer(bytes: bytes)
                context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
            case .armTimer(let delay):
                timer?.cancel()
                timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.nanoseconds)) {
                    self.perform(self.transfer.timerExpired(), context: context)
                }
            case .finished(let bytes):
                logger.debug("tftp read done", metadata: metadata(["bytes": "\(bytes.count)"]))
                finish(context: context) { $0.succeed(bytes) }
            case .failed(let error):
                logger.debug("tftp read failed", metadata: metadata(["error": "\(error)"]))
                finish(context: context) { $0.fail(error) }
            }
        }
    }

    private func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging([
            "file": "\(transfer.file)", "server": "\(server)", "blksize": "\(transfer.blockSize)",
            "retransmissions": "\(transfer.retransmissions)",
        ]) { a, _ in a }
    }

    private func finish(context: ChannelHandlerContext, _ complete: (EventLoopPromise<[UInt8]>) -> Void) {
        guard !done else { return }
        done = true
        timer?.cancel()
        timer = nil
        complete(promise)
        // The final ACK was written just before; close after it has gone out.
        context.close(promise: nil)
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating), for NIO's `TimeAmount`.
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
