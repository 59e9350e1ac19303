import Console
import Logging
import NIOCore
import NIOSSH

/// Who may log in over SSH, read anew at every attempt: the phone has no user names (GUIDE.md
/// §4.1), so the user name the client sends is only logged; a key listed in the authorized keys
/// or `phone_password` (the same password telnet asks for) logs in. Wrong passwords go through
/// the same `LoginThrottle` and `LoginPolicy` as telnet's: the same back-off, counted by address
/// across connections and across telnet and SSH, and the connection is cut after
/// `maxFailures` wrong passwords.
public struct SSHLogin: Sendable {
    /// `phone_password`. Empty: password logins are refused (an SSH port on a network with an
    /// empty password would be an open door; keys still work).
    public var password: @Sendable () -> String
    /// The authorized keys in force (the daemon re-reads its files when they change).
    public var authorizedKeys: @Sendable () -> AuthorizedKeys
    /// Why remote CLI logins are closed now (`telnet_level 0`), or nil when they are open.
    public var closedReason: @Sendable () -> String?
    public var throttle: LoginThrottle
    public var policy: LoginPolicy

    public init(password: @escaping @Sendable () -> String, authorizedKeys: @escaping @Sendable () -> AuthorizedKeys,
                closedReason: @escaping @Sendable () -> String? = { nil }, throttle: LoginThrottle = LoginThrottle(),
                policy: LoginPolicy = LoginPolicy()) {
        self.password = password
        self.authorizedKeys = authorizedKeys
        self.closedReason = closedReason
        self.throttle = throttle
        self.policy = policy
    }
}

/// One connection's user authentication (RFC 4252), on the connection's event loop.
/// swift-nio-ssh has checked a public key's signature before it asks here.
final class SSHAuthenticator: NIOSSHServerUserAuthenticationDelegate {
    let login: SSHLogin
    let peer: String
    let logger: Logger
    let eventLoop: any EventLoop
    /// Called once the connection is authenticated.
    let onSuccess: () -> Void
    /// Called after the last wrong password the policy allows: cut the connection.
    let onLockOut: () -> Void
    private var failures = 0

    init(login: SSHLogin, peer: String, logger: Logger, eventLoop: any EventLoop,
         onSuccess: @escaping () -> Void, onLockOut: @escaping () -> Void) {
        self.login = login
        self.peer = peer
        self.logger = logger
        self.eventLoop = eventLoop
        self.onSuccess = onSuccess
        self.onLockOut = onLockOut
    }

    var supportedAuthenticationMethods: NIOSSHAvailableUserAuthenticationMethods { [.publicKey, .password] }

    func requestReceived(request: NIOSSHUserAuthenticationRequest,
                         responsePromise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        let user = String(request.username.prefix(32).unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F })
        if let reason = login.closedReason() {
            if case .none = request.request {} else {
                logger.notice("ssh: login: \(peer) (user \(user)) refused: \(reason)")
            }
            return responsePromise.succeed(.failure)
        }
        switch request.request {
        case .publicKey(let offer):
            guard let entry = login.authorizedKeys().entry(for: offer.publicKey) else {
                logger.notice("ssh: login: key \(HostKey.fingerprint(of: offer.publicKey)) from \(peer) (user \(user)) is not authorized")
                return responsePromise.succeed(.failure)
            }
            let comment = entry.comment.isEmpty ? "" : " \(entry.comment)"
            logger.info("ssh: login: \(peer) (user \(user)) logged in with key\(comment) (\(entry.file):\(entry.line))")
            succeed(responsePromise)
        case .password(let offer):
            checkPassword(offer.password, user: user, responsePromise)
        default:
            // `none` (the client asking which methods there are) and host-based logins.
            responsePromise.succeed(.failure)
        }
    }

    private func succeed(_ promise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        login.throttle.recordSuccess(from: LoginThrottle.address(ofPeer: peer))
        onSuccess()
        promise.succeed(.success)
    }

    private func checkPassword(_ typed: String, user: String, _ promise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        let expected = login.password()
        guard !expected.isEmpty else {
            logger.notice("ssh: login: password login from \(peer) refused: phone_password is empty")
            return promise.succeed(.failure)
        }
        if CLISession.constantTimeEqual(typed, expected) {
            logger.info("ssh: login: \(peer) (user \(user)) logged in with the password")
            return succeed(promise)
        }
        failures += 1
        let n = failures, address = LoginThrottle.address(ofPeer: peer)
        let total = max(n, login.throttle.recordFailure(from: address))
        logger.notice("ssh: login: wrong password from \(peer) (\(n) on this connection, \(total) from \(address))")
        if n >= login.policy.maxFailures {
            logger.notice("ssh: login: \(peer): \(n) wrong passwords, closing the connection")
            promise.succeed(.failure)
            onLockOut()
            return
        }
        // The answer waits out the back-off, as telnet's `% Password incorrect` does.
        let delay = login.policy.delay(afterFailure: total)
        let nanoseconds = Int64(delay.components.seconds) * 1_000_000_000 + Int64(delay.components.attoseconds / 1_000_000_000)
        eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { promise.succeed(.failure) }
    }
}
