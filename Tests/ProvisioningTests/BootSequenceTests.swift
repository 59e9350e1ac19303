import TestKit
import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import Provisioning

/// A scripted source that records what was asked of it.
final class ScriptedSource: ProvisioningSource {
    let name: String
    let files: [String: [UInt8]]
    let down: Bool
    let requests = NIOLockedValueBox<[String]>([])
    let redirectTarget: ScriptedSource?

    init(_ name: String = "scripted", files: [String: String] = [:], binary: [String: [UInt8]] = [:],
         down: Bool = false, redirectTarget: ScriptedSource? = nil) {
        self.name = name
        self.files = files.mapValues { Array($0.utf8) }.merging(binary) { $1 }
        self.down = down
        self.redirectTarget = redirectTarget
    }

    var description: String { name }
    var asked: [String] { requests.withLockedValue { $0 } }

    func fetch(_ path: String) async throws(FetchFailure) -> [UInt8] {
        requests.withLockedValue { $0.append(path) }
        if down { throw .unreachable("timed out after 3 attempts") }
        guard let b = files[path] else { throw .notFound("\(path): TFTP error 1 (File not found)") }
        return b
    }

    func redirected(to host: String) -> (any ProvisioningSource)? { redirectTarget }
}

@Suite struct BootSequenceTests {
    static let mac = MACAddress("00:0D:BC:50:FC:D4")!
    static let plan = """
        <DIALTEMPLATE>
          <TEMPLATE MATCH="1..." Timeout="0" User="Phone"/>
        </DIALTEMPLATE>
        """
    static let ring = [UInt8](repeating: 0xFF, count: 480)

    static func fullSet(sipDefault: String = "proxy1_address: 10.0.0.1\ntftp_cfg_dir: \"./phones/\"\n") -> ScriptedSource {
        ScriptedSource(files: [
            "SIPDefault.cnf": sipDefault,
            "phones/SIP000DBC50FCD4.cnf": "line1_name: 620\nproxy1_port: 99999\nmystery_param: 1\n",
            "RINGLIST.DAT": "Analog Synth 1\tAnalog1.raw\n",
            "dialplan.xml": plan,
        ], binary: ["Analog1.raw": ring])
    }

    func boot(_ source: (any ProvisioningSource)?, flash: FlashStore, model: PhoneModel = .cp7960) async -> BootReport {
        await BootSequence(flash: flash, source: source, mac: Self.mac, model: model).run()
    }

    @Test func fetchesEveryFileInTheGuidesOrderAndKeepsThemInFlash() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        let source = Self.fullSet()
        let report = await boot(source, flash: flash)
        #expect(source.asked == ["OS79XX.TXT", "SIPDefault.cnf", "phones/SIP000DBC50FCD4.cnf", "RINGLIST.DAT",
                                 "dialplan.xml", "Analog1.raw"])
        #expect(report.record("SIPDefault.cnf")?.outcome == .fetched(bytes: 51, from: "scripted"))
        #expect(report.record("OS79XX.TXT")?.outcome == .absent(reason: "not found on scripted"))
        #expect(report.configuration.text("line1_name") == "620")
        #expect(report.configuration.text("proxy1_address") == "10.0.0.1")
        #expect(report.dialTemplate?.rules.count == 1)
        #expect(report.ringList?.entries.count == 1)
        #expect(report.diagnostics.map(\.description) == [
            "SIP000DBC50FCD4.cnf:2: proxy1_port: 99999 is out of range (valid: 1–65535)",
            "SIP000DBC50FCD4.cnf:3: mystery_param: unknown parameter",
        ])
        #expect(flash.list("config") == ["Analog1.raw", "RINGLIST.DAT", "SIP000DBC50FCD4.cnf", "SIPDefault.cnf", "dialplan.xml"])
        #expect(try flash.read("config/SIP000DBC50FCD4.cnf") == Array("line1_name: 620\nproxy1_port: 99999\nmystery_param: 1\n".utf8))
    }

    @Test func serverDownBootsOnTheFlashCopiesAndSaysWhy() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        _ = await boot(Self.fullSet(), flash: flash)

        let down = ScriptedSource("tftp://127.0.0.1:1", down: true)
        let report = await boot(down, flash: flash)
        #expect(down.asked == ["OS79XX.TXT"], "after the first time-out no other file is tried on that server")
        let why = "tftp://127.0.0.1:1 did not answer (timed out after 3 attempts)"
        #expect(report.record("SIPDefault.cnf")?.outcome == .flashCopy(reason: why))
        #expect(report.record("SIP000DBC50FCD4.cnf")?.outcome == .flashCopy(reason: why))
        #expect(report.record("dialplan.xml")?.outcome == .flashCopy(reason: why))
        #expect(report.record("Analog1.raw")?.outcome == .flashCopy(reason: why))
        #expect(report.configuration.text("line1_name") == "620")
        #expect(report.configuration.text("proxy1_address") == "10.0.0.1")
        #expect(report.dialTemplate?.rules.count == 1)
    }

    @Test func missingPhoneFileFallsBackToItsFlashCopy() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        _ = await boot(Self.fullSet(), flash: flash)
        let partial = ScriptedSource(files: ["SIPDefault.cnf": "proxy1_address: 10.0.0.2\ntftp_cfg_dir: phones\n"])
        let report = await boot(partial, flash: flash)
        #expect(report.record("SIP000DBC50FCD4.cnf")?.outcome
                == .flashCopy(reason: "not found on scripted"))
        #expect(report.configuration.text("proxy1_address") == "10.0.0.2")
        #expect(report.configuration.text("line1_name") == "620")
    }

    @Test func invalidFilesAreNotSavedAndTheLastGoodCopyStays() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        _ = await boot(Self.fullSet(), flash: flash)
        let garbage = [UInt8](repeating: 0, count: 300)
        let bad = ScriptedSource(files: ["dialplan.xml": "<DIALTEMPLATE><TEMPLATE MATCH=\"1\"", "RINGLIST.DAT": "x\tok.raw\n"],
                                 binary: ["SIPDefault.cnf": garbage, "ok.raw": [1, 2, 3]])
        let report = await boot(bad, flash: flash)
        guard case .flashCopy(let why)? = report.record("SIPDefault.cnf")?.outcome else {
            Issue.record("SIPDefault.cnf: \(String(describing: report.record("SIPDefault.cnf")))"); return
        }
        #expect(why.hasPrefix("invalid on scripted: no line of it parses"))
        guard case .flashCopy(let planWhy)? = report.record("dialplan.xml")?.outcome else {
            Issue.record("dialplan.xml not from flash"); return
        }
        #expect(planWhy.hasPrefix("invalid on scripted: "))
        guard case .absent(let ringWhy)? = report.record("ok.raw")?.outcome else {
            Issue.record("ok.raw: \(String(describing: report.record("ok.raw")))"); return
        }
        #expect(ringWhy.contains("invalid"))
        #expect(try flash.read("config/SIPDefault.cnf") == Array("proxy1_address: 10.0.0.1\ntftp_cfg_dir: \"./phones/\"\n".utf8))
        #expect(report.configuration.text("proxy1_address") == "10.0.0.1")
        #expect(report.dialTemplate?.rules.count == 1)
    }

    @Test func noSourceAndEmptyFlashBootsOnDefaults() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        let report = await boot(nil, flash: flash)
        #expect(report.record("SIPDefault.cnf")?.outcome == .absent(reason: "no TFTP server configured"))
        #expect(report.configuration.number("proxy1_port") == 5060)
        #expect(report.dialTemplate == nil)
    }

    @Test func flashLayerSitsBelowTheFiles() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        try flash.write(Array("phone_label: Local\nproxy1_address: 10.9.9.9\nauto_answer: 1\n".utf8), to: BootSequence.localFile)
        let report = await boot(ScriptedSource(files: ["SIPDefault.cnf": "proxy1_address: 10.0.0.1\n"]), flash: flash)
        #expect(report.configuration.text("phone_label") == "Local")
        #expect(report.configuration.setting("phone_label")?.source == .flash)
        #expect(report.configuration.text("proxy1_address") == "10.0.0.1")
        #expect(report.configuration.number("auto_answer") == 1)
    }

    @Test func dynTFTPAddrRedirectsTheLaterRequests() async throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory())
        let second = ScriptedSource("second", files: ["SIP000DBC50FCD4.cnf": "line1_name: 700\n"])
        let first = ScriptedSource("first", files: ["SIPDefault.cnf": "dyn_tftp_addr: 127.0.0.2\n"], redirectTarget: second)
        let report = await boot(first, flash: flash)
        #expect(first.asked == ["OS79XX.TXT", "SIPDefault.cnf"])
        #expect(second.asked.first == "SIP000DBC50FCD4.cnf")
        #expect(report.configuration.text("line1_name") == "700")
        #expect(report.sourceDescription == "second")
    }

    @Test func localFolderSource() async throws {
        let dir = try TestSupport.temporaryDirectory()
        try TestSupport.write("a: 1\n", to: dir + "/SIPDefault.cnf")
        let s = LocalFolderSource(root: dir, maxSize: 100)
        #expect(try await s.fetch("SIPDefault.cnf") == Array("a: 1\n".utf8))
        await #expect(throws: FetchFailure.notFound("nope.cnf: not found in \(dir)")) { try await s.fetch("nope.cnf") }
        await #expect(throws: FetchFailure.self) { try await s.fetch("../etc/passwd") }
        try TestSupport.write(String(repeating: "x", count: 101), to: dir + "/big")
        await #expect(throws: FetchFailure.failed("big: larger than the 100-byte limit")) { try await s.fetch("big") }
        let gone = LocalFolderSource(root: dir + "/missing")
        await #expect(throws: FetchFailure.unreachable("\(dir)/missing: no such folder")) { try await gone.fetch("x") }
    }
}

@Suite struct BootSequenceFlashWearTests {
    @Test func anUnchangedFileIsNotRewritten() async throws {
        let root = try TestSupport.temporaryDirectory()
        let flash = try FlashStore(root: root)
        _ = await BootSequence(flash: flash, source: BootSequenceTests.fullSet(), mac: BootSequenceTests.mac, model: .cp7960).run()
        let path = root + "/config/SIPDefault.cnf"
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        _ = await BootSequence(flash: flash, source: BootSequenceTests.fullSet(), mac: BootSequenceTests.mac, model: .cp7960).run()
        let same = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        #expect(before != nil && before == same, "an atomic rewrite would have given the file a new inode")
        _ = await BootSequence(flash: flash, source: BootSequenceTests.fullSet(sipDefault: "phone_label: new\n"),
                               mac: BootSequenceTests.mac, model: .cp7960).run()
        let changed = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        #expect(changed != before)
        #expect(try flash.read("config/SIPDefault.cnf") == Array("phone_label: new\n".utf8))
    }
}
