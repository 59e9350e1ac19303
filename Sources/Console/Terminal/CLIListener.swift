import NIOCore
import NIOPosix

/// The listening socket of a remote CLI (telnet, SSH): one bootstrap for both, so their
/// socket options and address handling cannot drift apart.
public enum CLIListener {
    /// Binds `host`:`port` and hands every accepted connection to `accept` on its event loop.
    public static func bind(group: any EventLoopGroup, host: String, port: Int,
                     accept: @escaping @Sendable (any Channel) throws -> Void) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 32)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try accept(channel) }
            }
        // A numeric address needs no getaddrinfo(3) (its NSS and netlink round trips are start-up time).
        return try await ((try? SocketAddress(ipAddress: host, port: port))
            .map { bootstrap.bind(to: $0) } ?? bootstrap.bind(host: host, port: port)).get()
    }
}
