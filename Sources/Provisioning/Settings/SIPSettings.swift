/// The SIP parameters of GUIDE.md §2.2.1–§2.2.3 and §2.2.9 as typed values, read once from the
/// validated configuration after each boot. Defaults live only in the parameter table: every
/// number read here has a declared default (`SIPSettingsTests` checks), so a value is always
/// there; the names of parameters are spelled in this file and nowhere outside Provisioning.
public struct SIPSettings: Sendable, Equatable {
    /// A host and, when fixed, a port. No port: RFC 3263 SRV decides (GUIDE.md §2.2.2).
    public struct Host: Sendable, Equatable {
        public var host: String
        public var port: Int?
        public init(host: String, port: Int?) { self.host = host; self.port = port }
    }

    /// One provisioned line (`lineN_name` set and a proxy for it).
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var authName: String
        public var password: String
        public var displayName: String?
        /// `proxyN_address`, else `proxy1_address`.
        public var proxy: Host
    }

    public enum Transport: String, Sendable, Equatable { case udp, tcp }

    public var lines: [Line]
    /// `proxy_register`.
    public var registerAtBoot: Bool
    /// `timer_register_expires`, `timer_register_delta` (seconds).
    public var registerExpires: Int
    public var registerDelta: Int
    /// `proxy_backup`, `proxy_emergency`, `outbound_proxy` with their ports.
    public var backupProxy: Host?
    public var emergencyProxy: Host?
    public var outboundProxy: Host?
    public var maxForwards: Int
    public var transport: Transport
    /// `voip_control_port`: where the phone listens for SIP.
    public var controlPort: Int
    public var natEnabled: Bool
    public var natAddress: String?
    public var natReceivedProcessing: Bool
    /// `user_info` (`phone`, `ip`; nil for `none`).
    public var userInfo: String?
    /// `timer_t1`, `timer_t2` (ms), `sip_retx`, `sip_invite_retx`.
    public var t1Milliseconds: Int
    public var t2Milliseconds: Int
    public var retransmissions: Int
    public var inviteRetransmissions: Int
    /// `timer_invite_expires` (s): how long an unanswered outgoing INVITE may ring.
    public var inviteExpires: Int
    /// `dyn_dns_addr_1/2` (`ip[:port]`).
    public var dnsServers: [String]

    public init(_ c: Configuration) {
        // Every name here has a default in the table; 0 would show a table without one.
        func number(_ name: String) -> Int { c.number(name) ?? 0 }
        func host(_ name: String, port portName: String) -> Host? {
            c.text(name).map { Host(host: $0, port: number(portName)) }
        }
        lines = (1...c.model.lineCount).compactMap { n -> Line? in
            guard let user = c.text("line\(n)_name") else { return nil }
            let index = c.text("proxy\(n)_address") == nil ? 1 : n
            guard let proxy = c.text("proxy\(index)_address") else { return nil }
            // A port left at its built-in default with a host name lets SRV choose (§2.2.2).
            let portSetting = c.setting("proxy\(index)_port")
            let isName = !proxy.split(separator: ".").allSatisfy { $0.allSatisfy(\.isNumber) }
            let port = portSetting?.source == .builtIn && isName ? nil : portSetting?.value.number
            return Line(number: n, name: user, authName: c.text("line\(n)_authname") ?? user,
                        password: c.text("line\(n)_password") ?? "", displayName: c.text("line\(n)_displayname"),
                        proxy: Host(host: proxy, port: port))
        }
        registerAtBoot = number("proxy_register") == 1
        registerExpires = number("timer_register_expires")
        registerDelta = number("timer_register_delta")
        backupProxy = host("proxy_backup", port: "proxy_backup_port")
        emergencyProxy = host("proxy_emergency", port: "proxy_emergency_port")
        outboundProxy = host("outbound_proxy", port: "outbound_proxy_port")
        maxForwards = number("sip_max_forwards")
        transport = c.text("sip_transport")?.lowercased() == "tcp" ? .tcp : .udp
        controlPort = number("voip_control_port")
        natEnabled = number("nat_enable") == 1
        natAddress = c.text("nat_address")
        natReceivedProcessing = number("nat_received_processing") == 1
        userInfo = c.text("user_info").flatMap { $0 == "none" ? nil : $0 }
        t1Milliseconds = number("timer_t1")
        t2Milliseconds = number("timer_t2")
        retransmissions = number("sip_retx")
        inviteRetransmissions = number("sip_invite_retx")
        inviteExpires = number("timer_invite_expires")
        dnsServers = [c.text("dyn_dns_addr_1"), c.text("dyn_dns_addr_2")].compactMap { $0 }
    }

    /// The numeric parameters read above (for the test that each has a default).
    public static let numericParameters = [
        "proxy_register", "timer_register_expires", "timer_register_delta", "proxy_backup_port", "proxy_emergency_port",
        "outbound_proxy_port", "sip_max_forwards", "voip_control_port", "nat_enable", "nat_received_processing",
        "timer_t1", "timer_t2", "sip_retx", "sip_invite_retx", "timer_invite_expires", "proxy1_port",
    ]
}
