import SIPMessage

/// A proxy as configured: a host (IPv4 or DNS name) and a port when one is fixed (no port:
/// RFC 3263 SRV decides, GUIDE.md §2.2.2).
public struct ProxyAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int?
    public init(host: String, port: Int?) { self.host = host; self.port = port }
    public var description: String { "\(host):\(port ?? SIPURI.defaultPort)" }
}

/// What one registration binds: the address of record's user, the credentials, the
/// registrar. The phone's lines (Phone) make one from each provisioned line.
public struct SIPAccount: Sendable, Equatable {
    public var user: String
    public var authName: String
    public var password: String
    public var displayName: String?
    public var registrar: ProxyAddress
    /// `user_info`: `phone` or `ip` adds `;user=…` to the URIs.
    public var userInfo: String?

    public init(user: String, authName: String, password: String, displayName: String?, registrar: ProxyAddress,
                userInfo: String?) {
        self.user = user
        self.authName = authName
        self.password = password
        self.displayName = displayName
        self.registrar = registrar
        self.userInfo = userInfo
    }
}
