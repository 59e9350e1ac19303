import Diagnostics
import Logging
import Provisioning

/// The running phone: its identity, flash, provisioning source and the configuration in force.
/// It runs the boot sequence at start and on `reset`; later issues add lines, calls and media.
public actor PhoneRuntime: PhoneContext {
    public nonisolated let flash: FlashStore
    public nonisolated let identity: PhoneIdentity
    private let source: (any ProvisioningSource)?
    private let started = ContinuousClock.now
    private let restart: @Sendable () async throws -> Void
    private var report: BootReport?
    private var bootTime: Int?
    private var configurationInForce: Configuration
    private var observers: [@Sendable (BootReport) async -> Void] = []
    private let log = Logger.category(.config)

    /// `restart` replaces the process (`reset hard`).
    public init(flash: FlashStore, identity: PhoneIdentity, source: (any ProvisioningSource)?,
                restart: @escaping @Sendable () async throws -> Void) {
        self.flash = flash
        self.identity = identity
        self.source = source
        self.restart = restart
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
        for o in observers { await o(r) }
        return r
    }

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
