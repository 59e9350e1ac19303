import Firmware
import Foundation
import Provisioning
import TestKit
import Testing

/// Remote reboot and upgrade by NOTIFY check-sync (GUIDE.md §7.4, §9.10) from SIPp, against a
/// real deskphoned provisioned from tftpd-hpa on 127.0.0.1.
@Suite(.serialized) struct CheckSyncAcceptanceTests {
    typealias U = UpgradeAcceptanceTests

    /// SIPp's exit code (0: answered 200); its log and messages go with a failure.
    static func notify(_ sipPort: Int) async throws -> Int32? {
        let sipp = try await SIPpProcess.start(scenario: "sipp-check-sync.xml", timeout: .seconds(30),
                                               arguments: ["-s", "620", "127.0.0.1:\(sipPort)"])
        let code = await sipp.exitCode(timeout: .seconds(30))
        if code != 0 { Issue.record("SIPp: \(sipp.log)\n\(sipp.messages)") }
        return code
    }

    @Test func checkSyncRereadsAndRebootsOnlyWhenTheSyncValueDiffers() async throws {
        let b = try await U.bench()
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let base = "voip_control_port: \(sipPort)\nsync: 1\n"
        try b.configure(base)
        try b.server.put("syncinfo.xml", Array(#"<SYNCINFO><IMAGE VERSION="*" SYNC="1"/></SYNCINFO>"#.utf8))
        try b.server.put("P0S3-08-12-00.sb2", try U.runnable("08-12-00"))
        let phone = try await DaemonUnderTest.launch(b.arguments(["--check-sync-delay", "1"]), in: b.dir)
        defer { phone.stopAll() }

        // Same sync value: the files are read again, no reboot.
        #expect(try await Self.notify(sipPort) == 0, "the NOTIFY is answered 200")
        try await phone.waitFor("check-sync: sync 1 is current for built-in; no reboot", count: 1)
        #expect(phone.occurrences("SIPDefault.cnf: fetched") == 2, "the configuration was read again")
        #expect(phone.log.contains("check-sync from 127.0.0.1"))

        // A new image_version alone does not upgrade on check-sync (§7.4: no reboot, no upgrade).
        try b.configure(base + "image_version: P0S3-08-12-00\n")
        #expect(try await Self.notify(sipPort) == 0)
        try await phone.waitFor("check-sync: sync 1 is current for built-in; no reboot", count: 2)
        #expect(!phone.log.contains("fetching P0S3-08-12-00.sb2"), "\(phone.log)")

        // A new sync value: reboot, and the boot upgrades to image_version.
        try b.server.put("syncinfo.xml", Array(#"<SYNCINFO><IMAGE VERSION="*" SYNC="2"/></SYNCINFO>"#.utf8))
        #expect(try await Self.notify(sipPort) == 0)
        try await phone.waitFor("check-sync: syncinfo.xml says sync 2 for built-in, the phone has 1; rebooting", count: 1)
        try await phone.waitFor("trial: P0S3-08-12-00 is healthy", count: 1)
        #expect(phone.log.contains("fetching P0S3-08-12-00.sb2"))
        #expect(phone.process.reap() == nil, "the same process, restarted by exec")
        let show = try await phone.cli(["show image"])
        #expect(show.output.contains("Running image:  P0S3-08-12-00"), "\(show)")
    }

    @Test func checkSyncDuringACallWaitsForTheCallToEnd() async throws {
        let b = try await U.bench()
        let sipPort = try Sockets.freeUDPAndTCPPort()
        try b.configure("voip_control_port: \(sipPort)\nsync: 1\nline1_name: 620\nproxy1_address: 127.0.0.1\nproxy1_port: 9\n")
        try b.server.put("syncinfo.xml", Array(#"<SYNCINFO><IMAGE VERSION="*" SYNC="2"/></SYNCINFO>"#.utf8))
        let phone = try await DaemonUnderTest.launch(b.arguments(["--check-sync-delay", "1"]), in: b.dir)
        defer { phone.stopAll() }
        let peer = try await SIPpProcess.start(scenario: "sipp-check-sync-call.xml", timeout: .seconds(40),
                                               arguments: ["127.0.0.1:\(sipPort)"])
        try await waitUntil("the phone rings", timeout: .seconds(20)) {
            try await phone.cli(["show calls"]).output.contains("RINGIN")
        }
        let answered = try await phone.cli(["test open", "test offhook"])
        #expect(answered.code == 0, "\(answered)")
        try await phone.waitFor("check-sync: a call is in progress; waiting until the phone is idle", count: 1)
        #expect(await peer.exitCode(timeout: .seconds(30)) == 0, "NOTIFY answered 200 during the call, BYE 3 s later answered 200: \(peer.log)")
        // The far end hung up, but the handset is still lifted: still not idle.
        try await Task.sleep(for: .seconds(3))
        #expect(!phone.log.contains("rebooting"), "\(phone.log)")
        _ = try await phone.cli(["test open", "test onhook"])
        try await phone.waitFor("check-sync: syncinfo.xml says sync 2 for built-in, the phone has 1; rebooting", count: 1)
        try await phone.waitFor("telnet listening on", count: 2)
    }
}
