import SIPMessage

/// A REGISTER (RFC 3261 §10.2) for one binding, on SIPMessage's builder: the registrar's URI
/// (with `;transport=tcp` over TCP), the address of record in From and To, the phone's Contact
/// with the expiry asked for, and digest credentials when a challenge is being answered.
public struct RegisterRequest: Sendable {
    public var account: SIPAccount
    /// The registrar the Request-URI names (the primary or the backup proxy).
    public var registrar: ProxyAddress
    public var callID: String
    public var fromTag: String
    public var cseq: Int
    public var expires: Int
    /// The host and port put in Via and Contact.
    public var contact: (host: String, port: Int)
    public var transport: ServerLocation.Transport
    public var maxForwards: Int
    public var challenge: DigestAuthentication.Challenge?
    public var isProxyChallenge: Bool
    public var branch: String
    public var userAgent: String

    public init(account: SIPAccount, registrar: ProxyAddress, callID: String, fromTag: String, cseq: Int, expires: Int,
                contact: (host: String, port: Int), transport: ServerLocation.Transport, maxForwards: Int,
                challenge: DigestAuthentication.Challenge? = nil, isProxyChallenge: Bool = false,
                branch: String = SIPIdentifiers.branch(), userAgent: String = "Deskphone") {
        self.account = account
        self.registrar = registrar
        self.callID = callID
        self.fromTag = fromTag
        self.cseq = cseq
        self.expires = expires
        self.contact = contact
        self.transport = transport
        self.maxForwards = maxForwards
        self.challenge = challenge
        self.isProxyChallenge = isProxyChallenge
        self.branch = branch
        self.userAgent = userAgent
    }

    /// `sip:registrar[:port][;transport=tcp]`.
    public var requestURI: String {
        "sip:\(registrar.host)" + (registrar.port.map { ":\($0)" } ?? "") + (transport == .tcp ? ";transport=tcp" : "")
    }

    /// `sip:user@registrar[;user=…]`.
    public var addressOfRecord: String {
        "sip:\(account.user)@\(registrar.host)" + (account.userInfo.map { ";user=\($0)" } ?? "")
    }

    public var message: SIPMessageBuilder {
        let userParam = account.userInfo.map { ";user=\($0)" } ?? ""
        let transportParam = transport == .tcp ? ";transport=tcp" : ""
        var m = SIPMessageBuilder.request(method: "REGISTER", uri: requestURI)
        m.add("Via", "SIP/2.0/\(transport.rawValue.uppercased()) \(contact.host):\(contact.port);branch=\(branch);rport")
        m.add("Max-Forwards", String(maxForwards))
        let display = account.displayName.map { "\"\($0)\" " } ?? ""
        m.add("From", "\(display)<\(addressOfRecord)>;tag=\(fromTag)")
        m.add("To", "<\(addressOfRecord)>")
        m.add("Call-ID", callID)
        m.add("CSeq", "\(cseq) REGISTER")
        m.add("Contact", "<sip:\(account.user)@\(contact.host):\(contact.port)\(userParam)\(transportParam)>")
        m.add("Expires", String(expires))
        if let challenge {
            m.addCredentials(answering: challenge, proxy: isProxyChallenge, username: account.authName, password: account.password,
                             method: "REGISTER", uri: requestURI)
        }
        m.add("User-Agent", userAgent)
        m.add("Content-Length", "0")
        return m
    }
}
