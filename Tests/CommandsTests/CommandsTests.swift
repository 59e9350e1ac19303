import Commands
import Console
import Diagnostics
import Firmware
import Foundation
import Phone
import Provisioning
import NIOConcurrencyHelpers
import Testing

/// A real phone runtime on a temporary flash and provisioning folder, driven through
/// in-memory sessions.
struct Bench {
    let phone: PhoneRuntime
    let provision: String
    let flashRoot: String
    let registry = DebugRegistry()

    init(files: [String: String] = Bench.files) async throws {
        let base = NSTemporaryDirectory() + "commands-\(UUID().uuidString)"
        provision = base + "/tftpboot"
        flashRoot = base + "/flash"
        try FileManager.default.createDirectory(atPath: provision, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: provision + "/" + name)) }
        let flash = try FlashStore(root: flashRoot)
        let counter = Box()
        phone = PhoneRuntime(
            flash: flash,
            identity: PhoneIdentity(mac: MACAddress("00:11:AA:BB:CC:42")!, macOrigin: "option", model: .cp7960,
                                    source: "folder \(provision)"),
            source: LocalFolderSource(root: provision), restart: { counter.bump() })
        await phone.boot()
        restartBox = counter
    }
    var restartBox: Box

    static let files = [
        "SIPDefault.cnf": "proxy1_address: 10.0.0.1\ntelnet_level: 2\nbogus_param: 1\n",
        "SIP0011AABBCC42.cnf": "line1_name: 620\nline1_password: secret\nphone_prompt: Desk\n",
        "dialplan.xml": "<DIALTEMPLATE><TEMPLATE MATCH=\"6..\" Timeout=\"0\"/></DIALTEMPLATE>",
    ]

    func session(_ level: Privilege = .privileged) -> CLISession {
        CLISession(configuration: SessionConfiguration(
            prompt: { "SIP Phone> " }, password: nil, privilege: level, commands: PhoneCommands.tree, registry: registry,
            context: phone), peer: "test")
    }

    func run(_ lines: [String], _ level: Privilege = .privileged) async -> [String] {
        await MemoryTerminal.run(session(level), lines: lines)
    }
}

final class Box: Sendable {
    let value = NIOLockedValueBox(0)
    func bump() { value.withLockedValue { $0 += 1 } }
    var count: Int { value.withLockedValue { $0 } }
}

@Suite struct ShowCommandTests {
    @Test func showConfigGivesValueAndSourceAndHidesPasswords() async throws {
        let b = try await Bench()
        let out = await b.run(["show config"])[0]
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "------ Current Configuration ------")
        #expect(lines.contains { $0.hasPrefix("line1_name ") && $0.contains(": 620") && $0.hasSuffix("[SIP0011AABBCC42.cnf:1]") })
        #expect(lines.contains { $0.hasPrefix("line1_password ") && $0.contains(": **********") })
        #expect(!out.contains("secret"))
        #expect(lines.contains { $0.hasPrefix("proxy1_address ") && $0.hasSuffix("[SIPDefault.cnf:1]") })
        #expect(lines.contains { $0.hasPrefix("timer_t1 ") && $0.contains(": 500") && $0.hasSuffix("[default]") })
        #expect(lines.contains { $0.hasPrefix("line6_name ") && $0.contains("UNPROVISIONED") })
        #expect(lines.count == 1 + (await b.phone.configuration()).all.count)
    }

    @Test func showStatusListsTheBootAndWarnings() async throws {
        let b = try await Bench()
        let out = await b.run(["sh stat"])[0]
        #expect(out.contains("  SIPDefault.cnf: fetched 56 bytes from folder \(b.provision)"))
        #expect(out.contains("  warning: SIPDefault.cnf:3: bogus_param: unknown parameter"))
        #expect(out.contains("  W350 unprovisioned proxy_backup"))
        #expect(!out.contains("W350 unprovisioned proxy1_address"))
        // The process's uptime (the bench phone runs in the test process): minutes at most,
        // however loaded the machine and whenever this test starts in the run.
        #expect(out.contains("Uptime: 0d 00:0"), "\(out)")
    }

    @Test func showFlashListsTheLastGoodCopies() async throws {
        let b = try await Bench()
        let out = await b.run(["show flash"])[0]
        #expect(out.hasPrefix("Flash: \(b.flashRoot)\n"))
        #expect(out.contains("  config/SIPDefault.cnf "))
        #expect(out.contains("       56 bytes "))
        #expect(out.contains("3 files, "))
        #expect(out.contains(" bytes free of "))
    }

    @Test func showTftpAndVersion() async throws {
        let b = try await Bench()
        let out = await b.run(["show tftp", "show version"])
        #expect(out[0].contains("TFTP server:   folder \(b.provision)"))
        #expect(out[0].contains("Phone file:    SIP0011AABBCC42.cnf"))
        #expect(out[0].contains("OS79XX.TXT"))
        #expect(out[0].contains("dialplan.xml"))
        #expect(out[1].hasPrefix("Deskphone \(DeskphoneVersion.version) "))
        #expect(out[1].contains("Model:          7960 (6 lines)"))
        #expect(out[1].contains("MAC address:    00:11:AA:BB:CC:42 (option)"))
    }

    @Test func showDialplanListsTheRules() async throws {
        var files = Bench.files
        files["dialplan.xml"] = """
            <DIALTEMPLATE>
              <TEMPLATE MATCH="911" Timeout="0" User="Phone" Route="Emergency"/>
              <TEMPLATE MATCH="9,*" Timeout="5" Tone="Bellcore-Outside"/>
              <TEMPLATE MATCH="8,1,.." Rewrite="%1" Line="2" Tone="" Tone2="Cisco-Zip"/>
            </DIALTEMPLATE>
            """
        let b = try await Bench(files: files)
        let out = await b.run(["show dialplan"], .user)[0]
        #expect(out == """
            Dialplan is....
            Dialplan version: none
            01. Pattern: 911  Rewrite:  Line: All
                Timeout: 0000   UserMode: Phone  RouteMode: Emergency
            02. Pattern: 9,*  Rewrite:  Line: All
                Timeout: 0005   UserMode: Unspecified  RouteMode: Default
                Tone 1: Bellcore-Outside
            03. Pattern: 8,1,..  Rewrite: %1 Line: 2
                Timeout: 0010   UserMode: Unspecified  RouteMode: Default
                Tone 1: Bellcore-Outside
                Tone 2: Cisco-Zip

            """)
        try FileManager.default.removeItem(atPath: b.provision + "/dialplan.xml")
        try b.phone.flash.remove("config/dialplan.xml")
        _ = await b.phone.softReset()
        #expect(await b.run(["show dialplan"], .user)[0] == "Dialplan is....\nDialplan version: none\nEMPTY\n")
    }

    @Test func timestampsAreUTC() {
        #expect(PhoneCommandsTesting.utc(0) == "1970-01-01 00:00:00 UTC")
        #expect(PhoneCommandsTesting.utc(1_795_000_000) == "2026-11-18 11:06:40 UTC")
    }
}

@Suite struct DebugCommandTests {
    @Test func debugStreamsToTheSessionAndUndebugStops() async throws {
        let b = try await Bench()
        let s = b.session()
        let t = MemoryTerminal()
        await s.start(output: t)
        _ = t.take()
        await s.handle(line: "debug sip-messages tftp")
        #expect(t.take() == """
            Enabling debug logging on this terminal - use 'tty mon 0' to disable
            sip-messages debugging is on
            tftp debugging is on

            """)
        b.registry.publish(.tftp, "[10:00:00:000000] tftp: RRQ SIPDefault.cnf")
        #expect(t.take() == "[10:00:00:000000] tftp: RRQ SIPDefault.cnf\n")
        await s.handle(line: "show debug")
        #expect(t.take() == "Debugging on for this session: sip-messages tftp\nTerminal monitor: on\n")
        await s.handle(line: "tty mon 0")
        b.registry.publish(.tftp, "hidden")
        #expect(t.take() == "Terminal monitor off\n")
        await s.handle(line: "undebug all")
        #expect(t.take() == "All possible debugging has been turned off\n")
        #expect(!b.registry.isEnabled(.tftp))
        await s.close()
    }

    @Test func debugNeedsPrivilege() async throws {
        let b = try await Bench()
        let out = await b.run(["debug tftp", "show debug"], .user)
        #expect(out[0].contains("% Not permitted at this access level"))
        #expect(out[1].hasPrefix("No debugging is on for this session"))
    }
}

@Suite struct ResetCommandTests {
    @Test func softResetRunsTheBootSequenceAgain() async throws {
        let b = try await Bench()
        try Data("proxy1_address: 10.0.0.9\n".utf8).write(to: URL(fileURLWithPath: b.provision + "/SIPDefault.cnf"))
        let out = await b.run(["reset"])[0]
        #expect(out.hasPrefix("Resetting: running the boot sequence again\n"))
        #expect(out.contains("  SIPDefault.cnf: fetched 25 bytes"))
        #expect(await b.phone.configuration().text("proxy1_address") == "10.0.0.9")
    }

    @Test func hardResetRestartsTheProcess() async throws {
        let b = try await Bench()
        let out = await b.run(["reset hard"])[0]
        #expect(out == "Restarting deskphoned\n")
        #expect(b.restartBox.count == 1)
    }

    @Test func eraseProtflashAsksFirstAndKeepsTheNetworkSettings() async throws {
        let b = try await Bench()
        try b.phone.flash.write(Array("tftp_server: 127.0.0.1\n".utf8), to: BootSequence.networkFile)
        try b.phone.flash.write(Array("phone_label: mine\n".utf8), to: BootSequence.localFile)
        let out = await b.run(["erase protflash", "no", "show flash"])
        #expect(out[1] == "% Cancelled\n")
        #expect(out[2].contains("config/SIPDefault.cnf"))
        // now for real, with the provisioning folder gone so the reset cannot refetch
        try FileManager.default.removeItem(atPath: b.provision)
        let out2 = await b.run(["erase prot", "y", "show flash"])
        #expect(out2[1].hasPrefix("Protected flash erased; resetting\n"))
        #expect(!out2[2].contains("config/"))
        #expect(!out2[2].contains("local.cnf"))
        #expect(out2[2].contains("network.cnf"))
        #expect(await b.phone.configuration().text("line1_name") == nil)
    }
}

/// `show image` (Commands/ImageCommands.swift) on the phone's flash.
@Suite struct ShowImageTests {
    @Test func aPhoneThatNeverUpgradedShowsTheBuiltInImage() async throws {
        let b = try await Bench()
        let out = await b.run(["show image"])[0]
        #expect(out == """
            Running image:  built-in Deskphone \(DeskphoneVersion.version) (not started from a slot)
            Active slot:    none (no image installed yet)
            Slot a:         empty
            Slot b:         empty
            Last upgrade:   none

            """)
    }

    @Test func slotsInstalledThroughTheFlashAreShown() async throws {
        let b = try await Bench()
        let key = ImageSigningKey.generate()
        let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)
        let slots = FirmwareSlots(flash: b.phone.flash, now: { 1_764_754_000 })
        for v in ["08-12-00", "08-12-01"] {
            let image = try FirmwareImage.build(payload: Array(v.utf8), version: #require(ImageVersion(v)), models: [.cp7960])
                .signed(with: key)
            try slots.installInactive(try verifier.verify(image.bytes))
            try slots.activate(verifier: verifier)
        }
        let out = await b.run(["sh ima"])[0]
        #expect(out.contains("Active slot:    b\n"), "\(out)")
        #expect(out.contains("Slot a:         P0S3-08-12-00 (7960, 8 bytes)\n"), "\(out)")
        #expect(out.contains("Slot b:         P0S3-08-12-01 (7960, 8 bytes) [active]\n"), "\(out)")
        #expect(out.contains("Last upgrade:   \(PhoneCommandsTesting.utc(1_764_754_000)) P0S3-08-12-01 in slot b (from P0S3-08-12-00): activated\n"), "\(out)")
    }
}
