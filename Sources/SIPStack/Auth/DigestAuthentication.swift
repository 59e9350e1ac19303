import Crypto

/// HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616): the answer
/// to a 401 WWW-Authenticate or 407 Proxy-Authenticate challenge, with the line's credentials
/// (`lineN_authname`, else `lineN_name`; `lineN_password`).
public enum DigestAuthentication {
    public enum Algorithm: String, Sendable, Equatable {
        case md5 = "MD5", md5Session = "MD5-sess", sha256 = "SHA-256", sha256Session = "SHA-256-sess"

        var isSession: Bool { self == .md5Session || self == .sha256Session }

        func hash(_ text: String) -> String {
            switch self {
            case .md5, .md5Session: return Insecure.MD5.hash(data: Array(text.utf8)).hex
            case .sha256, .sha256Session: return SHA256.hash(data: Array(text.utf8)).hex
            }
        }
    }

    /// The parameters of a challenge that the answer depends on.
    public struct Challenge: Sendable, Equatable {
        public var realm: String
        public var nonce: String
        public var opaque: String?
        public var algorithm: Algorithm
        /// The qop options offered (`auth`, `auth-int`); empty for RFC 2069 style.
        public var qop: [String]
        public var stale: Bool

        public init(realm: String, nonce: String, opaque: String? = nil, algorithm: Algorithm = .md5,
                    qop: [String] = [], stale: Bool = false) {
            self.realm = realm
            self.nonce = nonce
            self.opaque = opaque
            self.algorithm = algorithm
            self.qop = qop
            self.stale = stale
        }
    }

    /// The computed answer, ready to be written as an Authorization / Proxy-Authorization value.
    public struct Answer: Sendable, Equatable {
        public var username: String
        public var realm: String
        public var nonce: String
        public var uri: String
        public var response: String
        public var algorithm: Algorithm
        public var opaque: String?
        /// `auth` when the challenge offered it, else nil (RFC 2069 compatibility).
        public var qop: String?
        public var cnonce: String?
        public var nonceCount: Int?

        /// `Digest username="…", realm="…", …` (RFC 2617 §3.2.2; nc is 8 hex digits, unquoted).
        public var headerValue: String {
            var parts = [
                "username=\"\(Self.escaped(username))\"", "realm=\"\(Self.escaped(realm))\"",
                "nonce=\"\(Self.escaped(nonce))\"", "uri=\"\(Self.escaped(uri))\"",
                "response=\"\(response)\"", "algorithm=\(algorithm.rawValue)",
            ]
            if let qop, let cnonce, let nc = nonceCount {
                parts += ["qop=\(qop)", "nc=\(DigestAuthentication.nonceCountText(nc))", "cnonce=\"\(Self.escaped(cnonce))\""]
            }
            if let opaque { parts.append("opaque=\"\(Self.escaped(opaque))\"") }
            return "Digest " + parts.joined(separator: ", ")
        }

        static func escaped(_ s: String) -> String {
            String(s.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] })
        }
    }

    /// Answers `challenge` for a request `method` to `uri`. `cnonce` and `nonceCount` are the
    /// client nonce and the count of requests made with this nonce (1 for the first).
    /// Only `qop=auth` is used: `auth-int` alone is not supported (returns nil), as in most
    /// phones; a challenge without qop gets an RFC 2069 answer.
    public static func answer(_ challenge: Challenge, username: String, password: String, method: String, uri: String,
                              cnonce: String, nonceCount: Int) -> Answer? {
        let qop: String?
        if challenge.qop.isEmpty { qop = nil }
        else if challenge.qop.contains(where: { $0.lowercased() == "auth" }) { qop = "auth" }
        else { return nil }
        let h = challenge.algorithm.hash
        var ha1 = h("\(username):\(challenge.realm):\(password)")
        if challenge.algorithm.isSession { ha1 = h("\(ha1):\(challenge.nonce):\(cnonce)") }
        let ha2 = h("\(method):\(uri)")
        let response = qop == nil
            ? h("\(ha1):\(challenge.nonce):\(ha2)")
            : h("\(ha1):\(challenge.nonce):\(nonceCountText(nonceCount)):\(cnonce):auth:\(ha2)")
        return Answer(username: username, realm: challenge.realm, nonce: challenge.nonce, uri: uri, response: response,
                      algorithm: challenge.algorithm, opaque: challenge.opaque, qop: qop,
                      cnonce: qop == nil ? nil : cnonce, nonceCount: qop == nil ? nil : nonceCount)
    }

    static func nonceCountText(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// A fresh client nonce (16 random bytes in hex).
    public static func makeClientNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }.hex
    }
}

extension Sequence where Element == UInt8 {
    var hex: String {
        let d = Array("0123456789abcdef")
        return String(flatMap { [d[Int($0 >> 4)], d[Int($0 & 0xF)]] })
    }
}
