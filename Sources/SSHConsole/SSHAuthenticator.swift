import Logging
import NIOCore
import NIOSSH
import SSHRelay

/// One connection's user authentication (RFC 4252), on the connection's event loop: each
/// password or key goes to the daemon, which decides (`SSHLogin`) and answers after its
/// back-off. swift-nio-ssh has checked a public key's signature before it asks here.
final class SSHAuthenticator: NIOSSHServerUserAuthenticationDelegate {
    let link: DaemonLink
    let peer: String
    let eventLoop: any EventLoop
    /// Called once the connection is authenticated.
    let onSuccess: () -> Void
    /// Called after the last wrong password the daemon's policy allows: cut the connection.
    let onLockOut: () -> Void
    private var failures = 0
    /// The user name of the accepted login (only logged and passed on: the phone has none).
    private(set) var user = ""

    init(link: DaemonLink, peer: String, eventLoop: any EventLoop,
         onSuccess: @escaping () -> Void, onLockOut: @escaping () -> Void) {
        self.link = link
        self.peer = peer
        self.eventLoop = eventLoop
        self.onSuccess = onSuccess
        self.onLockOut = onLockOut
    }

    var supportedAuthenticationMethods: NIOSSHAvailableUserAuthenticationMethods { [.publicKey, .password] }

    func requestReceived(request: NIOSSHUserAuthenticationRequest,
                         responsePromise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        let user = request.username, peer = self.peer
        let answer: EventLoopFuture<LoginAnswer>
        switch request.request {
        case .publicKey(let offer):
            guard let key = SSHPublicKey(offer.publicKey) else { return responsePromise.succeed(.failure) }
            answer = link.ask(on: eventLoop) { .keyLogin(id: $0, peer: peer, user: user, keyType: key.type, key: key.wire) }
        case .password(let offer):
            let failures = self.failures
            answer = link.ask(on: eventLoop) {
                .passwordLogin(id: $0, peer: peer, user: user, password: offer.password, failures: failures)
            }
        default:
            // `none` (the client asking which methods there are) and host-based logins.
            return responsePromise.succeed(.failure)
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let isPassword: Bool
        if case .password = request.request { isPassword = true } else { isPassword = false }
        answer.whenSuccess { answer in
            let authenticator = bound.value
            switch answer {
            case .accept:
                authenticator.user = user
                authenticator.onSuccess()
                responsePromise.succeed(.success)
            case .refuse:
                if isPassword { authenticator.failures += 1 }
                responsePromise.succeed(.failure)
            case .refuseAndClose:
                authenticator.failures += 1
                responsePromise.succeed(.failure)
                authenticator.onLockOut()
            }
        }
    }
}

extension SSHPublicKey {
    /// The wire form of a key swift-nio-ssh read (nil for a type the daemon does not know).
    init?(_ key: NIOSSHPublicKey) {
        let words = String(openSSHPublicKey: key).split(separator: " ")
        guard words.count >= 2, let parsed = try? SSHPublicKey(type: String(words[0]), base64: words[1]) else { return nil }
        self = parsed
    }
}
