import ArgumentParser
import Logging
import Media
import Provisioning

extension DaemonArguments {
    /// The plain command line of a start (`--name value` or `--name=value`, each option at most
    /// once, every value valid for its type) read without swift-argument-parser, whose parse
    /// reflects over the declarations and costs a few milliseconds of the start (issue 16).
    /// Nil for anything else — help, version, a positional word, an unknown, repeated or
    /// value-less option, a value that does not parse — and swift-argument-parser then parses
    /// it and reports, so every message and exit status stays its own. The names are the
    /// declarations' (ManPageTests checks that both parsers know the same options and agree).
    public static func parsePlain(_ arguments: [String]) -> DaemonArguments? {
        var a = DaemonArguments()
        a.flash = nil; a.tftp = nil; a.provision = nil; a.mac = nil; a.model = nil; a.logLevel = nil
        a.telnet = nil; a.ssh = nil; a.sshServer = nil; a.telnetIdleTimeout = nil; a.console = nil; a.consoleSpeed = nil; a.sipAddress = nil
        a.audio = nil; a.echoCanceller = nil; a.configFile = nil
        a.imageKeys = nil; a.upgradeHealthTimeout = nil; a.checkSyncDelay = nil; a.farm = nil; a.farmSIPPort = nil
        var seen: [Substring] = []   // (an array: a Set's first use costs a conformance lookup)
        var i = 0
        while i < arguments.count {
            let word = arguments[i]
            guard word.hasPrefix("--") else { return nil }
            let name: Substring, value: String
            if let eq = word.firstIndex(of: "=") {
                name = word[word.index(word.startIndex, offsetBy: 2)..<eq]
                value = String(word[word.index(after: eq)...])
                i += 1
            } else {
                guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") else { return nil }
                name = word.dropFirst(2)
                value = arguments[i + 1]
                i += 2
            }
            guard !seen.contains(name), a.set(name, value) else { return nil }
            seen.append(name)
        }
        return a
    }

    /// The long names `parsePlain` reads, one for each option declared above.
    public static let plainOptionNames = [
        "flash", "tftp", "provision", "mac", "model", "log-level", "telnet", "ssh", "ssh-server", "telnet-idle-timeout", "console",
        "console-speed", "sip-address", "audio", "echo-canceller", "config", "image-keys", "upgrade-health-timeout",
        "check-sync-delay", "farm", "farm-sip-port",
    ]

    /// Sets option `name` from `text`; false for an unknown name or a value its type rejects.
    private mutating func set(_ name: Substring, _ text: String) -> Bool {
        func typed<T: ExpressibleByArgument>(_ type: T.Type) -> T? { T(argument: text) }
        switch name {
        case "flash": flash = text
        case "tftp": tftp = text
        case "provision": provision = text
        case "mac": guard let v = typed(MACAddress.self) else { return false }; mac = v
        case "model": guard let v = typed(PhoneModel.self) else { return false }; model = v
        case "log-level": guard let v = typed(Logger.Level.self) else { return false }; logLevel = v
        case "telnet": guard let v = typed(ListenAddress.self) else { return false }; telnet = v
        case "ssh": guard let v = typed(ListenOrOff.self) else { return false }; ssh = v
        case "ssh-server": sshServer = text
        case "telnet-idle-timeout": guard let v = typed(Seconds.self) else { return false }; telnetIdleTimeout = v
        case "console": console = text
        case "console-speed": guard let v = typed(ConsoleSpeed.self) else { return false }; consoleSpeed = v
        case "sip-address": sipAddress = text
        case "audio": guard let v = typed(AudioOption.self) else { return false }; audio = v
        case "echo-canceller": guard let v = typed(OnOff.self) else { return false }; echoCanceller = v
        case "config": configFile = text
        case "image-keys": imageKeys = text
        case "upgrade-health-timeout": guard let v = typed(Seconds.self) else { return false }; upgradeHealthTimeout = v
        case "check-sync-delay": guard let v = typed(Seconds.self) else { return false }; checkSyncDelay = v
        case "farm": guard let v = typed(Int.self) else { return false }; farm = v
        case "farm-sip-port": guard let v = typed(Int.self) else { return false }; farmSIPPort = v
        default: return false
        }
        return true
    }
}
