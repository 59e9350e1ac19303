import TextUtilities
import ArgumentParser
import Console
import Logging
import Media
import Provisioning

/// The daemon's settings after merging the command line over the daemon config file
/// (/etc/deskphone/deskphoned.conf when installed) over built-in defaults.
public struct DaemonSettings: Sendable {
    public var flash: String
    public var tftp: String?
    public var provision: String?
    public var mac: String?
    public var model: PhoneModel
    public var logLevel: Logger.Level
    /// Telnet listen address; the port is closed anyway while `telnet_level` is 0.
    public var telnet: (host: String, port: Int)
    /// `--ssh`: the SSH CLI's listen address; nil (the default): no SSH server, no host key.
    public var ssh: (host: String, port: Int)? = nil
    /// `--ssh-server`: the SSH server program; nil: `sshServerName` beside the installed daemon.
    public var sshServer: String? = nil
    public var console: ConsoleChoice
    public var consoleSpeed: Int
    /// The local address the SIP transport binds (the port is `voip_control_port`).
    public var sipAddress: String
    /// Seconds without input before a logged-in telnet session is closed.
    public var telnetIdleTimeout: Int
    /// `--audio`: the phone's handset and microphone.
    public var audio: AudioOption
    /// `--echo-canceller`: on a sound card, the microphone's echo of the speaker is cancelled.
    public var echoCanceller: Bool
    /// `--image-keys`: the folder of the trusted image public keys (`*.pub`).
    public var imageKeys: String
    /// `--upgrade-health-timeout`: seconds an upgraded image has to become healthy.
    public var upgradeHealthTimeout: Int
    /// `--check-sync-delay`: seconds of idle after a check-sync NOTIFY (GUIDE.md §7.4: 20).
    public var checkSyncDelay: Int
    /// `--farm N`: the phones of the farm mode; nil (the default): one phone.
    public var farm: FarmPlan? = nil

    public init(flash: String, tftp: String?, provision: String?, mac: String?, model: PhoneModel, logLevel: Logger.Level,
                telnet: (host: String, port: Int), console: ConsoleChoice, consoleSpeed: Int, sipAddress: String,
                telnetIdleTimeout: Int = DaemonSettings.defaultTelnetIdleTimeout, audio: AudioOption = .null,
                echoCanceller: Bool = true, imageKeys: String = DaemonSettings.defaultImageKeys,
                upgradeHealthTimeout: Int = DaemonSettings.defaultUpgradeHealthTimeout,
                checkSyncDelay: Int = DaemonSettings.defaultCheckSyncDelay) {
        self.imageKeys = imageKeys
        self.upgradeHealthTimeout = upgradeHealthTimeout
        self.checkSyncDelay = checkSyncDelay
        self.flash = flash
        self.tftp = tftp
        self.provision = provision
        self.mac = mac
        self.model = model
        self.logLevel = logLevel
        self.telnet = telnet
        self.console = console
        self.consoleSpeed = consoleSpeed
        self.sipAddress = sipAddress
        self.telnetIdleTimeout = telnetIdleTimeout
        self.audio = audio
        self.echoCanceller = echoCanceller
    }

    public enum ConsoleChoice: Equatable, Sendable {
        /// Standard input when it is a terminal (deskphoned in the foreground), else none.
        case auto
        case none
        case standardIO
        case device(String)

        public init(_ text: String) {
            switch text {
            case "auto": self = .auto
            case "none": self = .none
            case "stdin", "-": self = .standardIO
            default: self = .device(text)
            }
        }
    }

    /// The keys a daemon config file may set: the long option names.
    public static let fileKeys = ["flash", "tftp", "provision", "mac", "model", "log-level", "telnet", "ssh", "ssh-server", "console", "console-speed",
                                  "sip-address", "telnet-idle-timeout", "audio", "echo-canceller",
                                  "image-keys", "upgrade-health-timeout", "check-sync-delay", "farm", "farm-sip-port"]
    /// Installed by the .deb as conffiles (Packaging/image-keys).
    public static let defaultImageKeys = "/etc/deskphone/image-keys"
    /// Three minutes: a phone boots, fetches its files and registers in seconds; a registrar
    /// that is slow to answer gets a few refresh retries before the new image is blamed.
    public static let defaultUpgradeHealthTimeout = 180
    /// GUIDE.md §7.4 step 3: the phone waits 20 seconds (idle) after the NOTIFY.
    public static let defaultCheckSyncDelay = 20
    public static let defaultSIPAddress = "0.0.0.0"
    public static let defaultAudio = "null"
    public static let defaultFlash = "flash"
    /// The flash folder of the SSH host key and authorized keys.
    public static let sshFolder = "ssh"
    /// The SSH server's program, installed beside deskphoned (issue 16).
    public static let sshServerName = "deskphone-ssh"
    /// Keys that may log in over SSH besides the flash's (installed systems).
    public static let systemAuthorizedKeys = "/etc/deskphone/authorized_keys"
    /// Development default; the installed daemon config sets port 23.
    public static let defaultTelnet = "127.0.0.1:2323"
    /// GUIDE.md §4.1: 9600 8-N-1 (unverified).
    public static let defaultConsoleSpeed = 9600
    /// Ten minutes: long enough to read a `show` listing, short enough that a forgotten
    /// session does not hold one of the eight places for the day.
    public static let defaultTelnetIdleTimeout = 600
    /// How long a telnet connection may sit at the password prompt (TelnetServer's default).
    public static let loginTimeoutSeconds = Int(TelnetServer.Configuration.defaultLoginTimeout.nanoseconds / 1_000_000_000)

    /// `ADDR:PORT`, `[v6]:PORT` or `PORT`.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        var host = "127.0.0.1", portText = Substring(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else { return nil }
        return (host, port)
    }
}

/// `key = value` lines, `#` comments; keys are deskphoned's long option names.
public enum DaemonConfigFile {
    public struct Problem: Error, CustomStringConvertible {
        public let file: String, line: Int, message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> [String: String] {
        try parseLines(bytes, file: file).mapValues(\.value)
    }

    /// The values with the line each came from.
    public static func parseLines(_ bytes: [UInt8], file: String) throws -> [String: (value: String, line: Int)] {
        var out: [String: (value: String, line: Int)] = [:]
        let text = String(decoding: bytes, as: UTF8.self)
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw.prefix { $0 != "#" }.trimmingWhitespace())
            if line.isEmpty { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw Problem(file: file, line: i + 1, message: "expected 'key = value'")
            }
            let key = String(line[..<eq].trimmingWhitespace())
            var value = String(line[line.index(after: eq)...].trimmingWhitespace())
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            guard DaemonSettings.fileKeys.contains(key) else {
                throw Problem(file: file, line: i + 1,
                              message: "\(key): unknown key (valid: \(DaemonSettings.fileKeys.joined(separator: ", ")))")
            }
            out[key] = (value, i + 1)
        }
        return out
    }
}
