import Diagnostics
import Logging
import NIOCore
import PhoneClock
import Provisioning
import SIPStack

/// The running phone: its identity, flash, provisioning source and the configuration in force.
/// It runs the boot sequence at start and on `reset`; later issues add lines, calls and media.
public actor PhoneRuntime: PhoneContext {
    public nonisolated let flash: FlashStore
    public nonisolated let identity: PhoneIdentity
    public nonisolated let clock: PhoneClock
    /// The SNTP client (none without an event loop group: in-memory tests).
    private nonisolated let sntp: SNTPService?
    private var sntpStarted = false
    /// The SIP endpoint and the registrations (none without an event loop group).
    public nonisolated let registrations: RegistrationManager?
    private nonisolated let endpoint: SIPEndpoint?
    private let group: (any EventLoopGroup)?
    private let sipAddress: String
    /// The `voip_control_port` the endpoint is bound to.
    private var boundPort: Int?
    private let source: (any ProvisioningSource)?
    private let started = ContinuousClock.now
    private let restart: @Sendable () async throws -> Void
    private var report: BootReport?
    private var bootTime: Int?
    private var configurationInForce: Configuration
    private var observers: [@Sendable (BootReport) async -> Void] = []
    private let log = Logger.category(.config)

    /// `restart` replaces the process (`reset hard`); with a `group` the phone keeps time by
    /// SNTP on it.
    public init(flash: FlashStore, identity: PhoneIdentity, source: (any ProvisioningSource)?,
                group: (any EventLoopGroup)? = nil, clock: PhoneClock = PhoneClock(), sipAddress: String = "0.0.0.0",
                restart: @escaping @Sendable () async throws -> Void) {
        self.group = group
        self.sipAddress = sipAddress
        let endpoint = group.map { _ in SIPEndpoint(timers: TransactionTimers()) }
        self.endpoint = endpoint
        self.registrations = endpoint.flatMap { e in
            group.map { RegistrationManager(endpoint: e, locator: ServerLocation(resolver: DNSResolver()), loop: $0.next()) }
        }
        self.flash = flash
        self.identity = identity
        self.source = source
        self.restart = restart
        self.clock = clock
        self.sntp = group.map { SNTPService(group: $0, configuration: SNTPConfiguration(sntpMode: nil, sntpServer: nil), clock: clock) }
        self.configurationInForce = Configuration(model: identity.model)
    }

    /// Runs the boot sequence and applies its configuration; observers (the telnet listener,
    /// later SIP and SNTP) are told after each boot.
    @discardableResult
    public func boot() async -> BootReport {
        let r = await BootSequence(flash: flash, source: source, mac: identity.mac, model: identity.model).run()
        report = r
        bootTime = WallClockSeconds.now()
        configurationInForce = r.configuration
        await applyTime(r.configuration)
        await applySIP(r.configuration)
        for o in observers { await o(r) }
        return r
    }

    /// Time zone, DST rules, display format and SNTP from the configuration (GUIDE.md §6).
    private func applyTime(_ c: Configuration) async {
        let settings = PhoneClockSettings(number: { c.number($0) }, text: { c.text($0) })
        for p in settings.problems { Logger.category(.sntp).warning("\(p)") }
        clock.setRule(settings.localTime)
        clock.setFormat(settings.format)
        guard let sntp else { return }
        do {
            if sntpStarted {
                try await sntp.reconfigure(settings.sntp)
            } else {
                try await sntp.reconfigure(settings.sntp)
                try await sntp.start()
                sntpStarted = true
            }
        } catch {
            Logger.category(.sntp).error("SNTP: \(error)")
        }
    }

    /// Lines, proxies and registration from the configuration (GUIDE.md §2.2.1–§2.2.3, §9.7).
    private func applySIP(_ c: Configuration) async {
        guard let group, let endpoint, let registrations else { return }
        let log = Logger.category(.sipTask)
        let port = c.number("voip_control_port") ?? 5060
        if boundPort != port {
            do {
                if boundPort == nil {
                    try await endpoint.start(group: group, host: sipAddress, port: port, timers: Self.timers(c))
                } else {
                    // voip_control_port changed at a reset: move, then register from the new port.
                    await registrations.unregisterAll()
                    await registrations.configure([], settings: .init())
                    try await endpoint.rebind(host: sipAddress, port: port)
                }
                boundPort = port
                log.info("SIP on udp and tcp \(sipAddress):\(port)")
            } catch {
                log.error("SIP cannot bind \(sipAddress):\(port): \(error)")
                return
            }
        }
        await endpoint.setTimers(Self.timers(c))
        await registrations.configure(Self.accounts(c, lines: identity.model.lineCount), settings: Self.registrationSettings(c),
                                      dnsServers: [c.text("dyn_dns_addr_1"), c.text("dyn_dns_addr_2")].compactMap { $0 })
        if c.number("proxy_register") == 1 { await registrations.registerAll() }
    }

    static func registrationSettings(_ c: Configuration) -> RegistrationManager.Settings {
        .init(expires: c.number("timer_register_expires") ?? 3600, delta: c.number("timer_register_delta") ?? 5,
              backup: c.text("proxy_backup").map { ProxyAddress(host: $0, port: c.number("proxy_backup_port")) },
              maxForwards: c.number("sip_max_forwards") ?? 70,
              transport: c.text("sip_transport")?.lowercased() == "tcp" ? .tcp : .udp,
              outboundProxy: c.text("outbound_proxy").map { ProxyAddress(host: $0, port: c.number("outbound_proxy_port") ?? 5060) },
              nat: .init(enabled: c.number("nat_enable") == 1, address: c.text("nat_address"),
                         receivedProcessing: c.number("nat_received_processing") == 1))
    }

    static func timers(_ c: Configuration) -> TransactionTimers {
        TransactionTimers(t1: .milliseconds(c.number("timer_t1") ?? 500), t2: .milliseconds(c.number("timer_t2") ?? 4000),
                          maxRetransmissions: c.number("sip_retx") ?? 10, maxInviteRetransmissions: c.number("sip_invite_retx") ?? 6)
    }

    /// Provisioned lines: `lineN_name` set; proxy N, else proxy 1. A proxy port left at its
    /// built-in default with a host name lets SRV choose the port (GUIDE.md §2.2.2).
    static func accounts(_ c: Configuration, lines: Int) -> [LineAccount] {
        (1...lines).compactMap { n -> LineAccount? in
            guard let user = c.text("line\(n)_name") else { return nil }
            let own = c.text("proxy\(n)_address")
            let index = own == nil ? 1 : n
            guard let host = c.text("proxy\(index)_address") else { return nil }
            let portSetting = c.setting("proxy\(index)_port")
            let isName = !host.split(separator: ".").allSatisfy { $0.allSatisfy(\.isNumber) }
            let port: Int? = portSetting?.source == .builtIn && isName ? nil : portSetting?.value.number
            let userInfo = c.text("user_info").flatMap { $0 == "none" ? nil : $0 }
            return LineAccount(line: n, user: user, authName: c.text("line\(n)_authname") ?? user,
                               password: c.text("line\(n)_password") ?? "", displayName: c.text("line\(n)_displayname"),
                               proxy: ProxyAddress(host: host, port: port), userInfo: userInfo)
        }
    }

    /// Stops the SNTP client (shutdown).
    public func stop() async {
        await registrations?.unregisterAll()
        await endpoint?.stop()
        if sntpStarted { await sntp?.stop() }
        sntpStarted = false
    }

    public nonisolated func sntpStatus() -> SNTPStatus? { sntp?.status() }

    /// Called after every boot with its report.
    public func onBoot(_ observer: @escaping @Sendable (BootReport) async -> Void) {
        observers.append(observer)
    }

    // MARK: PhoneContext

    public func configuration() async -> Configuration { configurationInForce }
    public func lastBoot() async -> BootReport? { report }
    public func lastBootTime() async -> Int? { bootTime }
    public nonisolated func uptime() -> Duration { ContinuousClock.now - started }

    public func softReset() async -> BootReport {
        log.info("reset: running the boot sequence again")
        return await boot()
    }

    public func hardReset() async throws {
        log.info("reset hard: restarting the process")
        try await restart()
    }
}

#if canImport(Glibc)
import Glibc
#endif

enum WallClockSeconds {
    static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int(ts.tv_sec)
    }
}
