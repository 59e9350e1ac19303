import Firmware
import Foundation
import Provisioning
import TestKit
import Testing

@Suite struct SlotAtomicityTests {
    /// Kills a process that installs and activates image after image (slot-writer) at random
    /// moments, 100 times: the firmware kinds of BootKillTests' list (the slot's image,
    /// executable and manifest, the trial record, the active marker, the upgrade record).
    /// After every kill the marker names a slot whose image verifies (the phone can boot), and
    /// the other slot is complete, or marked incomplete (empty if never written), never a mix.
    @Test func killNineNeverLeavesAPhoneThatCannotBoot() throws {
        let writer = try TestSupport.product("slot-writer")
        let root = try TestSupport.temporaryDirectory("slot-kill")
        let keyDir = try TestSupport.temporaryDirectory("slot-key")
        let key = ImageSigningKey.generate()
        try TestSupport.write(key.fileText, to: keyDir + "/test.key")
        let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)

        // The phone as shipped: one good image, active.
        let first = try FirmwareImage.build(payload: [UInt8](repeating: 7, count: 10_000),
                                            version: #require(ImageVersion("01-0-00")), models: [.cp7960]).signed(with: key)
        let setup = FirmwareSlots(flash: try FlashStore(root: root))
        try setup.installInactive(try verifier.verify(first.bytes))
        try setup.activate()

        var rng = KillSeed.forTest("SlotAtomicityTests")
        let started = ContinuousClock.now
        var kills = 0, incomplete = 0
        var imagesSeen = Set<String>()
        for round in 0..<100 {
            let p = Process()
            let out = Pipe()
            p.executableURL = URL(fileURLWithPath: writer)
            p.arguments = [root, keyDir + "/test.key", String(round * 1000 + 1)]
            p.standardOutput = out
            try p.run()
            let ready = out.fileHandleForReading.availableData
            #expect(String(decoding: ready, as: UTF8.self).hasPrefix("started"))
            usleep(UInt32.random(in: 0...120_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "writer exited by itself: status \(p.terminationStatus)")

            // What the loader would see at the next boot (opening the store clears temporaries).
            let slots = FirmwareSlots(flash: try FlashStore(root: root))
            let active = try #require(try slots.active(), "round \(round): no active slot")
            let image = try slots.check(active, verifier: verifier)
            imagesSeen.insert(image.manifest.name)
            switch slots.state(active.other) {
            case .installed: _ = try slots.check(active.other, verifier: verifier)
            // Empty: killed during the very first install into the never-used slot, before
            // its image was renamed into place.
            case .incomplete, .empty: incomplete += 1
            case .damaged(let why): Issue.record("round \(round): inactive slot damaged: \(why)")
            }
        }
        #expect(kills == 100)
        #expect(imagesSeen.count > 10, "the writer barely ran: \(imagesSeen.count) images")
        #expect(incomplete > 10, "only \(incomplete) kills landed during a slot write")
        print("slot kills: \(kills) in \(ContinuousClock.now - started), images seen: \(imagesSeen.count), kills leaving the inactive slot incomplete or empty: \(incomplete)")
    }
}
