import SIPMessage
import SIPStack

/// The INVITE of an outgoing call (RFC 3261 §8.1.1, §13.2.1): the callee's URI at the line's
/// proxy (with `;user=phone|ip` from the dial plan), the line's address of record in From,
/// the phone's Contact, `timer_invite_expires` in Expires, the SDP offer, and digest
/// credentials when a 401/407 is being answered.
struct InviteRequest {
    var requestURI: String
    var to: String
    var account: SIPAccount
    var callID: String
    var fromTag: String
    var cseq: Int
    var contact: (host: String, port: Int)
    var transport: ServerLocation.Transport
    var maxForwards: Int
    var expires: Int
    var sdp: [UInt8]
    var challenge: DigestAuthentication.Challenge?
    var isProxyChallenge = false
    var branch = SIPIdentifiers.branch()
    var userAgent: String
    var allow: String

    /// `sip:number@host[:port][;user=…]` at `proxy`.
    static func uri(number: String, proxy: ProxyAddress, userParameter: String?) -> String {
        "sip:\(number)@\(proxy.host)" + (proxy.port.map { ":\($0)" } ?? "") + (userParameter.map { ";user=\($0)" } ?? "")
    }

    var message: SIPMessageBuilder {
        var m = SIPMessageBuilder.request(method: "INVITE", uri: requestURI)
        m.add("Via", "SIP/2.0/\(transport.rawValue.uppercased()) \(contact.host):\(contact.port);branch=\(branch);rport")
        m.add("Max-Forwards", String(maxForwards))
        let display = account.displayName.map { "\"\($0)\" " } ?? ""
        m.add("From", "\(display)<sip:\(account.user)@\(account.registrar.host)>;tag=\(fromTag)")
        m.add("To", "<\(to)>")
        m.add("Call-ID", callID)
        m.add("CSeq", "\(cseq) INVITE")
        m.add("Contact", "<sip:\(account.user)@\(contact.host):\(contact.port)\(transport == .tcp ? ";transport=tcp" : "")>")
        m.add("Expires", String(expires))
        if let challenge {
            m.addCredentials(answering: challenge, proxy: isProxyChallenge, username: account.authName, password: account.password,
                             method: "INVITE", uri: requestURI)
        }
        m.add("Allow", allow)
        m.add("User-Agent", userAgent)
        m.add("Content-Type", "application/sdp")
        m.body = sdp
        return m
    }
}
