import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SSHRelay

#if canImport(Glibc)
import Glibc
#endif

/// deskphone-ssh's side of the control socket (fd 3): logins go to the daemon and wait for its
/// answer, sessions go there with their socket. A thread reads the answers; when the daemon's
/// end closes (it stopped, crashed or exec'd a new image) this process has nothing to serve and
/// exits.
public final class DaemonLink: Sendable {
    public let socket: ControlSocket
    private let logger: Logger
    private let pending = NIOLockedValueBox((next: 0, promises: [Int: EventLoopPromise<LoginAnswer>]()))

    public init(socket: ControlSocket, logger: Logger) {
        self.socket = socket
        self.logger = logger
    }

    /// Sends a login attempt (`make` gets its id) and answers with the daemon's decision;
    /// refused when the daemon cannot be asked.
    func ask(on eventLoop: any EventLoop, _ make: (Int) -> ControlMessage) -> EventLoopFuture<LoginAnswer> {
        let promise = eventLoop.makePromise(of: LoginAnswer.self)
        let id = pending.withLockedValue { p -> Int in
            p.next += 1
            p.promises[p.next] = promise
            return p.next
        }
        do {
            try socket.send(make(id))
        } catch {
            logger.error("ssh: cannot ask the daemon: \(error)")
            _ = pending.withLockedValue { $0.promises.removeValue(forKey: id) }
            promise.succeed(.refuse)
        }
        return promise.futureResult
    }

    /// Hands a session's socket to the daemon (the descriptor is closed here afterwards).
    func sendSession(_ message: ControlMessage, descriptor: Int32) throws(RelayProtocolError) {
        defer { close(descriptor) }
        try socket.send(message, attaching: descriptor)
    }

    /// Reads the daemon's answers until its end closes, then exits the process. Blocks.
    public func readAnswers() -> Never {
        while true {
            do {
                switch try socket.receive() {
                case .end:
                    logger.info("ssh: the daemon closed the control socket; deskphone-ssh exits")
                    exit(0)
                case .message(.loginAnswer(let id, let answer), let attached):
                    if let attached { close(attached) }
                    let promise = pending.withLockedValue { $0.promises.removeValue(forKey: id) }
                    promise?.succeed(answer)
                case .message(let other, let attached):
                    if let attached { close(attached) }
                    logger.warning("ssh: unexpected \(other.name) message from the daemon (ignored)")
                }
            } catch {
                logger.error("ssh: control socket: \(error); deskphone-ssh exits")
                exit(1)
            }
        }
    }
}
