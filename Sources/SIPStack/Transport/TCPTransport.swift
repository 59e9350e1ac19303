import Diagnostics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPMessage

/// SIP over TCP (RFC 3261 §18): a listener on `voip_control_port` and the phone's own
/// connections, one per remote address and shared by every transaction toward it. Messages
/// are framed by Content-Length (`SIPMessage.frame`); a stream that cannot be framed (no empty
/// line within the size cap, a bad Content-Length) is answered when possible and closed.
/// Connections that stay silent, or hold half a message too long, are closed too, and the
/// number of accepted connections is capped, so a hostile peer costs one socket at most for
/// a bounded time.
public final class TCPTransport: Sendable {
    public typealias Receive = @Sendable (_ bytes: [UInt8], _ from: SocketAddress) -> Void

    public struct Limits: Sendable {
        /// Accepted connections beyond this are closed at once.
        public var maxInbound = 64
        /// A connection with no traffic for this long is closed.
        public var idle: TimeAmount = .seconds(300)
        /// A message begun but not completed within this (64·T1 by default) closes the connection.
        public var partialMessage: TimeAmount = .seconds(32)
        public var message = SIPMessage.Limits.default
        public init() {}
    }

    let listener: any Channel
    let group: any EventLoopGroup
    let receive: Receive
    let limits: Limits
    public let localAddress: SocketAddress
    /// Connections by remote "ip:port"; the token tells a replaced entry from the current one.
    private let state = NIOLockedValueBox(State())
    static let log = Logger.category(.sipMessages)

    private init(listener: any Channel, group: any EventLoopGroup, receive: @escaping Receive, limits: Limits) throws {
        guard let local = listener.localAddress else { throw ChannelError.unknownLocalAddress }
        self.listener = listener
        self.group = group
        self.receive = receive
        self.limits = limits
        self.localAddress = local
    }

    /// Listens on `host:port` (port 0: any).
    public static func bind(group: any EventLoopGroup, host: String, port: Int, limits: Limits = Limits(),
                            receive: @escaping Receive) async throws -> TCPTransport {
        let box = NIOLockedValueBox<TCPTransport?>(nil)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { ch in
                guard let transport = box.withLockedValue({ $0 }) else {
                    return ch.close()
                }
                return transport.accept(ch)
            }
        // A numeric address needs no getaddrinfo(3) (its NSS and netlink round trips are start-up time).
        let listener = try await ((try? SocketAddress(ipAddress: host, port: port)).map { bootstrap.bind(to: $0) }
            ?? bootstrap.bind(host: host, port: port)).get()
        let transport = try TCPTransport(listener: listener, group: group, receive: receive, limits: limits)
        box.withLockedValue { $0 = transport }
        return transport
    }

    struct State {
        var connections: [String: (token: Int, channel: EventLoopFuture<any Channel>)] = [:]
        var nextToken = 0
        var inbound = 0

        mutating func insert(_ key: String, _ channel: EventLoopFuture<any Channel>) -> Int {
            nextToken += 1
            connections[key] = (nextToken, channel)
            return nextToken
        }
        mutating func remove(_ key: String, token: Int) {
            if connections[key]?.token == token { connections[key] = nil }
        }
    }

    private func accept(_ ch: any Channel) -> EventLoopFuture<Void> {
        let maxInbound = limits.maxInbound
        let admitted: Int? = state.withLockedValue { s in
            guard s.inbound < maxInbound, let remote = ch.remoteAddress else { return nil }
            s.inbound += 1
            return s.insert(Self.key(remote), ch.eventLoop.makeSucceededFuture(ch))
        }
        guard let token = admitted, let remote = ch.remoteAddress else {
            Self.log.warning("SIP TCP: refused a connection from \(ch.remoteAddress?.description ?? "?"): \(maxInbound) open")
            return ch.close()
        }
        let key = Self.key(remote)
        let state = self.state
        ch.closeFuture.whenComplete { _ in
            state.withLockedValue { s in
                s.inbound -= 1
                s.remove(key, token: token)
            }
        }
        let limits = self.limits, receive = self.receive
        return ch.eventLoop.makeCompletedFuture { try Self.configure(ch, remote: remote, limits: limits, receive: receive) }
    }

    static func configure(_ ch: any Channel, remote: SocketAddress, limits: Limits, receive: @escaping Receive) throws {
        let ops = ch.pipeline.syncOperations
        try ops.addHandler(IdleStateHandler(allTimeout: limits.idle))
        try ops.addHandler(StreamFramer(remote: remote, limits: limits, receive: receive))
    }

    /// Sends over the connection to `remote`, opening one when there is none. `failed` runs
    /// (on an event loop) when the connection cannot be made or the write fails.
    public func send(_ bytes: [UInt8], to remote: SocketAddress, failed: @escaping @Sendable (any Error) -> Void = { _ in }) {
        if Self.log.logLevel <= .debug {
            Self.log.debug("sipTransportSendMessage:Sent SIP message over TCP to <\(remote.ipAddress ?? "?")>:<\(remote.port ?? 0)>, length=<\(bytes.count)>, message=\n\n\(String(decoding: bytes, as: UTF8.self))")
        }
        connection(to: remote).flatMap { ch in
            ch.writeAndFlush(ch.allocator.buffer(bytes: bytes))
        }.whenFailure { error in
            Self.log.debug("SIP TCP to \(remote): \(error)")
            failed(error)
        }
    }

    /// Sends a response (RFC 3261 §18.2.2): on the connection to `remote` (where the request
    /// came from) while it is open; when it has closed, or the write fails because it just
    /// did, on a connection to `sentBy` (opened when there is none). Without a `sentBy`, to
    /// `remote` as `send` does.
    public func sendResponse(_ bytes: [UInt8], over remote: SocketAddress, orTo sentBy: SocketAddress?) {
        guard let sentBy else { return send(bytes, to: remote) }
        let open = state.withLockedValue { $0.connections[Self.key(remote)]?.channel }
        guard let open else {
            Self.log.debug("SIP TCP: the connection from \(remote) has closed; the response goes to the sent-by \(sentBy)")
            return send(bytes, to: sentBy)
        }
        if Self.log.logLevel <= .debug {
            Self.log.debug("sipTransportSendMessage:Sent SIP message over TCP to <\(remote.ipAddress ?? "?")>:<\(remote.port ?? 0)>, length=<\(bytes.count)>, message=\n\n\(String(decoding: bytes, as: UTF8.self))")
        }
        open.flatMap { ch in
            ch.writeAndFlush(ch.allocator.buffer(bytes: bytes))
        }.whenFailure { [self] error in
            Self.log.debug("SIP TCP to \(remote): \(error); the response goes to the sent-by \(sentBy)")
            send(bytes, to: sentBy)
        }
    }

    private func connection(to remote: SocketAddress) -> EventLoopFuture<any Channel> {
        let key = Self.key(remote)
        let limits = self.limits, receive = self.receive, group = self.group
        return state.withLockedValue { s in
            if let existing = s.connections[key] { return existing.channel }
            let future = ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try Self.configure(ch, remote: remote, limits: limits, receive: receive) }
                }
                .connect(to: remote)
            let token = s.insert(key, future)
            let state = self.state
            future.whenComplete { result in
                switch result {
                case .success(let ch):
                    ch.closeFuture.whenComplete { _ in state.withLockedValue { $0.remove(key, token: token) } }
                case .failure:
                    state.withLockedValue { $0.remove(key, token: token) }
                }
            }
            return future
        }
    }

    public func close() async {
        let all = state.withLockedValue { s -> [EventLoopFuture<any Channel>] in
            defer { s.connections.removeAll() }
            return s.connections.values.map(\.channel)
        }
        for f in all { _ = try? await f.get().close() }
        try? await listener.close()
    }

    static func key(_ a: SocketAddress) -> String { "\(a.ipAddress ?? "?"):\(a.port ?? 0)" }
}
