import Provisioning
import SIPStack

/// The phone's lines as SIP sees them: line N's account (its user, credentials and
/// registrar) from the provisioned `lineN_*` settings. The line, and which account it has,
/// is the phone's idea; the SIP stack registers what it is given by line number.
enum LineAccounts {
    static func accounts(_ s: SIPSettings) -> [Int: SIPAccount] {
        Dictionary(s.lines.map { line in
            (line.number, SIPAccount(user: line.name, authName: line.authName, password: line.password,
                                     displayName: line.displayName,
                                     registrar: ProxyAddress(host: line.proxy.host, port: line.proxy.port),
                                     userInfo: s.userInfo))
        }, uniquingKeysWith: { a, _ in a })
    }
}
