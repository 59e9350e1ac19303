import SIPMessage

extension LineRegistration.Outcome {
    /// A final response as the registration machine sees it. `contact` is the host and port
    /// the REGISTER's Contact carried: the 200 lists every binding of the AOR (RFC 3261
    /// §10.2.4), and only this phone's own gives its expiry.
    public init(_ response: SIPMessage?, user: String, contact: (host: String, port: Int)) {
        guard let response, let status = response.statusCode else {
            self = .noAnswer
            return
        }
        guard let typed = try? response.parseAll() else {
            self = .response(status: status, expires: nil, challenge: nil, minExpires: nil)
            return
        }
        let mine = typed.contacts.first {
            $0.uri.user == user && $0.uri.host?.lowercased() == contact.host.lowercased()
                && ($0.uri.port ?? SIPURI.defaultPort) == contact.port
        }
        let expires = mine?.expires.map(Int.init) ?? typed.expires.map(Int.init)
        self = .response(status: status, expires: expires, challenge: DigestAuthentication.Challenge(response: response),
                         minExpires: typed.minExpires.map(Int.init))
    }
}
