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
    /// The SIP stack (none in in-memory tests).
    public nonisolated let sip: PhoneSIP?
    private let source: (any ProvisioningSource)?
    private let started = ContinuousClock.now
    private let restart: @Sendable () async throws -> Void
    private var report: BootReport?
    private var bootTime: Int?
    private var configurationInForce: Configuration
    private var observers: [@Sendable (BootReport) async -> Void] = []
    private let log = Logger.category(.config)

    /// `restart` replaces the process (`reset hard`); with a `group` the phone keeps time by
    /// SNTP on it; with `sip` it registers its lines and takes calls.
    public init(flash: FlashStore, identity: PhoneIdentity, source: (any ProvisioningSource)?,
                group: (any EventLoopGroup)? = nil, clock: PhoneClock = PhoneClock(), sip: PhoneSIP? = nil,
                restart: @escaping @Sendable () async throws -> Void) {
        self.sip = sip
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
        await applySIP(r.configuration, plan: r.dialTemplate)
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
    private func applySIP(_ c: Configuration, plan: DialTemplate?) async {
        await sip?.apply(SIPSettings(c), calls: CallSettings(c), plan: DialPlanning(template: plan))
    }

    /// Stops the SNTP client (shutdown).
    public func stop() async {
        await sip?.stop()
        if sntpStarted { await sntp?.stop() }
        sntpStarted = false
    }

    public nonisolated func sntpStatus() -> SNTPStatus? { sntp?.status() }
    public nonisolated var registrations: RegistrationManager? { sip?.registrations }
    public nonisolated var calls: PhoneCalls? { sip?.calls }

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
