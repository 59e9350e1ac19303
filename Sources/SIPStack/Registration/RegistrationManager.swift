import Diagnostics
import Logging
import NIOCore
import SIPMessage

#if canImport(Glibc)
import Glibc
#endif

/// A proxy as configured: a host (IPv4 or DNS name) and a port when one is fixed (no port:
/// RFC 3263 SRV decides, GUIDE.md §2.2.2).
public struct ProxyAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int?
    public init(host: String, port: Int?) { self.host = host; self.port = port }
    public var description: String { "\(host):\(port ?? 5060)" }
}

/// One line's identity and credentials (GUIDE.md §2.2.1).
public struct LineAccount: Sendable, Equatable {
    public var line: Int
    public var user: String
    public var authName: String
    public var password: String
    public var displayName: String?
    public var proxy: ProxyAddress
    /// `user_info`: `phone` or `ip` adds `;user=…` to the URIs.
    public var userInfo: String?

    public init(line: Int, user: String, authName: String, password: String, displayName: String?,
                proxy: ProxyAddress, userInfo: String?) {
        self.line = line
        self.user = user
        self.authName = authName
        self.password = password
        self.displayName = displayName
        self.proxy = proxy
        self.userInfo = userInfo
    }
}

/// A line's armed timers on the event loop (a few hundred bytes each, where a sleeping Task
/// costs kilobytes), one slot per kind; the token tells a fire that raced a re-arm from the
/// current one.
struct LineTimers: Sendable {
    typealias Armed = (scheduled: Scheduled<Void>, token: Int)
    private var refresh: Armed?
    private var retry: Armed?
    private var probePrimary: Armed?

    subscript(_ timer: LineRegistration.Timer) -> Armed? {
        get {
            switch timer {
            case .refresh: refresh
            case .retry: retry
            case .probePrimary: probePrimary
            }
        }
        set {
            switch timer {
            case .refresh: refresh = newValue
            case .retry: retry = newValue
            case .probePrimary: probePrimary = newValue
            }
        }
    }

    func cancelAll() { [refresh, retry, probePrimary].forEach { $0?.scheduled.cancel() } }
}

/// Registers the phone's lines (GUIDE.md §9.7): one `LineRegistration` per line, REGISTERs
/// built here and sent through the endpoint's transactions, timers on the event loop.
public actor RegistrationManager {
    public struct Settings: Sendable, Equatable {
        public var expires: Int
        public var delta: Int
        public var backup: ProxyAddress?
        public var maxForwards: Int
        /// `sip_transport`: UDP (the 7960's) or TCP.
        public var transport: SIPEndpoint.Transport
        /// `outbound_proxy`/`outbound_proxy_port`: every REGISTER is sent there, A record only.
        public var outboundProxy: ProxyAddress?
        public var nat: NATSettings
        public init(expires: Int = 3600, delta: Int = 5, backup: ProxyAddress? = nil, maxForwards: Int = 70,
                    transport: SIPEndpoint.Transport = .udp, outboundProxy: ProxyAddress? = nil, nat: NATSettings = NATSettings()) {
            self.expires = expires
            self.delta = delta
            self.backup = backup
            self.maxForwards = maxForwards
            self.transport = transport
            self.outboundProxy = outboundProxy
            self.nat = nat
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

    /// One row of `show register`.
    public struct LineStatus: Sendable {
        public let line: Int
        public let user: String
        public let state: LineRegistration.State
        public let proxy: String
        public let secondsLeft: Int
        public let interval: Int
        public let lastStatus: Int?
        public let sentCredentials: Bool
        public let reason: String
    }

    struct Line {
        var account: LineAccount
        var machine: LineRegistration
        let callID: String
        let fromTag: String
        var timers = LineTimers()
        var reason = "not started"
        var registeredAt: ContinuousClock.Instant?
        var proxyInUse: String = ""
    }

    private let endpoint: SIPEndpoint
    private var locator: ServerLocation
    private var settings = Settings()
    private var lines: [Int: Line] = [:]
    /// The public address learned from responses (`nat_received_processing`).
    public private(set) var learnedAddress: (host: String, port: Int)?
    private let log = Logger.category(.sipRegState)

    private let loop: any EventLoop
    private var nextToken = 0

    /// `loop` runs the lines' timers (refresh, retry, probe of the primary).
    public init(endpoint: SIPEndpoint, locator: ServerLocation, loop: any EventLoop) {
        self.endpoint = endpoint
        self.locator = locator
        self.loop = loop
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// New accounts and settings (after a provisioning boot). Lines whose account changed start over.
    public func configure(_ accounts: [LineAccount], settings: Settings, dnsServers: [String] = []) {
        if settings.nat != self.settings.nat { learnedAddress = nil }
        self.settings = settings
        locator = ServerLocation(resolver: DNSResolver(servers: dnsServers), random: locator.random)
        let wanted = Dictionary(accounts.map { ($0.line, $0) }, uniquingKeysWith: { a, _ in a })
        for (n, line) in lines where n != Self.backupLine && wanted[n] != line.account {
            line.timers.cancelAll()
            lines[n] = nil
        }
        if let b = lines[Self.backupLine], b.account != Self.backupAccount(wanted[1], settings.backup) {
            b.timers.cancelAll()
            lines[Self.backupLine] = nil
        }
        for (n, account) in wanted where lines[n] == nil {
            let machine = LineRegistration(settings: .init(expires: settings.expires, delta: settings.delta,
                                                           hasBackup: settings.backup != nil))
            lines[n] = Line(account: account, machine: machine, callID: SIPIdentifiers.callID(host: "deskphone"),
                            fromTag: SIPIdentifiers.tag())
        }
    }

    public var configuredLines: [Int] { lines.keys.filter { $0 != Self.backupLine }.sorted() }

    /// The key of "line 1 at the backup proxy" (`register 1 backup`, the `1-BU` row of `show
    /// register`): a second registration of line 1's account, at `proxy_backup`.
    public static let backupLine = 0

    static func backupAccount(_ line1: LineAccount?, _ backup: ProxyAddress?) -> LineAccount? {
        guard var a = line1, let backup else { return nil }
        a.proxy = backup
        return a
    }

    /// `register 1 backup` / `register 0 backup`: false when line 1 or `proxy_backup` is missing.
    public func backup(register: Bool) -> Bool {
        if lines[Self.backupLine] == nil {
            guard register, let account = Self.backupAccount(lines[1]?.account, settings.backup) else { return false }
            let machine = LineRegistration(settings: .init(expires: settings.expires, delta: settings.delta, hasBackup: false))
            lines[Self.backupLine] = Line(account: account, machine: machine, callID: SIPIdentifiers.callID(host: "deskphone"),
                                          fromTag: SIPIdentifiers.tag())
        }
        if register { self.register(line: Self.backupLine) } else { unregister(line: Self.backupLine) }
        return true
    }

    /// `register 1 N` / proxy_register at boot.
    public func register(line n: Int) {
        guard var l = lines[n] else { return }
        let actions = l.machine.start()
        lines[n] = l
        perform(actions, line: n)
    }

    public func registerAll() { for n in lines.keys.sorted() { register(line: n) } }

    /// `register 0 N`.
    public func unregister(line n: Int) {
        guard var l = lines[n] else { return }
        let actions = l.machine.unregister()
        lines[n] = l
        perform(actions, line: n)
    }

    /// Unregisters every registered line and waits (up to `timeout`) for the answers: shutdown.
    public func unregisterAll(timeout: Duration = .seconds(2)) async {
        for n in lines.keys.sorted() where lines[n]?.machine.state == .registered { unregister(line: n) }
        let deadline = ContinuousClock.now + timeout
        while lines.values.contains(where: { $0.machine.state == .unregistering }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for l in lines.values { l.timers.cancelAll() }
    }

    public func table() -> [LineStatus] {
        lines.keys.sorted().compactMap { n in
            guard let l = lines[n] else { return nil }
            var left = 0
            if l.machine.state == .registered, let at = l.registeredAt, let g = l.machine.granted {
                left = max(0, g - Int((ContinuousClock.now - at).components.seconds))
            }
            return LineStatus(line: n, user: l.account.user, state: l.machine.state, proxy: l.proxyInUse,
                              secondsLeft: left, interval: settings.expires, lastStatus: l.machine.lastStatus,
                              sentCredentials: l.machine.sentCredentials, reason: l.reason)
        }
    }

    // MARK: actions

    private func perform(_ actions: [LineRegistration.Action], line n: Int) {
        for action in actions {
            switch action {
            case .send(let attempt):
                Task { await self.send(attempt, line: n) }
            case .arm(let timer, let after):
                guard lines[n] != nil else { continue }
                lines[n]?.timers[timer]?.scheduled.cancel()
                nextToken += 1
                let token = nextToken
                let scheduled = loop.scheduleTask(in: .nanoseconds(Self.nanoseconds(after))) { [weak self] in
                    _ = Task { await self?.fire(timer, line: n, token: token) }
                }
                lines[n]?.timers[timer] = (scheduled, token)
            case .cancel(let timer):
                lines[n]?.timers[timer]?.scheduled.cancel()
                lines[n]?.timers[timer] = nil
            case .stateChanged(let state, let reason):
                lines[n]?.reason = reason
                if state == .registered { lines[n]?.registeredAt = .now }
                log.info("line \(n): \(state.rawValue): \(reason)")
            }
        }
    }

    private func fire(_ timer: LineRegistration.Timer, line n: Int, token: Int) {
        guard var l = lines[n], l.timers[timer]?.token == token else { return }
        l.timers[timer] = nil
        let actions = l.machine.timerFired(timer)
        lines[n] = l
        perform(actions, line: n)
    }

    private func send(_ attempt: LineRegistration.RegisterAttempt, line n: Int) async {
        guard let l = lines[n] else { return }
        let proxy = attempt.server == .backup ? (settings.backup ?? l.account.proxy) : l.account.proxy
        let outcome: LineRegistration.Outcome
        var moved = false
        do {
            // The outbound proxy (when set) is the next hop for every request; the
            // Request-URI still names the registrar (GUIDE.md §9.7).
            let hop = settings.outboundProxy.map { ProxyAddress(host: $0.host, port: $0.port ?? 5060) } ?? proxy
            let targets = try await locator.locate(host: hop.host, port: hop.port, transport: settings.transport)
            guard let target = targets.first else { throw DNSResolver.Failure.noRecords(hop.host) }
            let destination = try SocketAddress(ipAddress: target.address, port: target.port)
            if !attempt.isProbe { lines[n]?.proxyInUse = "\(proxy.host):\(settings.outboundProxy == nil ? target.port : proxy.port ?? 5060)" }
            let advertised = await advertisedAddress(toward: destination)
            let (bytes, branch) = build(attempt, account: l, proxy: proxy, advertised: advertised, transport: target.transport)
            let result = await endpoint.request(bytes, branch: branch, method: "REGISTER", to: destination, transport: target.transport)
            moved = learn(from: result.response, transport: target.transport, advertised: advertised)
            outcome = Self.outcome(result.response, account: l.account, contact: advertised)
        } catch {
            log.warning("line \(n): \(proxy.host): \(error)")
            outcome = .noAnswer
        }
        guard var current = lines[n] else { return }
        var actions = current.machine.outcome(outcome, cseq: attempt.cseq, probe: attempt.isProbe)
        lines[n] = current
        perform(actions, line: n)
        // Registered under an address the registrar says is not ours: register the right one now.
        if moved, current.machine.state == .registered, case .response(200...299, _, _, _) = outcome {
            actions = current.machine.timerFired(.refresh)
            lines[n] = current
            perform(actions, line: n)
        }
    }

    /// `nat_received_processing`: the top Via of a response says where the request came from
    /// (RFC 3581). Returns true when that differs from the address the request advertised.
    private func learn(from response: SIPMessage?, transport: SIPEndpoint.Transport, advertised: (String, Int)) -> Bool {
        guard settings.nat.receivedProcessing, let response, let via = try? response.topVia() else { return false }
        guard via.received != nil || via.rport != nil else { return false }
        let host = via.received ?? via.host
        // Over TCP the source port is the connection's; the phone still listens on its own.
        var port = via.port ?? 5060
        if transport == .udp, case .value(let p) = via.rport { port = p }
        if learnedAddress?.host != host || learnedAddress?.port != port {
            learnedAddress = (host, port)
            log.info("NAT: the registrar sees this phone at \(host):\(port)")
        }
        return advertised != (host, port)
    }

    private func build(_ attempt: LineRegistration.RegisterAttempt, account l: Line, proxy: ProxyAddress,
                       advertised: (String, Int), transport: SIPEndpoint.Transport) -> ([UInt8], String) {
        let a = l.account
        let (localHost, localPort) = advertised
        let userParam = a.userInfo.map { ";user=\($0)" } ?? ""
        let transportParam = transport == .tcp ? ";transport=tcp" : ""
        let registrar = "sip:\(proxy.host)" + (proxy.port.map { ":\($0)" } ?? "") + transportParam
        let aor = "sip:\(a.user)@\(proxy.host)\(userParam)"
        let branch = SIPIdentifiers.branch()
        var m = SIPMessageBuilder.request(method: "REGISTER", uri: registrar)
        m.add("Via", "SIP/2.0/\(transport.rawValue.uppercased()) \(localHost):\(localPort);branch=\(branch);rport")
        m.add("Max-Forwards", String(settings.maxForwards))
        let display = a.displayName.map { "\"\($0)\" " } ?? ""
        m.add("From", "\(display)<\(aor)>;tag=\(l.fromTag)")
        m.add("To", "<\(aor)>")
        m.add("Call-ID", l.callID)
        m.add("CSeq", "\(attempt.cseq) REGISTER")
        m.add("Contact", "<sip:\(a.user)@\(localHost):\(localPort)\(userParam)\(transportParam)>")
        m.add("Expires", String(attempt.expires))
        if let challenge = attempt.challenge,
           let answer = DigestAuthentication.answer(challenge, username: a.authName, password: a.password, method: "REGISTER",
                                                    uri: registrar, cnonce: DigestAuthentication.makeClientNonce(), nonceCount: 1) {
            m.add(attempt.isProxyChallenge ? "Proxy-Authorization" : "Authorization", answer.headerValue)
        }
        m.add("User-Agent", "Deskphone")
        m.add("Content-Length", "0")
        return (m.serialize(), branch)
    }

    /// The address and port put in Via and Contact: the NAT's (`nat_enable`, `nat_address`),
    /// else the one learned from responses (`nat_received_processing`), else the bound
    /// address, or the source address the kernel would use toward the registrar when bound
    /// to 0.0.0.0. The port is always `voip_control_port` (or the one learned by rport).
    func advertisedAddress(toward destination: SocketAddress) async -> (String, Int) {
        let local = await endpoint.localAddress
        let port = local?.port ?? 5060
        if settings.nat.receivedProcessing, let learned = learnedAddress { return learned }
        if settings.nat.enabled, let nat = settings.nat.address { return (nat, port) }
        if let ip = local?.ipAddress, ip != "0.0.0.0", ip != "::" { return (ip, port) }
        return (Self.sourceAddress(toward: destination) ?? "127.0.0.1", port)
    }

    static func sourceAddress(toward destination: SocketAddress) -> String? {
        guard let ip = destination.ipAddress, let port = destination.port else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else { return nil }
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok else { return nil }
        var local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let got = withUnsafeMutablePointer(to: &local) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) == 0 }
        }
        guard got else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &local.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A final response as the registration machine sees it.
    /// `contact` is the host and port the REGISTER's Contact carried: the 200 lists every
    /// binding of the AOR (RFC 3261 §10.2.4), and only this phone's own gives its expiry.
    static func outcome(_ response: SIPMessage?, account: LineAccount, contact: (host: String, port: Int)) -> LineRegistration.Outcome {
        guard let response, let status = response.statusCode else { return .noAnswer }
        guard let typed = try? response.parseAll() else {
            return .response(status: status, expires: nil, challenge: nil, minExpires: nil)
        }
        let mine = typed.contacts.first {
            $0.uri.user == account.user && $0.uri.host?.lowercased() == contact.host.lowercased() && ($0.uri.port ?? 5060) == contact.port
        }
        let expires = mine?.expires.map(Int.init) ?? typed.expires.map(Int.init)
        let auth = (status == 407 ? typed.proxyAuthenticate : typed.wwwAuthenticate).first { $0.isDigest }
        let challenge = auth.flatMap { a -> DigestAuthentication.Challenge? in
            guard let realm = a.realm, let nonce = a.nonce else { return nil }
            let algorithm = a.algorithm.flatMap { DigestAuthentication.Algorithm(rawValue: $0.uppercased() == "MD5" ? "MD5" : $0) } ?? .md5
            let qop = a["qop"].map { $0.split(separator: ",").map { $0.trimmingCharacters() } } ?? []
            return DigestAuthentication.Challenge(realm: realm, nonce: nonce, opaque: a.opaque, algorithm: algorithm,
                                                  qop: qop, stale: a["stale"]?.lowercased() == "true")
        }
        return .response(status: status, expires: expires, challenge: challenge, minExpires: typed.minExpires.map(Int.init))
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
