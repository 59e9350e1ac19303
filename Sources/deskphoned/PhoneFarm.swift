import Commands
import DaemonOptions
import Diagnostics
import Logging
import Media
import NIOCore
import NIOPosix
import Phone
import Provisioning
import Scheduling
import ServiceLifecycle
import SIPStack

#if canImport(Glibc)
import Glibc
#endif

/// The phone-farm mode (`--farm N`, `FarmPlan`): N phones in this one process, on its one
/// event loop, each with its own MAC, flash folder, SIP port, provisioning and lines.
///
/// Shared: the event loop, the provisioning source, the DNS resolver (one c-ares channel and
/// one cache), the log, and the CLI — telnet and the console serve phone 1, which also keeps
/// the time by SNTP (the others' clocks are the host's, as phone 1's is once set). Per phone:
/// the flash store, the boot's configuration, the SIP endpoint (its UDP and TCP sockets), the
/// registrations and the calls, and a media engine whose thread starts only with that phone's
/// first tone or call. Refused, with a message, rather than attempted: a firmware upgrade
/// (`image_version` is logged and left alone), `reset hard` of one phone (it would restart
/// every phone), SSH, and any audio but null (`DaemonArguments.farmPlan`).
///
/// The farm logs when every phone has booted and when every line is registered, with the time
/// from the start and the registrations per second (the scale benchmark reads these lines).
final class PhoneFarm: Sendable {
    let daemon: PhoneDaemon
    let plan: FarmPlan
    let log = Logger.category(.plat)
    /// The largest SIP datagram a farm phone reads: NIO keeps a receive buffer of this size
    /// for each phone's UDP socket, resident, which at the single phone's 64 kB was most of a
    /// farm phone's memory. RFC 3261 §18.1.1 sends a request over 1300 bytes by TCP; a longer
    /// datagram is cut here and answered as a parse failure.
    static let datagramCapacity = 2048
    /// Phones that boot at once: their files are read and written to flash meanwhile.
    static let concurrentBoots = 16

    init(daemon: PhoneDaemon, plan: FarmPlan) {
        self.daemon = daemon
        self.plan = plan
    }

    func run(on group: MultiThreadedEventLoopGroup) async throws {
        let started = ContinuousClock.now
        let settings = daemon.settings
        let files = try Self.raiseFileLimit(phones: plan.size)
        let farmFlash = try FlashStore(root: settings.flash)
        log.info("deskphoned starting: pid \(getpid()), image \(daemon.image.name ?? "built-in \(DeskphoneVersion.version)"), model \(settings.model.rawValue), farm of \(plan) (\(files) file descriptors)")
        let source = try daemon.provisioningSource(flash: farmFlash, group: group)
        log.info("provisioning source: \(source.map { "\($0)" } ?? "none (flash only)")")
        let tally = await FarmTally(phones: plan.size, started: started)
        let resolver = DNSResolver()
        var phones: [PhoneRuntime] = []
        phones.reserveCapacity(plan.size)
        for p in plan.phones {
            phones.append(try await makePhone(p, source: source, group: group, resolver: resolver, tally: tally))
        }
        guard let first = phones.first else { return }

        let cli = CLISettings()
        let telnet = TelnetListener(group: group, host: settings.telnet.host, port: settings.telnet.port,
                                    idleTimeout: .seconds(Int64(settings.telnetIdleTimeout)),
                                    factory: cli.factory(commands: PhoneCommands.tree, phone: first, access: .telnet))
        await first.onBoot { [log, image = daemon.image] report in
            cli.update(from: report.configuration)
            await telnet.apply(level: ConsoleSettings(report.configuration).telnetLevel)
            if let version = report.configuration.text("image_version"), version != image.name {
                log.warning("farm: image_version \(version) is not upgraded to: a farm does not upgrade firmware (its phones share this process's image, \(image.name ?? "built-in \(DeskphoneVersion.version)"))")
            }
        }

        // Every phone boots (a few at a time) and registers its lines as soon as it has.
        await withTaskGroup(of: Void.self) { boots in
            for (i, phone) in phones.enumerated() {
                if i >= Self.concurrentBoots { await boots.next() }
                boots.addTask {
                    let report = await phone.boot()
                    var lines = 0
                    if let r = phone.registrations { lines = await r.configuredLines.count }
                    // (a phone whose SIP port could not be bound has logged why, and has no lines)
                    let bound = await phone.sip?.endpoint.localAddress != nil
                    await tally.booted(lines: lines, errors: report.diagnostics.errors.count, bound: bound)
                }
            }
        }
        await tally.allBooted(log: log)
        let log = self.log
        group.next().scheduleTask(in: .seconds(1)) {
            if let kB = ColdCode.release() { log.debug("start-up code unmapped (\(kB) kB of text mapping)") }
            PhoneLoop.trimHeap()
        }

        let console = try daemon.startConsole(cli.factory(commands: PhoneCommands.tree, phone: first, access: .console))
        try? await gracefulShutdown()
        log.info("deskphoned stopping: \(plan.size) phones unregister")
        console?.stop()
        await telnet.apply(level: 0)
        await withTaskGroup(of: Void.self) { stops in
            for phone in phones { stops.addTask { await phone.stop() } }
        }
    }

    /// Phone `p`: its flash, SIP endpoint on its own port, media engine (no thread yet) and
    /// runtime; SNTP only on phone 1.
    @PhoneLoop
    private func makePhone(_ p: FarmPlan.Phone, source: (any ProvisioningSource)?, group: MultiThreadedEventLoopGroup,
                           resolver: DNSResolver, tally: FarmTally) async throws -> PhoneRuntime {
        let settings = daemon.settings
        // (not fsynced: the farm's start is not its phones' fsyncs; see FlashStore.durable)
        let flash = try FlashStore(root: p.flash, durable: false)
        let audio = MediaEngine(device: NullAudioDevice(), host: settings.sipAddress)
        let sip = PhoneSIP(address: settings.sipAddress, audio: audio, port: p.sipPort, resolver: resolver)
        sip.endpoint.datagramCapacity = Self.datagramCapacity
        let size = plan.size
        let phone = PhoneRuntime(
            flash: flash,
            identity: PhoneIdentity(mac: p.mac, macOrigin: "farm phone \(p.number) of \(size)", model: settings.model,
                                    source: source?.description, image: daemon.image.name),
            source: source, group: p.number == 1 ? group : nil, sip: sip,
            restart: {
                throw DaemonError("reset hard restarts the process, and with it all \(size) phones of the farm: restart deskphoned instead (reset soft re-reads this phone's files)")
            })
        let number = p.number
        sip.registrations.onStateChange = { line, state in
            // (the backup proxy's registration of line 1, line 0, is not one of the lines)
            if line != RegistrationManager.backupLine { tally.changed(phone: number, line: line, state: state) }
        }
        let delay = settings.checkSyncDelay, log = self.log
        sip.onCheckSync { [sip] sender in
            log.info("farm phone \(number): check-sync from \(sender): re-reading its files after \(delay) s (no firmware check in a farm)")
            Task {
                try? await Task.sleep(for: .seconds(delay))
                if await sip.isBusy {
                    log.info("farm phone \(number): check-sync skipped: a call is in progress")
                } else {
                    await phone.softReset()
                }
            }
        }
        return phone
    }

    /// Raises the soft limit of open files to what `phones` phones need (two SIP sockets each,
    /// and room for calls, the CLI and TFTP); an error when the hard limit is lower.
    static func raiseFileLimit(phones: Int) throws -> Int {
        let need = rlim_t(phones * 3 + 256)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur >= need { return Int(limit.rlim_cur) }
        guard limit.rlim_max >= need else {
            throw DaemonError("--farm \(phones) needs \(need) open files, and the hard limit is \(limit.rlim_max) (ulimit -Hn)")
        }
        limit.rlim_cur = need
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw DaemonError("--farm \(phones): cannot raise the open-files limit to \(need): \(String(cString: strerror(errno)))")
        }
        return Int(need)
    }
}

/// The farm's count of booted phones and registered lines, on the loop; it logs the moment
/// every phone has booted and the moment every line is registered.
@PhoneLoop
final class FarmTally {
    let phones: Int
    let started: ContinuousClock.Instant
    private var booted = 0, lines = 0, errors = 0, unbound = 0
    /// Registered lines, by phone << 3 | line (lines 1…6).
    private var registered = Set<Int>()
    private var bootedAt: ContinuousClock.Instant?
    private var reported = false
    private let log = Logger.category(.plat)

    init(phones: Int, started: ContinuousClock.Instant) {
        self.phones = phones
        self.started = started
    }

    func booted(lines: Int, errors: Int, bound: Bool) {
        booted += 1
        if !bound { unbound += 1 }
        self.lines += lines
        self.errors += errors
    }

    func allBooted(log: Logger) {
        bootedAt = .now
        log.info("farm: \(phones) phones booted in \((ContinuousClock.now - started).milliseconds) ms: \(lines) lines, \(errors) configuration errors")
        if unbound > 0 {
            log.error("farm: \(unbound) of \(phones) phones could not bind their SIP port and have no lines (see above)")
        }
        check()
    }

    func changed(phone: Int, line: Int, state: LineRegistration.State) {
        let key = phone << 3 | line
        if state == .registered { registered.insert(key) } else { registered.remove(key) }
        check()
    }

    private func check() {
        guard !reported, bootedAt != nil, lines > 0, registered.count >= lines else { return }
        reported = true
        let elapsed = ContinuousClock.now - started
        let (s, atto) = elapsed.components
        let seconds = Double(s) + Double(atto) / 1e18
        let rate = seconds > 0 ? Int((Double(lines) / seconds).rounded()) : 0
        log.info("farm: all \(lines) lines of \(phones - unbound) phones registered \(elapsed.milliseconds) ms after the start (\(rate) registrations/s)")
        // The registrations' transactions end with timer K (T4 = 5 s, RFC 3261 §17.1.2.2):
        // then the heap they and the boots used goes back to the kernel.
        PhoneLoop.loop.scheduleTask(in: .seconds(6)) { PhoneLoop.trimHeap() }
    }
}
