import Diagnostics
import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// The telnet listener of the admin CLI (GUIDE.md §4.1): one `TerminalSession` per
/// connection, at most `maxSessions` logged in at a time. Connections still at the password
/// prompt are counted apart (at most `maxPendingLogins`, each for at most `loginTimeout`), so
/// connections that never log in cannot take the places of sessions or lock logins out.
public final class TelnetServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// The guide's port is 23; tests bind 0 and read the bound address from `start`.
        public var port: Int
        /// Logged-in sessions; one more connection is told so and closed.
        public var maxSessions: Int
        /// Connections waiting at the password prompt. When one more arrives, the one that has
        /// waited longest is closed to make room: a flood of silent connections then delays a
        /// person's login by one reconnection at most, instead of locking it out.
        public var maxPendingLogins: Int
        /// A connection not logged in after this long is told so and closed. 30 s, the
        /// default of IOS's `timeout login response`: room for a person to type a password
        /// after three wrong ones (1 s and 2 s pauses), little for a connection parked on purpose.
        public var loginTimeout: TimeAmount
        /// A logged-in session without input for this long is told so and closed.
        public var idleTimeout: TimeAmount
        /// Output a client has not taken beyond this drops its connection.
        public var maxBufferedOutput: Int
        /// An IAC SB left open this long is dropped (its length is capped by `TelnetParser`).
        public var subnegotiationTimeout: TimeAmount
        public var logger: Logger

        public static let defaultLoginTimeout: TimeAmount = .seconds(30)
        public static let defaultMaxSessions = 8
        public static let defaultMaxPendingLogins = 8
        public static let defaultIdleTimeout: TimeAmount = .minutes(10)

        public init(host: String = "0.0.0.0", port: Int = 23, maxSessions: Int = Configuration.defaultMaxSessions,
                    maxPendingLogins: Int = Configuration.defaultMaxPendingLogins,
                    loginTimeout: TimeAmount = Configuration.defaultLoginTimeout,
                    idleTimeout: TimeAmount = Configuration.defaultIdleTimeout, maxBufferedOutput: Int = 256 * 1024,
                    subnegotiationTimeout: TimeAmount = .seconds(2), logger: Logger = Logger.category(.plat)) {
            self.host = host
            self.port = port
            self.maxSessions = maxSessions
            self.maxPendingLogins = maxPendingLogins
            self.loginTimeout = loginTimeout
            self.idleTimeout = idleTimeout
            self.maxBufferedOutput = maxBufferedOutput
            self.subnegotiationTimeout = subnegotiationTimeout
            self.logger = logger
        }
    }

    /// What the "too many sessions" connection is told.
    public static let tooManySessionsMessage = "Too many sessions\r\n"

    private struct State {
        var serverChannel: (any Channel)?
        /// Connections that have logged in.
        var sessions: Set<Int> = []
        /// Connections at the password prompt, oldest first.
        var pending: [Int] = []
        var nextID = 0
        var connections: [Int: (channel: any Channel, peer: String)] = [:]
        var drivers: [Int: Task<Void, Never>] = [:]
        var stopped = false
    }

    private let group: any EventLoopGroup
    private let configuration: Configuration
    private let factory: TerminalSessionFactory
    private let state = NIOLockedValueBox(State())

    public init(group: any EventLoopGroup, configuration: Configuration, factory: @escaping TerminalSessionFactory) {
        self.group = group
        self.configuration = configuration
        self.factory = factory
    }

    /// Binds and starts accepting; returns the bound address.
    public func start() async throws -> SocketAddress {
        let channel = try await CLIListener.bind(group: group, host: configuration.host, port: configuration.port) { [self] in
            try self.accept($0)
        }
        state.withLockedValue { $0.serverChannel = channel }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        configuration.logger.debug("telnet: listening on \(address)")
        return address
    }

    /// Stops listening, closes every connection and waits for their sessions to end.
    public func stop() async {
        let (server, connections) = state.withLockedValue { state in
            state.stopped = true
            return (state.serverChannel, state.connections.values.map(\.channel))
        }
        try? await server?.close()
        for connection in connections { try? await connection.close() }
        while let driver = state.withLockedValue({ $0.drivers.first }) {
            await driver.value.value
            _ = state.withLockedValue { $0.drivers.removeValue(forKey: driver.key) }
        }
    }

    /// Called on the new channel's event loop.
    private func accept(_ channel: any Channel) throws {
        let peer = Self.describe(channel.remoteAddress)
        enum Admission { case refused, admitted(id: Int, evicting: (channel: any Channel, peer: String)?) }
        let admission: Admission = state.withLockedValue { state in
            guard !state.stopped, state.sessions.count < configuration.maxSessions else { return .refused }
            var evicted: (channel: any Channel, peer: String)?
            if state.pending.count >= max(1, configuration.maxPendingLogins), !state.pending.isEmpty {
                evicted = state.connections[state.pending.removeFirst()]
            }
            state.nextID += 1
            state.pending.append(state.nextID)
            state.connections[state.nextID] = (channel, peer)
            return .admitted(id: state.nextID, evicting: evicted)
        }
        guard case .admitted(let id, let evicting) = admission else {
            configuration.logger.notice("telnet: refused \(peer): too many sessions")
            try channel.pipeline.syncOperations.addHandler(RefusingHandler())
            return
        }
        if let evicting {
            configuration.logger.notice("telnet: closing \(evicting.peer): \(configuration.maxPendingLogins) connections wait to log in, \(peer) is newer")
            evicting.channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLockedValue { state in
                state.sessions.remove(id)
                state.pending.removeAll { $0 == id }
                state.connections[id] = nil
            }
        }
        let session = factory(peer)
        let limits = TelnetConnectionHandler.Limits(idleTimeout: configuration.idleTimeout,
                                                    maximumBufferedOutput: configuration.maxBufferedOutput,
                                                    subnegotiationTimeout: configuration.subnegotiationTimeout,
                                                    loginTimeout: configuration.loginTimeout)
        let handler = TelnetConnectionHandler(peer: peer, limits: limits, logger: configuration.logger) {
            [self] bound, channel in
            bound.value.onInterrupt = { Task { await session.interrupt() } }
            let driver = TelnetSessionDriver(session: session, handler: bound, channel: channel,
                                             echoesInput: bound.value.echoFlag,
                                             onLogin: { [self] in promote(id) })
            let task = Task { await driver.run() }
            state.withLockedValue { state in
                state.drivers[id] = task
            }
            // Forget the task once it is done (unless stop() is waiting on it).
            Task { [self] in
                await task.value
                _ = state.withLockedValue { $0.drivers.removeValue(forKey: id) }
            }
        }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// A pending connection logged in: it becomes a session if there is room.
    private func promote(_ id: Int) -> Bool {
        let (admitted, peer): (Bool, String) = state.withLockedValue { state in
            let peer = state.connections[id]?.peer ?? "unknown"
            state.pending.removeAll { $0 == id }
            guard state.connections[id] != nil, state.sessions.count < configuration.maxSessions else { return (false, peer) }
            state.sessions.insert(id)
            return (true, peer)
        }
        if !admitted { configuration.logger.notice("telnet: closing \(peer) after its login: too many sessions") }
        return admitted
    }

    /// How many connections are logged in and how many wait at the password prompt.
    public var counts: (sessions: Int, pendingLogins: Int) {
        state.withLockedValue { ($0.sessions.count, $0.pending.count) }
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
