import Console
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's SSH sessions: each a socket that `deskphone-ssh` handed over with its
/// metadata, run as a `RelayedSession` on the daemon's loop, at most `maxSessions` at a time
/// (the same limit as telnet's). The sessions are the telnet sessions' (`factory`), so
/// `show sessions` lists them with their peer.
public final class RelayedSessions: Sendable {
    private let group: any EventLoopGroup
    private let factory: TerminalSessionFactory
    private let maxSessions: Int
    private let idleTimeout: TimeAmount
    private let logger: Logger
    private let state = NIOLockedValueBox((running: Set<Int>(), nextID: 0, channels: [Int: any Channel]()))

    public init(group: any EventLoopGroup, factory: @escaping TerminalSessionFactory,
                maxSessions: Int = TelnetServer.Configuration.defaultMaxSessions, idleTimeout: TimeAmount, logger: Logger) {
        self.group = group
        self.factory = factory
        self.maxSessions = maxSessions
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// How many sessions run.
    public var count: Int { state.withLockedValue { $0.running.count } }

    /// Runs the session of `descriptor` (taken over: it is closed with the session) as
    /// `message` (a `.session`) describes it.
    public func start(_ message: ControlMessage, descriptor: Int32) {
        guard case .session(let peer, _, let command, let columns) = message else {
            close(descriptor)
            return
        }
        let id = state.withLockedValue { s -> Int in s.nextID += 1; return s.nextID }
        let environment = RelayedSession.Environment(
            factory: factory, peer: peer, command: command, columns: columns, idleTimeout: idleTimeout, logger: logger,
            onLogin: { [self] in admit(id, peer: peer) })
        let logger = self.logger
        ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(SessionFrameDecoder()), RelayedSession(environment),
                    ])
                }
            }
            .withConnectedSocket(descriptor)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    state.withLockedValue { $0.channels[id] = channel }
                    channel.closeFuture.whenComplete { [self] _ in
                        state.withLockedValue { s in
                            s.running.remove(id)
                            s.channels[id] = nil
                        }
                    }
                case .failure(let error):
                    logger.error("ssh: session of \(peer): \(error)")
                }
            }
    }

    /// Ends every session (at shutdown).
    public func closeAll() async {
        let channels = state.withLockedValue { Array($0.channels.values) }
        for channel in channels { try? await channel.close() }
    }

    /// A session wants to start: it counts if there is room.
    private func admit(_ id: Int, peer: String) -> Bool {
        let admitted = state.withLockedValue { state -> Bool in
            guard state.running.count < maxSessions else { return false }
            state.running.insert(id)
            return true
        }
        if !admitted { logger.notice("ssh: refused a session of \(peer): too many sessions") }
        return admitted
    }
}
