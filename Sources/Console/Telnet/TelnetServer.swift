import Diagnostics
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The telnet listener of the admin CLI (GUIDE.md §4.1): one `TerminalSession` per
/// connection, at most `maxSessions` at a time.
public final class TelnetServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// The guide's port is 23; tests bind 0 and read the bound address from `start`.
        public var port: Int
        /// One more connection is told so and closed.
        public var maxSessions: Int
        /// A connection without input for this long is told so and closed.
        public var idleTimeout: TimeAmount
        /// Output a client has not taken beyond this drops its connection.
        public var maxBufferedOutput: Int
        public var logger: Logger

        public init(host: String = "0.0.0.0", port: Int = 23, maxSessions: Int = 8,
                    idleTimeout: TimeAmount = .minutes(10), maxBufferedOutput: Int = 256 * 1024,
                    logger: Logger = Logger.category(.plat)) {
            self.host = host
            self.port = port
            self.maxSessions = maxSessions
            self.idleTimeout = idleTimeout
            self.maxBufferedOutput = maxBufferedOutput
            self.logger = logger
        }
    }

    /// What the "too many sessions" connection is told.
    public static let tooManySessionsMessage = "Too many sessions\r\n"

    private struct State {
        var serverChannel: (any Channel)?
        var sessions = 0
        var nextID = 0
        var connections: [Int: any Channel] = [:]
        var drivers: [Int: Task<Void, Never>] = [:]
        var stopped = false
    }

    private let group: any EventLoopGroup
    private let configuration: Configuration
    private let factory: TerminalSessionFactory
    private let state = Mutex(State())

    public init(group: any EventLoopGroup, configuration: Configuration, factory: @escaping TerminalSessionFactory) {
        self.group = group
        self.configuration = configuration
        self.factory = factory
    }

    /// Binds and starts accepting; returns the bound address.
    public func start() async throws -> SocketAddress {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 32)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.accept(channel) }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        state.withLock { $0.serverChannel = channel }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        configuration.logger.debug("telnet: listening on \(address)")
        return address
    }

    /// Stops listening, closes every connection and waits for their sessions to end.
    public func stop() async {
        let (server, connections) = state.withLock { state in
            state.stopped = true
            return (state.serverChannel, Array(state.connections.values))
        }
        try? await server?.close()
        for connection in connections { try? await connection.close() }
        while let driver = state.withLock({ $0.drivers.first }) {
            await driver.value.value
            _ = state.withLock { $0.drivers.removeValue(forKey: driver.key) }
        }
    }

    /// Called on the new channel's event loop.
    private func accept(_ channel: any Channel) throws {
        let id: Int? = state.withLock { state in
            guard !state.stopped, state.sessions < configuration.maxSessions else { return nil }
            state.sessions += 1
            state.nextID += 1
            state.connections[state.nextID] = channel
            return state.nextID
        }
        let peer = Self.describe(channel.remoteAddress)
        guard let id else {
            configuration.logger.debug("telnet: refusing \(peer): too many sessions")
            try channel.pipeline.syncOperations.addHandler(RefusingHandler())
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLock { state in
                state.sessions -= 1
                state.connections[id] = nil
            }
        }
        let session = factory(peer)
        let limits = TelnetConnectionHandler.Limits(idleTimeout: configuration.idleTimeout,
                                                    maximumBufferedOutput: configuration.maxBufferedOutput)
        let handler = TelnetConnectionHandler(peer: peer, limits: limits, logger: configuration.logger) {
            [self] bound, channel in
            bound.value.onInterrupt = { Task { await session.interrupt() } }
            let driver = TelnetSessionDriver(session: session, handler: bound, channel: channel)
            let task = Task { await driver.run() }
            state.withLock { state in
                state.drivers[id] = task
            }
            // Forget the task once it is done (unless stop() is waiting on it).
            Task { [self] in
                await task.value
                _ = state.withLock { $0.drivers.removeValue(forKey: id) }
            }
        }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// "ip:port" of a peer.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
        return "\(address)"
    }
}

/// Says "Too many sessions" to a connection over the limit and closes it.
private final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var done = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        let channel = context.channel
        let buffer = channel.allocator.buffer(string: TelnetServer.tooManySessionsMessage)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
