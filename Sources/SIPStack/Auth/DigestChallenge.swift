import TextUtilities
import SIPMessage

extension DigestAuthentication.Challenge {
    /// The digest challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) response
    /// (RFC 3261 §22.2, RFC 2617 §3.2.1); nil when it has none the phone can answer.
    public init?(response: SIPMessage) {
        guard let status = response.statusCode, status == 401 || status == 407, let typed = try? response.parseAll() else {
            return nil
        }
        guard let auth = (status == 407 ? typed.proxyAuthenticate : typed.wwwAuthenticate).first(where: { $0.isDigest }) else {
            return nil
        }
        self.init(auth)
    }

    /// A challenge from one parsed `Digest …` value: realm and nonce required; MD5 unless
    /// another algorithm is named; qop options as a list.
    public init?(_ auth: SIPAuthValue) {
        guard let realm = auth.realm, let nonce = auth.nonce else { return nil }
        let algorithm = auth.algorithm.flatMap { DigestAuthentication.Algorithm(rawValue: $0.uppercased() == "MD5" ? "MD5" : $0) } ?? .md5
        let qop = auth["qop"].map { $0.split(separator: ",").map { String($0.trimmingWSP()) } } ?? []
        self.init(realm: realm, nonce: nonce, opaque: auth.opaque, algorithm: algorithm, qop: qop,
                  stale: auth["stale"]?.lowercased() == "true")
    }
}

extension SIPMessageBuilder {
    /// Authorization (401) or Proxy-Authorization (407) answering `challenge` for this request's
    /// `method` and Request-URI `uri` (RFC 3261 §22.2, §22.3), with a fresh client nonce.
    public mutating func addCredentials(answering challenge: DigestAuthentication.Challenge, proxy: Bool, username: String,
                                        password: String, method: String, uri: String) {
        guard let answer = DigestAuthentication.answer(challenge, username: username, password: password, method: method, uri: uri,
                                                       cnonce: DigestAuthentication.makeClientNonce(), nonceCount: 1) else { return }
        add(proxy ? "Proxy-Authorization" : "Authorization", answer.headerValue)
    }
}
