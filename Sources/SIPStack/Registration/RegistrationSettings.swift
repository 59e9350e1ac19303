/// What every registration of the phone shares (GUIDE.md §2.2.2–§2.2.3, §9.7).
public struct RegistrationSettings: Sendable, Equatable {
    /// `timer_register_expires`.
    public var expires: Int
    /// `timer_register_delta`.
    public var delta: Int
    /// `proxy_backup` / `proxy_backup_port`.
    public var backup: ProxyAddress?
    /// `sip_max_forwards`.
    public var maxForwards: Int
    /// `sip_transport`: UDP (the 7960's) or TCP.
    public var transport: ServerLocation.Transport
    /// `outbound_proxy`/`outbound_proxy_port`: every REGISTER is sent there, A record only.
    public var outboundProxy: ProxyAddress?
    public var nat: NATSettings

    public init(expires: Int, delta: Int, backup: ProxyAddress? = nil, maxForwards: Int,
                transport: ServerLocation.Transport = .udp, outboundProxy: ProxyAddress? = nil, nat: NATSettings = NATSettings()) {
        self.expires = expires
        self.delta = delta
        self.backup = backup
        self.maxForwards = maxForwards
        self.transport = transport
        self.outboundProxy = outboundProxy
        self.nat = nat
    }

    /// The line machine's share of these.
    var machine: LineRegistration.Settings {
        LineRegistration.Settings(expires: expires, delta: delta, hasBackup: backup != nil)
    }
}

/// GUIDE.md §9.7 NAT: `nat_enable` with `nat_address` put the NAT's address in Via and
/// Contact; `nat_received_processing` learns it from `received=`/`rport` in responses.
public struct NATSettings: Sendable, Equatable {
    public var enabled: Bool
    public var address: String?
    public var receivedProcessing: Bool
    public init(enabled: Bool = false, address: String? = nil, receivedProcessing: Bool = false) {
        self.enabled = enabled
        self.address = address
        self.receivedProcessing = receivedProcessing
    }
}
