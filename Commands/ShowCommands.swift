import Console
import Firmware
import Phone
import PhoneClock
import Provisioning

/// `show config`, `show status`, `show flash`, `show tftp`, `show version` (GUIDE.md §4.4).
/// `show network` lives with the network tools; `show debug` with debug.
enum ShowCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["show", "config"], help: "Every configuration parameter, its value and where it came from") { inv in
                let phone = try inv.phone
                let config = await phone.configuration()
                for line in Self.configLines(config) { inv.print(line) }
            },
            CommandSpec(["show", "status"], help: "Status messages of the last boot and the phone's state") { inv in
                let phone = try inv.phone
                for line in await Self.statusLines(phone) { inv.print(line) }
            },
            CommandSpec(["show", "flash"], help: "Files kept in flash") { inv in
                let phone = try inv.phone
                for line in Self.flashLines(phone.flash) { inv.print(line) }
            },
            CommandSpec(["show", "tftp"], help: "TFTP server and the files of the last boot") { inv in
                let phone = try inv.phone
                for line in await Self.tftpLines(phone) { inv.print(line) }
            },
            CommandSpec(["show", "dialplan"], help: "The dial plan in force, rule by rule") { inv in
                let phone = try inv.phone
                for line in Self.dialPlanLines(await phone.lastBoot()?.dialTemplate) { inv.print(line) }
            },
            CommandSpec(["show", "version"], help: "Software version, model and identity") { inv in
                let phone = try inv.phone
                for line in await Self.versionLines(phone) { inv.print(line) }
            },
        ]
    }

    /// Parameters whose name contains `password` print as stars ([sipcc] show config).
    static func configLines(_ config: Configuration) -> [String] {
        let rows = config.all.map { name, setting in
            (name, Configuration.displayed(name, setting.value), setting.source.description)
        }
        let nameWidth = rows.map(\.0.count).max() ?? 0
        let valueWidth = min(40, rows.map(\.1.count).max() ?? 0)
        return ["------ Current Configuration ------"] + rows.map { name, value, source in
            name.padded(nameWidth) + " : " + value.padded(valueWidth) + "  [" + source + "]"
        }
    }

    /// Status messages: the boot's files and configuration problems, and the `W350
    /// unprovisioned …` warnings of the guide's sample for key parameters left unset.
    static func statusLines(_ phone: any PhoneContext) async -> [String] {
        var lines = ["Status messages:"]
        if let boot = await phone.lastBoot() {
            for f in boot.files { lines.append("  \(f.name): \(f.outcome)") }
            for d in boot.diagnostics { lines.append("  \(d.severity == .error ? "error" : "warning"): \(d)") }
        } else {
            lines.append("  booting")
        }
        let config = await phone.configuration()
        // The code W350 comes from the guide's one sample ("W350 unprovisioned proxy_backup");
        // other W-codes of the reference phone are not documented (unverified).
        for name in ["proxy1_address", "proxy_backup", "proxy_emergency", "sntp_server"]
        where config[name]?.isUnprovisioned == true {
            lines.append("  W350 unprovisioned \(name)")
        }
        // The firmware's last upgrade, refusal or rollback (GUIDE.md §12.1 status messages).
        let slots = FirmwareSlots(flash: phone.flash, running: phone.identity.image)
        lines.append("  image: running \(phone.identity.image ?? "\(FirmwareSlots.builtInName) \(DeskphoneVersion.version)")")
        if let t = slots.trial() { lines.append("  image: \(t.image) on trial, not yet healthy\(t.health.map { ": \($0)" } ?? "")") }
        if let u = slots.lastUpgrade() {
            lines.append("  image: \(Clock24.utc(u.time)) \(u.image): \(u.result.rawValue)\(u.reason.map { ": \($0)" } ?? "")")
        }
        if let calls = phone.calls { lines.append("Audio: \(await calls.audioStatus)") }
        lines.append("Uptime: \(Self.format(phone.uptime()))")
        return lines
    }

    static func flashLines(_ flash: FlashStore) -> [String] {
        let entries = flash.entries()
        var lines = ["Flash: \(flash.root)"]
        let width = entries.map(\.path.count).max() ?? 0
        for e in entries {
            lines.append("  " + e.path.padded(width) + "  " + String(e.size).leftPadded(9) + " bytes  " + Clock24.utc(e.modified))
        }
        let used = entries.reduce(0) { $0 + $1.size }
        var summary = "\(entries.count) files, \(used) bytes"
        if let c = flash.capacity() { summary += "; \(c.free) bytes free of \(c.total)" }
        lines.append(summary)
        return lines
    }

    static func tftpLines(_ phone: any PhoneContext) async -> [String] {
        let config = await phone.configuration()
        let boot = await phone.lastBoot()
        var lines = [
            "TFTP server:   \(phone.identity.source ?? "none (flash only)")",
            "In use:        \(boot?.sourceDescription ?? phone.identity.source ?? "none")",
            "tftp_cfg_dir:  \(config["tftp_cfg_dir"]?.text ?? "")",
            "dyn_tftp_addr: \(config["dyn_tftp_addr"]?.text ?? "")",
            "Phone file:    \(phone.identity.mac.configFileName)",
        ]
        if let boot {
            if let t = await phone.lastBootTime() { lines.append("Last boot:     \(Clock24.utc(t))") }
            let width = boot.files.map(\.name.count).max() ?? 0
            for f in boot.files { lines.append("  " + f.name.padded(width) + "  " + f.outcome.description) }
        }
        return lines
    }

    /// The descendant stack's layout ([sipcc] `show dialplan`, GUIDE.md §4.4): the version line
    /// also before `EMPTY`; a tone left to the default prints the default's name.
    static func dialPlanLines(_ plan: DialTemplate?) -> [String] {
        var lines = ["Dialplan is....", "Dialplan version: \(plan?.versionStamp ?? "none")"]
        guard let plan, !plan.rules.isEmpty else { return lines + ["EMPTY"] }
        for (i, rule) in plan.rules.enumerated() {
            let user: String
            switch rule.user { case .phone: user = "Phone"; case .ip: user = "IP"; case .unspecified: user = "Unspecified" }
            let route: String
            switch rule.route { case .default: route = "Default"; case .emergency: route = "Emergency"; case .fqdn: route = "FQDN" }
            let timeout = String(rule.timeout).leftPadded(4).replacingSpaces(with: "0")
            lines.append("\((i + 1).twoDigits). Pattern: \(rule.match)  Rewrite: \(rule.rewrite ?? "") Line: \(rule.line.map(String.init) ?? "All")")
            lines.append("    Timeout: \(timeout)   UserMode: \(user)  RouteMode: \(route)")
            for (k, tone) in rule.tones.enumerated() {
                lines.append("    Tone \(k + 1): \(tone.isEmpty ? DialPlanMatcher.defaultTone : tone)")
            }
        }
        return lines
    }

    static func versionLines(_ phone: any PhoneContext) async -> [String] {
        let config = await phone.configuration()
        let boot = await phone.lastBoot()
        return [
            "\(DeskphoneVersion.product) \(DeskphoneVersion.version) (SIP desk-phone runtime)",
            "Model:          \(phone.identity.model.rawValue) (\(phone.identity.model.lineCount) lines)",
            "MAC address:    \(phone.identity.mac) (\(phone.identity.macOrigin))",
            "Running image:  \(phone.identity.image ?? "built-in (not started from a flash slot)")",
            "image_version:  \(config["image_version"]?.text ?? "UNPROVISIONED")",
            "OS79XX.TXT:     \(boot?.dualBootImage ?? "none")",
            "Uptime:         \(Self.format(phone.uptime()))",
        ]
    }

    static func format(_ d: Duration) -> String {
        let s = Int(d.components.seconds)
        return "\(s / 86400)d \((s / 3600 % 24).twoDigits):\((s / 60 % 60).twoDigits):\((s % 60).twoDigits)"
    }
}

/// UTC timestamps for listings (PhoneClock's civil calendar; no time zone database).
enum Clock24 {
    static func utc(_ epoch: Int) -> String { "\(LocalDateTime(secondsSinceEpoch: epoch)) UTC" }
}

extension Int {
    var twoDigits: String { self < 10 ? "0\(self)" : String(self) }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    func replacingSpaces(with c: Character) -> String { String(map { $0 == " " ? c : $0 }) }
}
