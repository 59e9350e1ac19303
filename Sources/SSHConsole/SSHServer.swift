import Console
import Diagnostics
import Logging
import NIOCore
import NIOPosix
import NIOSSH
import SSHRelay
import NIOConcurrencyHelpers

/// The SSH server of `deskphone-ssh` (issue 17; beyond the reference phone, which has telnet
/// only; a process of its own since issue 16, so that the daemon links no NIOSSH): logins are
/// decided by the daemon (`DaemonLink`), and each `session` channel is relayed to the daemon,
/// where the same `TerminalSession`s as telnet's run. Connections that have not logged in are
/// limited here (at most `maxPendingLogins`, the oldest closed to make room, each for at most
/// `loginTimeout`), as telnet's are. No port forwarding, no sftp: only `shell` and `exec`.
public final class SSHServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// Tests bind 0 and read the bound address from `start`.
        public var port: Int
        public var hostKey: HostKey
        public var maxPendingLogins: Int
        public var loginTimeout: TimeAmount
        public var logger: Logger

        public init(host: String, port: Int, hostKey: HostKey,
                    maxPendingLogins: Int = TelnetServer.Configuration.defaultMaxPendingLogins,
                    loginTimeout: TimeAmount = TelnetServer.Configuration.defaultLoginTimeout,
                    logger: Logger = Logger.category(.plat)) {
            self.host = host
            self.port = port
            self.hostKey = hostKey
            self.maxPendingLogins = maxPendingLogins
            self.loginTimeout = loginTimeout
            self.logger = logger
        }
    }

    private struct State {
        var serverChannel: (any Channel)?
        /// Connections not yet authenticated, oldest first.
        var pending: [Int] = []
        var connections: [Int: (channel: any Channel, peer: String)] = [:]
        var nextID = 0
        var stopped = false
    }

    private let group: any EventLoopGroup
    private let configuration: Configuration
    private let link: DaemonLink
    private let state = NIOLockedValueBox(State())

    public init(group: any EventLoopGroup, configuration: Configuration, link: DaemonLink) {
        self.group = group
        self.configuration = configuration
        self.link = link
    }

    /// Binds and starts accepting; returns the bound address.
    public func start() async throws -> SocketAddress {
        let channel = try await CLIListener.bind(group: group, host: configuration.host, port: configuration.port) { [self] in
            try self.accept($0)
        }
        state.withLockedValue { $0.serverChannel = channel }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return address
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        let (server, connections) = state.withLockedValue { state in
            state.stopped = true
            return (state.serverChannel, state.connections.values.map(\.channel))
        }
        try? await server?.close()
        for connection in connections { try? await connection.close() }
    }

    /// How many connections wait to log in.
    public var pendingLogins: Int {
        state.withLockedValue { $0.pending.count }
    }

    /// Called on the new connection's event loop.
    private func accept(_ channel: any Channel) throws {
        let peer = Self.describe(channel.remoteAddress)
        let admitted: (id: Int, evicting: (channel: any Channel, peer: String)?)? = state.withLockedValue { state in
            guard !state.stopped else { return nil }
            var evicted: (channel: any Channel, peer: String)?
            if state.pending.count >= max(1, configuration.maxPendingLogins), !state.pending.isEmpty {
                evicted = state.connections[state.pending.removeFirst()]
            }
            state.nextID += 1
            state.pending.append(state.nextID)
            state.connections[state.nextID] = (channel, peer)
            return (state.nextID, evicted)
        }
        guard let (id, evicting) = admitted else { return channel.close(promise: nil) }
        let logger = configuration.logger
        logger.debug("ssh: connection from \(peer)")
        if let evicting {
            logger.notice("ssh: closing \(evicting.peer): \(configuration.maxPendingLogins) connections wait to log in, \(peer) is newer")
            evicting.channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLockedValue { state in
                state.pending.removeAll { $0 == id }
                state.connections[id] = nil
            }
            logger.info("ssh: connection from \(peer) closed")
        }
        // Not logged in within the time: closed (a session channel needs a login first).
        let timeout = configuration.loginTimeout
        let loginTimer = channel.eventLoop.scheduleTask(in: timeout) { [self] in
            guard state.withLockedValue({ $0.pending.contains(id) }) else { return }
            logger.notice("ssh: \(peer) did not log in within \(timeout.nanoseconds / 1_000_000_000) s, closing")
            channel.close(promise: nil)
        }
        let authenticator = SSHAuthenticator(
            link: link, peer: peer, eventLoop: channel.eventLoop,
            onSuccess: { [self] in
                loginTimer.cancel()
                state.withLockedValue { $0.pending.removeAll { $0 == id } }
            },
            onLockOut: {
                // After the failure has gone out.
                channel.eventLoop.scheduleTask(in: .milliseconds(100)) { channel.close(promise: nil) }
            })
        let link = self.link
        let server = SSHServerConfiguration(hostKeys: [NIOSSHPrivateKey(ed25519Key: configuration.hostKey.privateKey)],
                                            userAuthDelegate: authenticator)
        let authenticated = NIOLoopBound(authenticator, eventLoop: channel.eventLoop)
        let handler = NIOSSHHandler(role: .server(server), allocator: channel.allocator) { child, type in
            child.eventLoop.makeCompletedFuture {
                guard case .session = type else {
                    logger.notice("ssh: \(peer): \(type) channel refused (only shell and exec sessions)")
                    throw ChannelError.operationUnsupported
                }
                try child.pipeline.syncOperations.addHandler(SSHSessionRelay(link: link, peer: peer, user: authenticated.value.user, logger: logger))
            }
        }
        try channel.pipeline.syncOperations.addHandlers([handler, ConnectionErrorHandler(peer: peer, logger: logger)])
    }

    /// "ip:port" of a peer.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
        return "\(address)"
    }
}

/// A protocol error (a bad packet, a failed key exchange, a refused channel) ends the connection.
private final class ConnectionErrorHandler: ChannelInboundHandler {
    typealias InboundIn = Any
    let peer: String
    let logger: Logger

    init(peer: String, logger: Logger) {
        self.peer = peer
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("ssh: \(peer): \(error)")
        context.close(promise: nil)
    }
}
