import Firmware
import Foundation
import Provisioning
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct UpgradeKillTests {
    /// kill -9 of a process that upgrades round after round (upgrade-runner: the loader's
    /// decision, the TFTP download from tftpd-hpa, the slot write, the switch) at random
    /// moments, 100 times (the firmware kinds of BootKillTests' list, end to end). After every kill the loader finds an image it can start (after any
    /// rollback it decides on), and an upgrade run again from that flash completes.
    @Test func killNineDuringDownloadWriteAndSwitchNeverLeavesAnUnbootableFlash() async throws {
        let runner = try TestSupport.product("upgrade-runner")
        let key = ImageSigningKey.generate()
        let names = ["P0S3-08-12-00", "P0S3-08-13-00", "P0S3-08-14-00"]
        var files: [String: [UInt8]] = [:]
        for (i, name) in names.enumerated() {
            // 1 to 2 MB: a download of some 200 blocks and a slot write worth killing.
            let payload = [UInt8](repeating: UInt8(i + 1), count: 1_000_000 + i * 500_000)
            let version = try #require(ImageVersion(imageName: name))
            files[name + ".sb2"] = try FirmwareImage.build(payload: payload, version: version, models: [.cp7960]).signed(with: key).bytes
        }
        let images = files
        let server = try await TFTPServerProcess.start(files: files)
        defer { server.stop() }
        let dir = try TestSupport.temporaryDirectory("upgrade-kill")
        let root = dir + "/flash"
        try TestSupport.write(key.publicKey.fileText, to: dir + "/test.pub")
        let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)

        // The phone as shipped: one good image, active and confirmed.
        let setup = FirmwareSlots(flash: try FlashStore(root: root))
        try setup.installInactive(try verifier.verify(try #require(files[names[0] + ".sb2"])))
        try setup.activate()
        try setup.confirmTrial("setup")

        var rng = KillSeed.forTest("UpgradeKillTests")
        let started = ContinuousClock.now
        var phases: [String: Int] = [:]
        var rounds = 0
        for kill in 0..<100 {
            let out = dir + "/runner-\(kill).out"
            let p = try ChildProcess(runner, [root, dir + "/test.pub", String(server.port)] + names, stdout: out, stderr: out + ".err")
            try await waitUntil("upgrade-runner started", timeout: .seconds(30)) {
                ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("started")
            }
            // A quarter at a random moment; the others a random 0-3 ms after the test sees (it polls every 2 ms, without blocking a thread) that the runner says
            // it starts a download, a slot write or the switch (the kill lands in that step or
            // a later one: the runner's last line tells).
            let marks = ["", "fetching P0S3-", "writing it to the inactive slot", "switching the active slot"]
            let mark = marks[kill % 4]
            if mark.isEmpty {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...250, using: &rng)))
            } else {
                let seen = Int.random(in: 1...4, using: &rng)
                let deadline = ContinuousClock.now + .seconds(30)
                while ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").components(separatedBy: mark).count <= seen {
                    guard ContinuousClock.now < deadline else {
                        throw TestFailure("the runner never logged '\(mark)': \(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").suffix(1500))")
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await Task.sleep(for: .microseconds(Int.random(in: 0...3000, using: &rng)))
            }
            let alive = p.reap() == nil
            Foundation.kill(p.pid, SIGKILL)
            _ = await p.wait(timeout: .seconds(10))
            let log = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            #expect(alive, "runner exited by itself: \(log) \((try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "")")
            #expect(!log.contains("upgrade-runner:") && !log.contains("refused") && !log.contains("failed"), "round \(kill): \(log)")
            rounds += log.components(separatedBy: "outcome: ").count - 1
            phases[Self.phase(of: log), default: 0] += 1

            // What the loader sees at the next boot.
            let slots = FirmwareSlots(flash: try FlashStore(root: root))
            let decision = BootLoader.resolve(slots) { _ in }
            guard case .start(let slot, _) = decision else {
                Issue.record("kill \(kill): the loader would start \(decision); log:\n\(log)")
                continue
            }
            let image = try slots.check(slot, verifier: verifier)
            #expect(names.contains(image.manifest.name))
            // Resumable from scratch: every tenth time, the upgrade runs again to its end here.
            if kill % 10 == 9 {
                let running = FirmwareSlots(flash: try FlashStore(root: root), running: image.manifest.name)
                if running.trial() != nil { try running.confirmTrial("test") }
                let wanted = names.first { $0 != image.manifest.name } ?? names[0]
                let driver = UpgradeDriver(
                    slots: running, verifier: verifier,
                    fetch: { (file: String) async throws(FetchFailure) -> [UInt8] in
                        guard let b = images[file] else { throw FetchFailure.notFound(file) }
                        return b
                    },
                    restart: {}, report: { _, _ in })
                let outcome = await driver.run(imageVersion: wanted, dualBootImage: nil)
                #expect(outcome == .restarting(wanted) || { if case .heldBack = outcome { true } else { false } }(),
                        "kill \(kill): \(outcome)")
            }
        }
        print("upgrade kills: 100 in \(ContinuousClock.now - started), upgrade rounds completed between them: \(rounds), killed in: \(phases.sorted { $0.key < $1.key })")
        #expect(rounds > 40, "the runner barely ran: \(rounds) rounds")
        #expect((phases["download"] ?? 0) + (phases["verify/write"] ?? 0) + (phases["switch"] ?? 0) >= 20,
                "too few kills inside an upgrade: \(phases)")
    }

    /// The step the runner was in when killed, from its last line.
    static func phase(of log: String) -> String {
        guard let last = log.split(separator: "\n").last else { return "start" }
        if last.contains("fetching") { return "download" }
        if last.contains("fetched") || last.contains("verified") { return "verify/write" }
        if last.contains("written to slot") || last.contains("the inactive slot holds it") { return "switch" }
        if last.contains("is active; restarting") || last.hasPrefix("outcome") || last.hasPrefix("boot") || last.contains("loader") {
            return "boot"
        }
        return "start"
    }
}
