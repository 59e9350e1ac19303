import Console
import Logging

/// Who may log in over SSH, decided in the daemon for `deskphone-ssh` (which asks for every
/// attempt) and read anew at every attempt: the phone has no user names (GUIDE.md §4.1), so the
/// user name the client sends is only logged; a key listed in the authorized keys or
/// `phone_password` (the same password telnet asks for) logs in. Wrong passwords go through
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
    public var logger: Logger

    public init(password: @escaping @Sendable () -> String, authorizedKeys: @escaping @Sendable () -> AuthorizedKeys,
                closedReason: @escaping @Sendable () -> String? = { nil }, throttle: LoginThrottle = LoginThrottle(),
                policy: LoginPolicy = LoginPolicy(), logger: Logger) {
        self.password = password
        self.authorizedKeys = authorizedKeys
        self.closedReason = closedReason
        self.throttle = throttle
        self.policy = policy
        self.logger = logger
    }

    /// The answer to one attempt, and how long it waits before it goes out (the back-off after
    /// a wrong password, as telnet's `% Password incorrect` waits).
    public struct Decision: Equatable, Sendable {
        public var answer: LoginAnswer
        public var delay: Duration
    }

    /// A login attempt (swift-nio-ssh has checked a key's signature before it is asked).
    public func decide(_ message: ControlMessage) -> Decision {
        let refuse = Decision(answer: .refuse, delay: .zero)
        switch message {
        case .keyLogin(_, let peer, let user, let keyType, let wire):
            let user = Self.printable(user)
            if let reason = closedReason() {
                logger.notice("ssh: login: \(peer) (user \(user)) refused: \(reason)")
                return refuse
            }
            guard let key = try? SSHPublicKey(type: keyType, wire: wire), let entry = authorizedKeys().entry(for: key) else {
                let fingerprint = (try? SSHPublicKey(type: keyType, wire: wire)).map(HostKey.fingerprint(of:)) ?? keyType
                logger.notice("ssh: login: key \(fingerprint) from \(peer) (user \(user)) is not authorized")
                return refuse
            }
            let comment = entry.comment.isEmpty ? "" : " \(entry.comment)"
            logger.info("ssh: login: \(peer) (user \(user)) logged in with key\(comment) (\(entry.file):\(entry.line))")
            throttle.recordSuccess(from: LoginThrottle.address(ofPeer: peer))
            return Decision(answer: .accept, delay: .zero)
        case .passwordLogin(_, let peer, let user, let typed, let failures):
            let user = Self.printable(user)
            if let reason = closedReason() {
                logger.notice("ssh: login: \(peer) (user \(user)) refused: \(reason)")
                return refuse
            }
            let expected = password()
            guard !expected.isEmpty else {
                logger.notice("ssh: login: password login from \(peer) refused: phone_password is empty")
                return refuse
            }
            let address = LoginThrottle.address(ofPeer: peer)
            if CLISession.constantTimeEqual(typed, expected) {
                logger.info("ssh: login: \(peer) (user \(user)) logged in with the password")
                throttle.recordSuccess(from: address)
                return Decision(answer: .accept, delay: .zero)
            }
            let n = failures + 1
            let total = max(n, throttle.recordFailure(from: address))
            logger.notice("ssh: login: wrong password from \(peer) (\(n) on this connection, \(total) from \(address))")
            if n >= policy.maxFailures {
                logger.notice("ssh: login: \(peer): \(n) wrong passwords, closing the connection")
                return Decision(answer: .refuseAndClose, delay: .zero)
            }
            return Decision(answer: .refuse, delay: policy.delay(afterFailure: total))
        default:
            return refuse
        }
    }

    /// The user name for the log: printable ASCII, at most 32 characters.
    static func printable(_ user: String) -> String {
        String(user.prefix(32).unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F })
    }
}
