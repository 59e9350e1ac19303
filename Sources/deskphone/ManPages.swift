import ArgumentParser
import Commands
import Console
import DaemonOptions
import PhoneClock
import Provisioning
import SSHRelay

/// The man pages, generated from the declarations they document: deskphoned's options
/// (`DaemonArguments`), the CLI commands (`PhoneCommands`), the parameter table
/// (`ParameterTable`) and deskphone's subcommands (swift-argument-parser's tool info).
/// Nothing here repeats a fact those declarations hold, so the pages cannot drift.
enum ManPages {
    /// Page file names (`NAME.SECTION`) and their generators.
    static let pages: [(name: String, render: @Sendable () -> String)] = [
        ("deskphoned.8", { deskphoned() }),
        ("deskphone.1", { deskphone() }),
        ("deskphone.cnf.5", { deskphoneCnf() }),
        ("deskphone-ssh.8", { deskphoneSSH() }),
    ]

    static func render(_ name: String) -> String? {
        let page = pages.first { $0.name == name }
            ?? pages.first { String($0.name[..<($0.name.lastIndex(of: ".") ?? $0.name.endIndex)]) == name }
        return page?.render()
    }

    // MARK: deskphoned(8)

    static func deskphoned() -> String {
        let info = ToolInfo.of(DaemonArguments.self).command
        var page = RoffPage(name: "DESKPHONED", section: "8", manual: "System Administration")
        page.section("Name")
        page.text("deskphoned - \(DaemonArguments.abstract.trimmingSuffix("."))")
        page.section("Synopsis")
        page.raw(synopsis("deskphoned", info.synopsisPieces))
        page.section("Description")
        page.paragraph(DaemonArguments.discussion)
        page.paragraph("""
            Installed from the Debian package, deskphoned runs as the system user deskphone under \
            systemd (deskphoned.service), with its flash folder in /var/lib/deskphone and its options in \
            \(DaemonArguments.defaultConfigFile).
            """)
        page.section("Options")
        options(&page, info)
        page.item(Roff.bold("-h") + ", " + Roff.bold("--help"), ["Show the options and exit."])

        page.section("Configuration file")
        page.paragraph("""
            The daemon config file (\(DaemonArguments.defaultConfigFile) unless --config names another; \
            the default file may be missing, a file named with --config must exist) holds one key = value \
            per line. A # starts a comment, blank lines are ignored, and a value may be written in double \
            quotes. The keys are the long option names, and each value is checked as the option's value \
            is; an option given on the command line wins over the file. An unknown key or a bad value stops \
            the daemon with file:line. The keys are:
            """)
        page.rawParagraph(DaemonSettings.fileKeys.map(Roff.bold).joined(separator: ", ") + ".")
        page.paragraph("The installed file:")
        page.example([
            "flash = /var/lib/deskphone",
            "telnet = 0.0.0.0:23",
            "console = none",
            "# tftp = 192.0.2.10",
            "# mac = 00:0D:BC:50:FC:D4",
            "# model = 7960",
        ])
        page.paragraph("""
            Parameters of the phone itself (lines, proxies, telnet_level, phone_password ...) do not go \
            here: they come from the provisioning files, see deskphone.cnf(5).
            """)

        page.section("Boot sequence")
        page.paragraph("""
            At start, and again on reset soft, the phone: loads its flash (network.cnf, local.cnf and the \
            last good copies in config/); fetches OS79XX.TXT, SIPDefault.cnf, SIP<MAC>.cnf (in tftp_cfg_dir), \
            RINGLIST.DAT, <dial_template>.xml and the ring files, in that order, from the TFTP server (--tftp, \
            else tftp_server in flash network.cnf) or from the folder given with --provision; validates each \
            file; applies them in layers (built-in defaults < flash < SIPDefault.cnf < SIP<MAC>.cnf); and keeps \
            the last good copy of each file in flash.
            """)
        page.paragraph("""
            When the server does not answer, or a file is missing or invalid, the phone boots on the last good \
            copy and logs why. Each invalid value is logged as file:line: parameter: reason, and the earlier \
            value stays in force. dyn_tftp_addr redirects the later requests of a boot. Every write to flash \
            is atomic (temporary file, fsync, rename).
            """)
        page.paragraph("""
            The MAC address is taken from --mac, else from mac_address in flash, else from the host's first \
            non-loopback interface.
            """)

        page.section("Admin CLI")
        page.paragraph("""
            The admin command-line interface is served on telnet (the --telnet address; the port is open only \
            while telnet_level is 1 or 2) and on the serial console (--console). A session first asks for \
            phone_password. telnet_level 1 allows the non-privileged commands, 2 allows all; the serial \
            console allows all. Any word may be shortened to a unique prefix, ? lists what may follow, Tab \
            completes, and Ctrl-C stops a running command. deskphone cli runs commands without a person, see \
            deskphone(1).
            """)
        page.paragraph("""
            Telnet admits at most \(TelnetServer.Configuration.defaultMaxSessions) logged-in sessions; one more \
            connection is told Too many sessions and closed. Connections still at the password prompt are \
            counted apart: at most \(TelnetServer.Configuration.defaultMaxPendingLogins) wait at a time (when \
            one more arrives, the one that has waited longest is closed) and each is closed after \
            \(DaemonSettings.loginTimeoutSeconds) s without a login. Wrong passwords pause the session 1, 2, \
            4 ... up to \(LoginPolicy().maximumDelay.components.seconds) s, counted by source address across \
            connections; \(LoginPolicy().maxFailures) on one connection close it. \
            Logins, wrong passwords, refused and closed connections are logged with the source address. \
            A logged-in session without input for --telnet-idle-timeout seconds is closed.
            """)
        page.paragraph("""
            With --ssh the same CLI is also served over SSH (off by default; beyond the reference phone). \
            The phone has no user names: any user name logs in with phone_password (refused while it is \
            empty) or with a key listed in FLASH/\(DaemonSettings.sshFolder)/authorized_keys or \
            \(DaemonSettings.systemAuthorizedKeys) (OpenSSH authorized_keys format; ssh-ed25519 and \
            ecdsa-sha2-nistp256/384/521 keys; a line with options is ignored, and each bad line is logged \
            with its place). The session then starts at the prompt, with the commands telnet_level grants \
            (none while it is 0: logins are refused); ssh PHONE COMMAND runs one command line and exits \
            with status 1 when it printed an error. Wrong passwords share telnet's pauses, counted by source \
            address, and telnet's limits on sessions, waiting logins and idle time apply. The Ed25519 host \
            key is made at the first start with --ssh in FLASH/\(DaemonSettings.sshFolder)/host_ed25519_key \
            (its .pub beside it) and kept: the fingerprint is logged at every start. The SSH protocol itself \
            is spoken by \(DaemonSettings.sshServerName)(8), a child process that deskphoned starts (--ssh-server) \
            and starts again if it dies; logins are decided and sessions run in deskphoned.
            """)
        page.subsection("Commands")
        for spec in PhoneCommands.all {
            commandItem(&page, spec)
        }

        page.section("Signals")
        page.item(Roff.bold("SIGTERM") + ", " + Roff.bold("SIGINT"), [
            "Shut down gracefully: close the CLI sessions and listeners, then exit 0. systemctl stop sends SIGTERM.",
        ])
        page.paragraph("""
            There is no reload signal: reset soft (CLI) runs the boot sequence again and applies the new \
            configuration, and reset hard restarts the process.
            """)

        page.section("Files")
        page.item(Roff.bold(DaemonArguments.defaultConfigFile), ["The daemon config file (a conffile of the package)."])
        page.item(Roff.bold("/var/lib/deskphone/"), [
            "The installed flash folder: network.cnf (network settings), local.cnf (parameters set on the phone) and config/ (the last good copy of each provisioning file).",
        ])
        page.item(Roff.bold(DaemonSettings.systemAuthorizedKeys), [
            "Public keys that may log in over SSH (--ssh), besides FLASH/\(DaemonSettings.sshFolder)/authorized_keys.",
        ])
        page.item(Roff.bold("/usr/sbin/" + DaemonSettings.sshServerName), [
            "The SSH server that --ssh starts (--ssh-server names another).",
        ])
        page.item(Roff.bold("/usr/lib/systemd/system/deskphoned.service"), [
            "The systemd unit: runs deskphoned as the user deskphone with CAP_NET_BIND_SERVICE (telnet port 23) and CAP_NET_RAW (ping, traceroute) as its only capabilities.",
        ])
        page.section("Exit status")
        page.paragraph("0 after a graceful shutdown; 64 for an invalid option or config file value; 1 when the daemon cannot start (for example the flash folder cannot be created).")
        page.section("See also")
        page.rawParagraph(seeAlso([("deskphone", "1"), ("deskphone.cnf", "5"), ("systemctl", "1"), ("telnet", "1")]))
        return page.text
    }

    static func commandItem(_ page: inout RoffPage, _ spec: CommandSpec) {
        var body = [spec.help + "."]
        if let d = spec.discussion { body.append(d) }
        for a in spec.arguments {
            var line = (a.keyword.map { "\($0) " } ?? "") + a.placeholder + ": " + a.help
            if case .choice(let words) = a.kind, words.count > 4 { line += " (one of: \(words.joined(separator: ", ")))" }
            if let d = a.defaultValue { line += " (default \(d))" }
            if a.optional { line += "; optional" }
            body.append(line)
        }
        body.append(spec.privilege == .user
            ? "Privilege: non-privileged (telnet_level 1 or 2, and the console)."
            : "Privilege: privileged (telnet_level 2, and the console).")
        page.item(Roff.bold(spec.synopsis), body)
    }

    // MARK: deskphone-ssh(8)

    static func deskphoneSSH() -> String {
        let name = DaemonSettings.sshServerName
        var page = RoffPage(name: name.uppercased(), section: "8", manual: "System Administration")
        page.section("Name")
        page.text("\(name) - the SSH server of deskphoned")
        page.section("Synopsis")
        page.raw(synopsis(name, SSHServerCommandLine.options.enumerated().map { i, o in
            i == 0 ? "\(o.name) <\(o.value)>" : "[\(o.name) <\(o.value)>]"
        }))
        page.section("Description")
        page.paragraph("""
            \(name) serves the admin CLI of deskphoned(8) over SSH. It is not started by hand: deskphoned \
            starts it when --ssh is given (the program named by --ssh-server, by default this one beside the \
            installed deskphoned), with a control socket as file descriptor 3, and starts it again after a \
            pause when it dies. It speaks the SSH protocol only: every password and public key it is offered \
            (a key after its signature was checked) goes to deskphoned, which decides as it does for telnet \
            (phone_password, the authorized_keys files, telnet_level, the pauses after wrong passwords), and \
            every shell or exec session is handed to deskphoned over a socket of its own, where the CLI \
            session runs. The host key comes from deskphoned too. It exits when deskphoned does.
            """)
        page.paragraph("""
            A process of its own so that deskphoned stays small: the SSH library it is built on needs the \
            whole of Foundation, which a daemon started without --ssh does not load.
            """)
        page.section("Options")
        for option in SSHServerCommandLine.options {
            page.item(Roff.bold(option.name) + " " + Roff.italic("<\(option.value)>"), [option.help])
        }
        page.section("Exit status")
        page.paragraph("0 when deskphoned closed the control socket; 1 when it cannot listen or the control socket fails; 2 for a bad command line.")
        page.section("See also")
        page.rawParagraph(seeAlso([("deskphoned", "8"), ("ssh", "1")]))
        return page.text
    }

    // MARK: deskphone(1)

    static func deskphone() -> String {
        let info = ToolInfo.of(Deskphone.self).command
        var page = RoffPage(name: "DESKPHONE", section: "1", manual: "User Commands")
        page.section("Name")
        page.text("deskphone - \((info.abstract ?? "").trimmingSuffix("."))")
        page.section("Synopsis")
        page.raw(synopsis("deskphone", ["--version"]))
        page.raw(".br")
        // Groups (`deskphone image`) are listed with their subcommands, one level down.
        let subs = Self.visibleSubcommands(info).flatMap { s in
            [("deskphone \(s.commandName)", s)] + Self.visibleSubcommands(s).map { ("deskphone \(s.commandName) \($0.commandName)", $0) }
        }
        for (name, s) in subs where Self.visibleSubcommands(s).isEmpty {
            page.raw(synopsis(name, s.synopsisPieces))
            page.raw(".br")
        }
        page.section("Description")
        page.paragraph("""
            deskphone is the operator tool for phones running deskphoned(8): it checks provisioning files \
            against the parameter table, runs CLI commands on a phone over telnet, builds, signs and verifies \
            firmware images, lists the parameters, and prints these man pages. Each subcommand takes --help.
            """)
        page.section("Options")
        page.item(Roff.bold("--version"), ["Show the version and exit."])
        page.item(Roff.bold("-h") + ", " + Roff.bold("--help"), ["Show the help and exit (also after a subcommand)."])
        page.section("Commands")
        for (name, s) in subs {
            page.subsection(name)
            if let a = s.abstract { page.paragraph(a) }
            if let d = s.discussion, !d.isEmpty { page.paragraph(d) }
            options(&page, s)
        }
        page.section("Environment")
        page.item(Roff.bold("DESKPHONE_PASSWORD"), ["The phone password for deskphone cli when --password-file is not given (else the default cisco)."])
        page.section("Exit status")
        page.paragraph("""
            0 on success. check-config exits 1 when a value is invalid. cli exits 1 at the first command whose \
            output reports an error (a line starting with %), and 2 when the phone cannot be reached or the \
            login fails. image exits 1 when a file cannot be read or written, and image verify when the image \
            is refused. 64 for invalid arguments.
            """)
        page.section("Examples")
        page.example([
            "deskphone check-config --model 7940 SIPDefault.cnf SIP000DBC50FCD4.cnf",
            "deskphone cli 192.0.2.20 -c \"show version\" -c \"show config\"",
            "deskphone cli 127.0.0.1:2323 -c \"erase protflash\" -c y",
            "deskphone image keygen vendor",
            "deskphone image build .build/release/deskphoned --image-version 08-12-00 --model 7960 --model 7940",
            "deskphone image sign P0S3-08-12-00.bin --key vendor.key",
            "deskphone image verify P0S3-08-12-00.sb2 --key vendor.pub --model 7940",
            "deskphone man deskphone.cnf.5 | man -l -",
        ])
        page.section("See also")
        page.rawParagraph(seeAlso([("deskphoned", "8"), ("deskphone.cnf", "5")]))
        return page.text
    }

    // MARK: deskphone.cnf(5)

    static func deskphoneCnf() -> String {
        var page = RoffPage(name: "DESKPHONE.CNF", section: "5", manual: "File Formats")
        page.section("Name")
        page.text("deskphone.cnf - Deskphone provisioning files SIPDefault.cnf and SIP<MAC>.cnf")
        page.section("Description")
        page.paragraph("""
            deskphoned(8) fetches SIPDefault.cnf (settings shared by every phone) and SIP<MAC>.cnf (one phone, \
            MAC in upper-case hexadecimal without separators, e.g. SIP000DBC50FCD4.cnf) from its TFTP server at \
            every boot. Values apply in layers: built-in defaults < flash < SIPDefault.cnf < SIP<MAC>.cnf. \
            deskphone check-config checks files the same way; deskphone parameters lists the table below.
            """)
        page.section("Syntax")
        page.paragraph("""
            One name: value per line, with optional whitespace around the colon. Text after ; is a comment; \
            a line starting with # is a comment. Lines end in LF or CRLF. A value with spaces or ; must be in \
            double quotes. "" or UNPROVISIONED clears a value (back to the default). Names are \
            case-insensitive. A file larger than \(CNFParser.maxFileSize) bytes is refused, and a line longer \
            than \(CNFParser.maxLineLength) characters is an error.
            """)
        page.paragraph("""
            Each invalid value is reported as file:line: name: reason (valid: ...) and the earlier value stays \
            in force; an unknown name is reported as file:line: name: unknown parameter.
            """)
        page.example([
            "# SIPDefault.cnf",
            "proxy1_address: \"192.0.2.5\"",
            "proxy_register: 1            ; register every line",
            "time_zone: CET",
            "telnet_level: 1",
            "",
            "# SIP000DBC50FCD4.cnf",
            "line1_name: 1001",
            "line1_password: \"s3cret\"",
            "phone_password: \"cisco\"",
        ])
        page.section("Scope")
        page.paragraph("Each parameter has a scope, where it is normally set:")
        for scope in ParameterScope.allCases {
            page.item(Roff.bold(scope.rawValue), [scopeText(scope)])
        }
        page.section("Parameters")
        page.paragraph("""
            A name with N stands for a family: N is replaced by the index (line1_name ... line6_name). For families \
            indexed by line button, the 7940 has lines 1 and 2 only.
            """)
        for section in ParameterTable.sections {
            page.subsection(section.title)
            for p in section.parameters { parameterItem(&page, p) }
        }
        page.section("Time zones")
        page.paragraph("""
            time_zone takes one of these abbreviations (case-insensitive), a fixed offset from GMT; daylight \
            saving time is applied separately by the dst_ parameters. The default is \(TimeZoneTable.defaultAbbreviation).
            """)
        var byOffset: [(Int, [String])] = []
        for z in TimeZoneTable.zones {
            if let last = byOffset.last, last.0 == z.offsetMinutes { byOffset[byOffset.count - 1].1.append(z.abbreviation) }
            else { byOffset.append((z.offsetMinutes, [z.abbreviation])) }
        }
        page.example(byOffset.map { offset, names in
            let sign = offset < 0 ? "-" : "+"
            let m = abs(offset)
            let h = m / 60, mm = m % 60
            return "GMT\(sign)\(h < 10 ? "0" : "")\(h):\(mm < 10 ? "0" : "")\(mm)  \(names.joined(separator: " "))"
        })
        page.section("Files")
        page.item(Roff.bold("/var/lib/deskphone/config/"), ["The last good copy of each file, used when the server does not answer."])
        page.item(Roff.bold("/var/lib/deskphone/local.cnf"), ["Parameters set on the phone (scope UI)."])
        page.item(Roff.bold("/var/lib/deskphone/network.cnf"), ["The network settings (scope NET)."])
        page.section("See also")
        page.rawParagraph(seeAlso([("deskphoned", "8"), ("deskphone", "1")]))
        return page.text
    }

    static func scopeText(_ scope: ParameterScope) -> String {
        switch scope {
        case .defaultFile: return "Normally in SIPDefault.cnf."
        case .phoneFile: return "Normally in SIP<MAC>.cnf; the parser accepts it in either file."
        case .either: return "Either file."
        case .phoneOnly: return "Set on the phone only (kept in flash local.cnf); a file cannot set it."
        case .network: return "Network settings kept in flash network.cnf, entered on the phone or learned from DHCP; a file cannot set them."
        }
    }

    /// The name a page shows for a parameter: the name, or the family pattern with N.
    static func displayName(_ p: Parameter) -> String { p.pattern.replacingHash() }

    static func defaultText(_ p: Parameter) -> String {
        guard let d = p.defaultText, !d.isEmpty else { return "none (UNPROVISIONED)" }
        return d
    }

    static func parameterItem(_ page: inout RoffPage, _ p: Parameter) {
        var body = [p.help]
        if let r = p.indices {
            let limits = p.perLine
                ? PhoneModel.allCases.filter { $0.lineCount < r.upperBound }.map { "; on a \($0.rawValue), N \u{2264} \($0.lineCount)" }.joined()
                : ""
            body.append("N: \(r.lowerBound)\u{2013}\(r.upperBound)\(limits).")
        }
        body.append("Valid: \(p.type.validValues).")
        body.append("Default: \(defaultText(p)).")
        body.append("Scope: \(p.scope.rawValue).")
        if let n = p.note { body.append("Note: \(n).") }
        page.item(Roff.bold(displayName(p)), body)
    }

    // MARK: pieces

    static func synopsis(_ command: String, _ pieces: [String]) -> String {
        ".B \(Roff.escape(command))\n" + (pieces.isEmpty ? "" : Roff.escape(pieces.joined(separator: " ")))
    }

    static func options(_ page: inout RoffPage, _ info: ToolInfo.CommandInfo) {
        for a in info.visibleArguments {
            let tag: String
            if a.isPositional {
                tag = Roff.italic(a.placeholder)
            } else {
                let names = a.spellings.map(Roff.bold).joined(separator: ", ")
                tag = a.isFlag ? names : names + " " + Roff.italic("<\(a.placeholder)>")
            }
            var body = [a.abstract ?? ""]
            if let d = a.discussion, !d.isEmpty { body.append(d) }
            if let d = a.defaultValue, !d.isEmpty { body.append("Default: \(d).") }
            if a.isRepeating { body.append("May be repeated.") }
            page.item(tag, body)
        }
    }

    static func visibleSubcommands(_ info: ToolInfo.CommandInfo) -> [ToolInfo.CommandInfo] {
        (info.subcommands ?? []).filter { $0.shouldDisplay ?? true && $0.commandName != "help" }
    }

    static func seeAlso(_ refs: [(String, String)]) -> String {
        refs.map { "\(Roff.bold($0.0))(\($0.1))" }.joined(separator: ",\n")
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
