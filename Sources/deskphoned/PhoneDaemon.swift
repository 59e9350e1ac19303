import Commands
import Console
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
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The running daemon: the phone runtime, and the CLI on telnet and the serial console.
final class PhoneDaemon: Service, Sendable {
    let settings: DaemonSettings
    let arguments: [String]
    let image: RunningImage
    let log = Logger.category(.plat)

    init(settings: DaemonSettings, arguments: [String], image: RunningImage) {
        self.settings = settings
        self.arguments = arguments
        self.image = image
    }

    func run() async throws {
        // One event loop for the whole phone (ARCHITECTURE.md "One event loop"): the
        // PhoneLoop actor's; it lives as long as the process.
        try await run(on: PhoneLoop.group)
    }

    func run(on group: MultiThreadedEventLoopGroup) async throws {
        // `--farm N`: N phones in this process instead of one (PhoneFarm).
        if let plan = settings.farm { return try await PhoneFarm(daemon: self, plan: plan).run(on: group) }
        let started = ContinuousClock.now
        let flash = try FlashStore(root: settings.flash)
        let (mac, macOrigin) = try identity(flash: flash)
        log.info("deskphoned starting: pid \(getpid()), image \(image.name ?? "built-in \(DeskphoneVersion.version)"), model \(settings.model.rawValue), MAC \(mac) (\(macOrigin)), flash \(flash.root)")

        let source = try provisioningSource(flash: flash, group: group)
        log.info("provisioning source: \(source.map { "\($0)" } ?? "none (flash only)")")
        let firmware = PhoneFirmware(flash: flash, image: image, settings: settings, arguments: arguments, source: source)
        let audio = try await openAudio()
        let sip = await PhoneSIP(address: settings.sipAddress, audio: audio)
        let phone = PhoneRuntime(
            flash: flash,
            identity: PhoneIdentity(mac: mac, macOrigin: macOrigin, model: settings.model, source: source?.description,
                                    image: image.name),
            source: source, group: group, sip: sip,
            restart: { try firmware.restart() })
        await sip.onCheckSync { [sip] sender in
            firmware.checkSyncArrived(from: sender, busy: sip.isBusy, phone: phone)
        }

        let cli = CLISettings()
        let telnet = TelnetListener(group: group, host: settings.telnet.host, port: settings.telnet.port,
                                    idleTimeout: .seconds(Int64(settings.telnetIdleTimeout)),
                                    factory: cli.factory(commands: PhoneCommands.tree, phone: phone, access: .telnet))
        await phone.onBoot { report in
            cli.update(from: report.configuration)
            await telnet.apply(level: ConsoleSettings(report.configuration).telnetLevel)
        }
        // After every boot (start, reset, the re-read of check-sync): image_version against
        // the running image (GUIDE.md §1.1 step 5); off the boot's path, it may take a while.
        await phone.onBoot { report in firmware.afterBoot(report) }
        let report = await phone.boot()
        firmware.watchHealth(phone: phone, telnet: telnet)

        let errors = report.diagnostics.errors.count, warnings = report.diagnostics.warnings.count
        log.info("boot complete in \((ContinuousClock.now - started).milliseconds) ms: \(report.files.count) files, \(errors) configuration errors, \(warnings) warnings")
        // The start-up's code is cold from here on: unmapped once the boot is a second old (the
        // lines' first REGISTER exchanges are over by then); see ColdCode.
        let log = self.log
        group.next().scheduleTask(in: .seconds(1)) {
            if let kB = ColdCode.release() { log.debug("start-up code unmapped (\(kB) kB of text mapping)") }
            PhoneLoop.trimHeap()
        }

        // The SSH CLI only when --ssh asks for it: otherwise no deskphone-ssh runs, no key is made.
        let ssh = settings.ssh == nil ? nil : PhoneSSH.start(settings: settings, flash: flash, group: group, cli: cli,
                                                             phone: phone, image: image)
        let console = try startConsole(cli.factory(commands: PhoneCommands.tree, phone: phone, access: .console))
        try? await gracefulShutdown()
        log.info("deskphoned stopping")
        console?.stop()
        await ssh?.stop()
        await telnet.apply(level: 0)
        await phone.stop()
    }

    /// The `--audio` device behind the phone's media engine; a file that cannot be opened (a
    /// missing PLAY file) stops the start with its reason, a sound card is tried at each call.
    func openAudio() async throws -> MediaEngine {
        if case .alsa = settings.audio {
            // A sound card is opened per call: a missing one is reported then, not fatal now.
            log.info("audio: \(settings.audio)")
            return await MediaEngine(openingWhenNeeded: settings.audio, host: settings.sipAddress,
                                     echoCancellation: settings.echoCanceller)
        }
        let device: any AudioDevice
        do {
            device = try settings.audio.open()
        } catch {
            throw DaemonError("--audio \(settings.audio): \(error)")
        }
        log.info("audio: \(settings.audio)")
        return await MediaEngine(device: device, host: settings.sipAddress)
    }

    func startConsole(_ factory: @escaping TerminalSessionFactory) throws -> SerialConsole? {
        let device: SerialConsole.Device
        switch settings.console {
        case .none: return nil
        case .auto:
            guard isatty(0) == 1 else { return nil }
            device = .standardIO
        case .standardIO: device = .standardIO
        case .device(let path): device = .path(path, speed: settings.consoleSpeed)
        }
        let console = SerialConsole(device: device, factory: factory)
        do {
            try console.start()
        } catch {
            throw DaemonError("console: \(error)")
        }
        return console
    }

    /// MAC: option, else flash (network.cnf mac_address), else the host's first interface.
    func identity(flash: FlashStore) throws -> (MACAddress, String) {
        if let text = settings.mac, let m = MACAddress(text) { return (m, "option") }
        if let t = try networkSettings(flash).text("mac_address"), let m = MACAddress(t) { return (m, "flash") }
        if let (name, m) = HostInterfaces.firstMAC() { return (m, "interface \(name)") }
        throw DaemonError("no MAC address: give --mac, or set mac_address in flash network.cnf")
    }

    func networkSettings(_ flash: FlashStore) throws -> Configuration {
        var c = Configuration(model: settings.model)
        if let bytes = try flash.read(BootSequence.networkFile) {
            c.apply(bytes, file: BootSequence.networkFile, as: .flash)
        }
        return c
    }

    /// --provision DIR, else --tftp, else the flash's tftp_server; none means flash only.
    func provisioningSource(flash: FlashStore, group: EventLoopGroup) throws -> (any ProvisioningSource)? {
        if let dir = settings.provision { return LocalFolderSource(root: dir) }
        // No DHCP client runs here (the host OS owns the address), so the stored TFTP server
        // is used whether or not alternate_tftp is set.
        guard let spec = try settings.tftp ?? networkSettings(flash).text("tftp_server") else { return nil }
        do {
            return try TFTPSource(client: TFTPClient(eventLoopGroup: group), spec: spec)
        } catch {
            throw DaemonError("TFTP server \(spec): \(error)")
        }
    }
}

/// What new CLI sessions take from the configuration in force: prompt, password, telnet level.
final class CLISettings: Sendable {
    /// The table's built-in defaults until the first boot has applied the configuration.
    private let values = NIOLockedValueBox(ConsoleSettings(Configuration()))
    /// Wrong passwords by address, shared by every session (the back-off spans connections,
    /// and telnet and SSH).
    let throttle = LoginThrottle()
    /// The sessions logged in, on every transport (`show sessions`).
    let sessions = SessionList()

    /// Where a CLI session comes from.
    enum Access: String { case console, telnet, ssh }

    /// The privilege a session gets, decided here only: the console all commands; telnet and
    /// SSH what `telnet_level` grants (GUIDE.md §4.1: 1 non-privileged, 2 all), nil while it
    /// is 0 (telnet's port is closed then and SSH refuses logins).
    static func privilege(_ access: Access, telnetLevel: Int) -> Privilege? {
        switch access {
        case .console: return .privileged
        case .telnet, .ssh: return telnetLevel >= 2 ? .privileged : telnetLevel == 1 ? .user : nil
        }
    }

    /// The settings in force.
    var current: ConsoleSettings { values.withLockedValue { $0 } }

    func update(from c: Configuration) {
        let settings = ConsoleSettings(c)
        values.withLockedValue { $0 = settings }
    }

    /// Sessions get the privilege `privilege(_:telnetLevel:)` grants; an SSH session has
    /// logged in already (SSH's login), the others are asked for the password.
    func factory(commands: CommandTree, phone: any PhoneContext, access: Access) -> TerminalSessionFactory {
        { [self] peer in
            let v = values.withLockedValue { $0 }
            // (telnet is closed while the level is 0, and SSH refuses logins: .user is never used)
            let level = Self.privilege(access, telnetLevel: v.telnetLevel) ?? .user
            var password: (@Sendable () -> String)? = nil
            if access != .ssh { password = { [self] in values.withLockedValue { $0.password } } }
            return CLISession(configuration: SessionConfiguration(
                prompt: { [self] in values.withLockedValue { $0.prompt } + "> " },
                password: password,
                privilege: level, commands: commands,
                // (the guide's two blank lines lead to `Password :`; an SSH session starts at the prompt)
                greeting: access == .ssh ? "" : "\n\n", context: phone, throttle: throttle,
                sessions: sessions, transport: access.rawValue), peer: peer)
        }
    }
}

/// The telnet port, open exactly while `telnet_level` is 1 or 2 (GUIDE.md §4.1).
actor TelnetListener {
    let group: any EventLoopGroup
    let host: String, port: Int
    let idleTimeout: TimeAmount
    let factory: TerminalSessionFactory
    private var server: TelnetServer?
    private let log = Logger.category(.plat)

    init(group: any EventLoopGroup, host: String, port: Int, idleTimeout: TimeAmount, factory: @escaping TerminalSessionFactory) {
        self.group = group
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.factory = factory
    }

    var isListening: Bool { server != nil }

    func apply(level: Int) async {
        if level == 0, let s = server {
            await s.stop()
            server = nil
            log.info("telnet closed (telnet_level 0)")
        } else if level > 0, server == nil {
            let s = TelnetServer(group: group, configuration: .init(host: host, port: port, idleTimeout: idleTimeout, logger: log), factory: factory)
            do {
                let address = try await s.start()
                server = s
                log.info("telnet listening on \(address) (telnet_level \(level))")
            } catch {
                log.error("telnet \(host):\(port): \(error)")
            }
        }
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension Duration {
    /// Milliseconds with one decimal, for log lines.
    var milliseconds: String {
        let (s, atto) = components
        let tenths = (Double(s) * 10_000 + Double(atto) / 1e14).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
    }
}
