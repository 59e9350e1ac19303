import ArgumentParser
import Media
import Console
import Logging
import Provisioning

#if canImport(Glibc)
import Glibc
#endif

/// deskphoned's options, declared once: the daemon parses them, and `deskphone man deskphoned.8`
/// documents them from the same declarations (through swift-argument-parser's tool info).
public struct DaemonArguments: ParsableArguments {
    /// The daemon's one-line description (deskphoned --help, deskphoned(8) NAME).
    public static let abstract = "The Deskphone SIP desk-phone daemon."
    public static let discussion = """
        Boots like the reference phone: loads its flash, fetches SIPDefault.cnf, SIP<MAC>.cnf, \
        RINGLIST.DAT and the dial plan from a TFTP server (or a local folder), and keeps the \
        last good copy of each in flash. Options may also be set in the daemon config file \
        (key = value, keys are the long option names); the command line wins. After every \
        boot it compares image_version with the running image and upgrades from the same \
        server: <image_version>.sb2, signed by a key in --image-keys, goes to the inactive \
        flash slot and the daemon restarts into it; an upgraded image that is not healthy \
        within --upgrade-health-timeout, or that exits, is rolled back. A NOTIFY with \
        Event: check-sync makes it read its files and syncinfo.xml again.
        """
    /// The daemon config file read when --config is not given.
    public static let defaultConfigFile = "/etc/deskphone/deskphoned.conf"

    public init() {}

    @Option(help: "The flash folder (persistent state).")
    public var flash: String?

    @Option(help: ArgumentHelp("TFTP server to provision from.", valueName: "host[:port]"))
    public var tftp: String?

    @Option(help: ArgumentHelp("A local folder served instead of TFTP.", valueName: "dir"))
    public var provision: String?

    @Option(help: ArgumentHelp("The phone's MAC address (00:11:AA:BB:CC:42, 00-11-aa-bb-cc-42 or 0011AABBCC42).",
                               valueName: "mac"))
    public var mac: MACAddress?

    @Option(help: ArgumentHelp("Phone model: the 7960 has six lines, the 7940 two.", valueName: "model"))
    public var model: PhoneModel?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("How much the daemon logs (info by default).", valueName: "level"))
    public var logLevel: Logger.Level?

    @Option(help: ArgumentHelp("Telnet CLI listen address (127.0.0.1:2323 by default; open only while telnet_level > 0).",
                               valueName: "addr:port"))
    public var telnet: ListenAddress?

    @Option(help: ArgumentHelp("SSH CLI listen address, or 'off' (by default). The same CLI, levels (telnet_level) and password (phone_password) as telnet; keys in OpenSSH authorized_keys format from FLASH/\(DaemonSettings.sshFolder)/authorized_keys and \(DaemonSettings.systemAuthorizedKeys) also log in. The Ed25519 host key is made at the first start with SSH on and kept in FLASH/\(DaemonSettings.sshFolder)/.",
                               valueName: "addr:port|off"))
    public var ssh: ListenOrOff?

    @Option(name: .customLong("ssh-server"),
            help: ArgumentHelp("The SSH server program that --ssh starts (a child process that relays every login and session to the daemon); by default \(DaemonSettings.sshServerName) in the folder of the installed deskphoned (not of a firmware image started from the flash).",
                               valueName: "path"))
    public var sshServer: String?

    @Option(name: .customLong("telnet-idle-timeout"),
            help: ArgumentHelp("Seconds without input after which a logged-in telnet session is closed (\(DaemonSettings.defaultTelnetIdleTimeout) by default). A connection that has not logged in is closed after \(DaemonSettings.loginTimeoutSeconds) s.",
                               valueName: "seconds"))
    public var telnetIdleTimeout: Seconds?

    @Option(help: ArgumentHelp("Serial console: a tty device, 'stdin', 'none', or 'auto' (stdin when it is a terminal).",
                               valueName: "path"))
    public var console: String?

    @Option(name: .customLong("console-speed"), help: ArgumentHelp("Serial console speed in baud, 8N1 (9600 by default).", valueName: "baud"))
    public var consoleSpeed: ConsoleSpeed?

    @Option(name: .customLong("sip-address"),
            help: ArgumentHelp("Local address SIP binds to (port: voip_control_port); 0.0.0.0 by default.", valueName: "addr"))
    public var sipAddress: String?

    @Option(help: ArgumentHelp("Audio device: 'null' (by default); 'alsa:HANDSET[,SPEAKER]' (a sound card through ALSA, "
                               + "opened for each call, at its own rate; the speaker's own device after the comma); or 'file:PLAY.wav,RECORD.wav' (the microphone reads PLAY in a loop, "
                               + "the handset is written to RECORD; 8 kHz 16-bit mono).", valueName: "device"))
    public var audio: AudioOption?

    @Option(name: .customLong("echo-canceller"),
            help: ArgumentHelp("speexdsp's echo canceller and noise suppression on a sound card's microphone (on by default).",
                               valueName: "on|off"))
    public var echoCanceller: OnOff?

    @Option(name: .customLong("image-keys"),
            help: ArgumentHelp("Folder of the public keys (*.pub) a firmware image must be signed by (\(DaemonSettings.defaultImageKeys) by default).",
                               valueName: "dir"))
    public var imageKeys: String?

    @Option(name: .customLong("upgrade-health-timeout"),
            help: ArgumentHelp("Seconds a newly upgraded image has to come up healthy (CLI up, lines registered) before it is rolled back (\(DaemonSettings.defaultUpgradeHealthTimeout) by default).",
                               valueName: "seconds"))
    public var upgradeHealthTimeout: Seconds?

    @Option(name: .customLong("check-sync-delay"),
            help: ArgumentHelp("Seconds of idle after a check-sync NOTIFY before syncinfo.xml is read (\(DaemonSettings.defaultCheckSyncDelay) by default, as the guide says).",
                               valueName: "seconds"))
    public var checkSyncDelay: Seconds?

    @Option(help: ArgumentHelp("Phone-farm mode: run N phones (1 to \(FarmPlan.maxPhones)) in this one process, on its one event loop. Phone n has the MAC --mac + n - 1, the flash folder FLASH/phone-<MAC>/ and the SIP port --farm-sip-port + n - 1 (its voip_control_port is not used); all are provisioned from the same source, each with SIPDefault.cnf and its own SIP<MAC>.cnf. Phone 1 serves the telnet CLI and the console and keeps the time by SNTP; a farm does not upgrade firmware, restart the process for one phone (reset hard) or serve SSH, and its audio is null.",
                               valueName: "N"))
    public var farm: Int?

    @Option(name: .customLong("farm-sip-port"),
            help: ArgumentHelp("With --farm: the first phone's SIP port, the others' follow it (\(FarmPlan.defaultFirstSIPPort) by default).",
                               valueName: "port"))
    public var farmSIPPort: Int?

    @Option(name: .customLong("config"),
            help: ArgumentHelp("Daemon config file (\(DaemonArguments.defaultConfigFile) by default, where a missing file is no error; a file named here must exist).",
                               valueName: "file"))
    public var configFile: String?

    /// Command line over the daemon config file over built-in defaults.
    public func resolve() throws -> DaemonSettings {
        let path = configFile ?? DaemonArguments.defaultConfigFile
        var file: [String: (value: String, line: Int)] = [:]
        do {
            file = try DaemonConfigFile.parseLines(try readSmallFile(path), file: path)
        } catch let problem as DaemonConfigFile.Problem {
            throw problem
        } catch {
            // Only the default file may be missing: a file named with --config must be there.
            if configFile != nil { throw ValidationError("--config \(path): \(error)") }
        }
        /// A key of the file, parsed by its option's type.
        func fromFile<T: DaemonOptionValue>(_ key: String, as: T.Type = T.self) throws -> T? {
            guard let (text, line) = file[key] else { return nil }
            guard let v = T(argument: text) else {
                throw DaemonConfigFile.Problem(file: path, line: line, message: "\(key) = \(text): expected \(T.expected)")
            }
            return v
        }
        let listen = try telnet ?? fromFile("telnet") ?? ListenAddress(argument: DaemonSettings.defaultTelnet)
        let speed = try consoleSpeed ?? fromFile("console-speed") ?? ConsoleSpeed(argument: String(DaemonSettings.defaultConsoleSpeed))
        let idle = try telnetIdleTimeout ?? fromFile("telnet-idle-timeout") ?? Seconds(DaemonSettings.defaultTelnetIdleTimeout)
        let mac: MACAddress? = try self.mac ?? fromFile("mac")
        let sshListen: ListenOrOff = try ssh ?? fromFile("ssh") ?? .off
        var s = DaemonSettings(
            flash: flash ?? file["flash"]?.value ?? DaemonSettings.defaultFlash,
            tftp: tftp ?? file["tftp"]?.value, provision: provision ?? file["provision"]?.value,
            mac: mac.map { "\($0)" }, model: try model ?? fromFile("model") ?? .cp7960,
            logLevel: try logLevel ?? fromFile("log-level") ?? .info,
            telnet: (listen?.host ?? "127.0.0.1", listen?.port ?? 2323),
            console: .init(console ?? file["console"]?.value ?? "auto"), consoleSpeed: speed?.baud ?? DaemonSettings.defaultConsoleSpeed,
            sipAddress: sipAddress ?? file["sip-address"]?.value ?? DaemonSettings.defaultSIPAddress,
            telnetIdleTimeout: idle.value, audio: try audio ?? fromFile("audio") ?? .null,
            echoCanceller: (try echoCanceller ?? fromFile("echo-canceller") ?? .on).isOn,
            imageKeys: imageKeys ?? file["image-keys"]?.value ?? DaemonSettings.defaultImageKeys,
            upgradeHealthTimeout: (try upgradeHealthTimeout ?? fromFile("upgrade-health-timeout"))?.value ?? DaemonSettings.defaultUpgradeHealthTimeout,
            checkSyncDelay: (try checkSyncDelay ?? fromFile("check-sync-delay"))?.value ?? DaemonSettings.defaultCheckSyncDelay)
        if case .listen(let address) = sshListen { s.ssh = (address.host, address.port) }
        s.sshServer = sshServer ?? file["ssh-server"]?.value
        s.farm = try farmPlan(file: { try fromFile($0, as: $1) }, mac: mac, settings: s)
        if s.tftp != nil && s.provision != nil {
            throw ValidationError("--tftp and --provision exclude each other")
        }
        return s
    }

    /// `--farm` and what it excludes; nil without it.
    func farmPlan(file fromFile: (String, Int.Type) throws -> Int?, mac: MACAddress?, settings s: DaemonSettings) throws -> FarmPlan? {
        let port = try farmSIPPort ?? fromFile("farm-sip-port", Int.self)
        guard let size = try farm ?? fromFile("farm", Int.self) else {
            if port != nil { throw ValidationError("--farm-sip-port is for a farm: give --farm N too") }
            return nil
        }
        guard let mac else { throw ValidationError("--farm \(size) needs --mac: the first phone's MAC (phone n has MAC + n - 1)") }
        if s.ssh != nil { throw ValidationError("--ssh serves one phone: not with --farm (phone 1's CLI is on telnet)") }
        if s.audio != .null { throw ValidationError("--audio \(s.audio): a farm's phones have no sound card or WAV files (null only)") }
        do {
            return try FarmPlan(size: size, firstMAC: mac, firstSIPPort: port ?? FarmPlan.defaultFirstSIPPort, flash: s.flash)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func readSmallFile(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "r") else { throw ValidationError("cannot open: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
            if out.count > 65536 { throw ValidationError("larger than 64 KiB") }
        }
        return out
    }
}
