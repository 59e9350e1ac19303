import SIPMessage

/// The address the phone puts in Via and Contact, and what the registrar's answers teach about
/// it (GUIDE.md §9.7 NAT; RFC 3581): the NAT's address (`nat_enable`, `nat_address`), else the
/// one learned from `received=`/`rport` (`nat_received_processing`), else the bound address, or
/// the source address the kernel picks toward the registrar when bound to 0.0.0.0.
public struct NATLearning: Sendable {
    public var settings: NATSettings {
        didSet { if settings != oldValue { learned = nil } }
    }
    /// The public address learned from responses.
    public private(set) var learned: (host: String, port: Int)?

    public init(settings: NATSettings = NATSettings()) { self.settings = settings }

    /// `local` is the bound address and port (`voip_control_port`); `source` the kernel's
    /// source address toward the next hop (asked only when bound to the wildcard).
    public func advertised(localHost: String?, localPort: Int, source: () -> String?) -> (host: String, port: Int) {
        if settings.receivedProcessing, let learned { return learned }
        if settings.enabled, let nat = settings.address { return (nat, localPort) }
        if let ip = localHost, ip != "0.0.0.0", ip != "::" { return (ip, localPort) }
        return (source() ?? "127.0.0.1", localPort)
    }

    /// Learns from a response's top Via; true when it shows an address other than the one the
    /// request advertised (then the binding should be registered again under the right one).
    public mutating func learn(from response: SIPMessage, transport: ServerLocation.Transport,
                               advertised: (host: String, port: Int)) -> Bool {
        guard settings.receivedProcessing, let via = try? response.topVia(), via.received != nil || via.rport != nil else {
            return false
        }
        let host = via.received ?? via.host
        // Over TCP the source port is the connection's; the phone still listens on its own.
        var port = via.port ?? SIPURI.defaultPort
        if transport == .udp, case .value(let p) = via.rport { port = p }
        learned = (host, port)
        return advertised != (host, port)
    }
}
