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
        (key = value, keys are the long option names); the command line wins.
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

    @Option(help: "The phone's MAC address (00:11:AA:BB:CC:42, 00-11-aa-bb-cc-42 or 0011AABBCC42).")
    public var mac: String?

    @Option(help: ArgumentHelp("Phone model: 7960 (six lines) or 7940 (two).", valueName: "7960|7940"))
    public var model: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel: String?

    @Option(help: ArgumentHelp("Telnet CLI listen address (127.0.0.1:2323 by default; open only while telnet_level > 0).",
                               valueName: "addr:port"))
    public var telnet: String?

    @Option(help: ArgumentHelp("Serial console: a tty device, 'stdin', 'none', or 'auto' (stdin when it is a terminal).",
                               valueName: "path"))
    public var console: String?

    @Option(name: .customLong("console-speed"), help: "Serial console speed in baud (9600 by default, 8N1).")
    public var consoleSpeed: Int?

    @Option(name: .customLong("sip-address"),
            help: ArgumentHelp("Local address SIP binds to (port: voip_control_port); 0.0.0.0 by default.", valueName: "addr"))
    public var sipAddress: String?

    @Option(help: ArgumentHelp("Audio device: 'null', or 'file:PLAY.wav,RECORD.wav' (the microphone reads PLAY in a loop, "
                               + "the handset is written to RECORD; 8 kHz 16-bit mono).", valueName: "device"))
    public var audio: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("Daemon config file.", valueName: "file"))
    public var configFile: String = DaemonArguments.defaultConfigFile

    /// Command line over the daemon config file over built-in defaults.
    public func resolve() throws -> DaemonSettings {
        var file: [String: String] = [:]
        if let bytes = try? readSmallFile(configFile) {
            file = try DaemonConfigFile.parse(bytes, file: configFile)
        }
        let modelText = model ?? file["model"] ?? "7960"
        guard let m = PhoneModel(rawValue: modelText) else {
            throw ValidationError("--model \(modelText): must be 7960 or 7940")
        }
        let levelText = logLevel ?? file["log-level"] ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("--log-level \(levelText): must be trace, debug, info, notice, warning, error or critical")
        }
        let macText = mac ?? file["mac"]
        if let macText, MACAddress(macText) == nil {
            throw ValidationError("--mac \(macText): not a MAC address (e.g. 00:11:AA:BB:CC:42)")
        }
        let telnetText = telnet ?? file["telnet"] ?? DaemonSettings.defaultTelnet
        guard let listen = DaemonSettings.parseListen(telnetText) else {
            throw ValidationError("--telnet \(telnetText): expected ADDR:PORT, e.g. 127.0.0.1:2323")
        }
        let speedText = consoleSpeed.map(String.init) ?? file["console-speed"] ?? String(DaemonSettings.defaultConsoleSpeed)
        guard let speed = Int(speedText), SerialPort.speeds.contains(speed) else {
            throw ValidationError("--console-speed \(speedText): must be one of \(SerialPort.speeds.map(String.init).joined(separator: ", "))")
        }
        let audioText = audio ?? file["audio"] ?? DaemonSettings.defaultAudio
        let audioOption: AudioOption
        do { audioOption = try AudioOption(parsing: audioText) } catch { throw ValidationError("\(error)") }
        let s = DaemonSettings(
            flash: flash ?? file["flash"] ?? DaemonSettings.defaultFlash,
            tftp: tftp ?? file["tftp"], provision: provision ?? file["provision"],
            mac: macText, model: m, logLevel: level, telnet: listen,
            console: .init(console ?? file["console"] ?? "auto"), consoleSpeed: speed,
            sipAddress: sipAddress ?? file["sip-address"] ?? DaemonSettings.defaultSIPAddress, audio: audioOption)
        if s.tftp != nil && s.provision != nil {
            throw ValidationError("--tftp and --provision exclude each other")
        }
        return s
    }

    func readSmallFile(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "r") else { throw ValidationError("\(path): cannot open") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
            if out.count > 65536 { throw ValidationError("\(path): larger than 64 KiB") }
        }
        return out
    }
}
