import Firmware
import Foundation
import Provisioning
import TestKit
import Testing

/// The A/B slots (FirmwareSlots.swift) on a temporary flash.
@Suite struct SlotTests {
    static let key = ImageSigningKey.generate()
    static let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)

    static func verified(_ version: String, size: Int = 3000) throws -> VerifiedImage {
        let payload = [UInt8](repeating: UInt8(size % 251), count: size)
        let image = try FirmwareImage.build(payload: payload, version: #require(ImageVersion(version)), models: [.cp7960])
            .signed(with: key)
        return try verifier.verify(image.bytes)
    }

    func slots() throws -> FirmwareSlots {
        FirmwareSlots(flash: try FlashStore(root: try TestSupport.temporaryDirectory("slots")), now: { 1_764_754_000 })
    }

    @Test func aNewFlashHasNoImage() throws {
        let s = try slots()
        #expect(try s.active() == nil)
        #expect(try s.inactive() == .a)
        #expect(s.state(.a) == .empty && s.state(.b) == .empty)
        #expect(s.status().lines() == [
            "Running image:  built-in Deskphone \(DeskphoneVersion.version) (not started from a slot)",
            "Active slot:    none (no image installed yet)",
            "Slot a:         empty",
            "Slot b:         empty",
            "Last upgrade:   none",
        ])
        #expect(throws: SlotError.self) { try s.rollback(reason: "test") }
        #expect(throws: SlotError.self) { try s.activate() }
    }

    @Test func installActivateAndRollBack() throws {
        let s = try slots()
        let first = try Self.verified("08-12-00")
        #expect(try s.installInactive(first) == .a)
        #expect(try s.active() == nil, "installing does not switch")
        #expect(s.state(.a) == .installed(first.image.manifest))
        #expect(try s.activate(verifier: Self.verifier) == .a)
        #expect(try s.active() == .a)
        #expect(s.lastUpgrade() == UpgradeRecord(time: 1_764_754_000, image: "P0S3-08-12-00", from: nil, slot: .a, result: .activated))

        let second = try Self.verified("08-12-01", size: 4000)
        #expect(try s.installInactive(second) == .b)
        #expect(try s.active() == .a)
        #expect(s.lastUpgrade()?.result == .installed)
        #expect(try s.activate() == .b)
        #expect(try s.check(.b, verifier: Self.verifier).manifest.name == "P0S3-08-12-01")
        #expect(s.lastUpgrade() == UpgradeRecord(time: 1_764_754_000, image: "P0S3-08-12-01", from: "P0S3-08-12-00",
                                                 slot: .b, result: .activated))

        #expect(try s.rollback(reason: "no registration within 120 s") == .a)
        #expect(try s.active() == .a)
        #expect(s.lastUpgrade() == UpgradeRecord(time: 1_764_754_000, image: "P0S3-08-12-00", from: "P0S3-08-12-01",
                                                 slot: .a, result: .rolledBack, reason: "no registration within 120 s"))
        let lines = s.status().lines()
        #expect(lines.contains("Active slot:    a"))
        #expect(lines.contains("Slot a:         P0S3-08-12-00 (7960, 3000 bytes) [active]"))
        #expect(lines.contains("Slot b:         P0S3-08-12-01 (7960, 4000 bytes)"))
        #expect(lines.last == "Last upgrade:   1764754000 P0S3-08-12-00 in slot a (from P0S3-08-12-01): rolled-back: no registration within 120 s")

        // The next install goes into b again, the slot not running.
        #expect(try s.installInactive(try Self.verified("08-12-02")) == .b)
        #expect(try s.active() == .a)
    }

    @Test func aRunningImageNameIsShown() throws {
        let s = FirmwareSlots(flash: try FlashStore(root: try TestSupport.temporaryDirectory("slots")), running: "P0S3-08-12-00")
        #expect(s.status().lines().first == "Running image:  P0S3-08-12-00")
    }

    @Test func anInterruptedInstallIsIncompleteAndCannotBeActivated() throws {
        let root = try TestSupport.temporaryDirectory("slots")
        let flash = try FlashStore(root: root)
        let s = FirmwareSlots(flash: flash)
        try s.installInactive(try Self.verified("08-12-00"))
        try s.activate()
        // What a crash after the manifest's removal leaves: an image and no manifest.
        try flash.write(Array("half an image".utf8), to: "slots/b/image")
        #expect(s.state(.b) == .incomplete)
        #expect(s.status().lines().contains("Slot b:         incomplete (an install did not finish)"))
        #expect(throws: SlotError.self) { try s.activate() }
        #expect(try s.active() == .a)
        // A new install writes it again from scratch.
        try s.installInactive(try Self.verified("08-12-01"))
        #expect(try s.activate() == .b)
    }

    @Test func aDamagedSlotImageIsNotActivated() throws {
        let root = try TestSupport.temporaryDirectory("slots")
        let flash = try FlashStore(root: root)
        let s = FirmwareSlots(flash: flash)
        try s.installInactive(try Self.verified("08-12-00"))
        var bytes = try #require(try flash.read("slots/a/image"))
        bytes[bytes.count - 100] ^= 1
        try flash.write(bytes, to: "slots/a/image")
        do {
            try s.activate()
            Issue.record("a damaged slot was activated")
        } catch {
            #expect(error.description.hasPrefix("slot a is damaged: wrong hash"), "\(error)")
        }
        #expect(try s.active() == nil)
    }

    @Test func aBadMarkerIsReportedNotTrusted() throws {
        let flash = try FlashStore(root: try TestSupport.temporaryDirectory("slots"))
        try flash.write(Array("c\n".utf8), to: "slots/active")
        let s = FirmwareSlots(flash: flash)
        #expect(throws: SlotError.self) { try s.active() }
        #expect(s.status().lines()[1] == "Active slot:    unknown: the active-slot marker holds 'c\n', not a or b")
    }
    @Test func aTrialIsCountedConfirmedOrRolledBack() throws {
        let root = try TestSupport.temporaryDirectory("slots")
        let flash = try FlashStore(root: root)
        let s = FirmwareSlots(flash: flash, now: { 1_764_754_000 })
        // From the built-in image: the trial rolls back to no slot at all.
        try s.installInactive(try Self.verified("08-12-00"))
        try s.activate()
        #expect(s.trial() == TrialRecord(slot: .a, image: "P0S3-08-12-00", previous: nil, previousImage: nil, starts: 0))
        #expect(try s.noteTrialStart()?.starts == 1)
        s.noteTrialHealth("line 1 not registered")
        #expect(s.trial()?.health == "line 1 not registered")
        #expect(s.status().lines().contains { $0.hasPrefix("On trial:       P0S3-08-12-00 in slot a, started 1 times") })
        #expect(try s.rollbackTrial(reason: "not healthy") == nil)
        #expect(try s.active() == nil)
        #expect(s.trial() == nil)
        #expect(s.lastUpgrade() == UpgradeRecord(time: 1_764_754_000, image: "built-in", from: "P0S3-08-12-00", slot: .b,
                                                 result: .rolledBack, reason: "not healthy"))
        #expect(s.state(.a) == .installed(try Self.verified("08-12-00").image.manifest), "the image stays in its slot")

        // Activated again and confirmed: it stays.
        try s.activate()
        try s.confirmTrial("CLI up")
        #expect(s.trial() == nil)
        #expect(try s.active() == .a)
        #expect(s.lastUpgrade()?.result == .confirmed)

        // From slot a to b: the trial rolls back to a.
        try s.installInactive(try Self.verified("08-12-01"))
        try s.activate()
        #expect(s.trial()?.previous == .a)
        #expect(try s.rollbackTrial(reason: "crashed") == .a)
        #expect(try s.active() == .a)
        #expect(s.lastUpgrade()?.from == "P0S3-08-12-01" && s.lastUpgrade()?.image == "P0S3-08-12-00")

        // The loader rolls back a trial it started before; a stale trial is discarded.
        try s.activate()
        _ = try s.noteTrialStart()
        #expect(BootLoader.resolve(s) { _ in } == .start(.a, trial: false))
        #expect(s.lastUpgrade()?.result == .rolledBack)
        try flash.write(Array(TrialRecordText.stale.utf8), to: "slots/trial")
        #expect(BootLoader.resolve(s) { _ in } == .start(.a, trial: false))
        #expect(s.trial() == nil)
    }

    @Test func aDamagedActiveSlotFallsBackToTheOtherOrTheBuiltInImage() throws {
        let root = try TestSupport.temporaryDirectory("slots")
        let flash = try FlashStore(root: root)
        let s = FirmwareSlots(flash: flash)
        try s.installInactive(try Self.verified("08-12-00"))
        try s.activate()
        try s.confirmTrial("ok")
        try s.installInactive(try Self.verified("08-12-01"))
        try s.activate()
        try s.confirmTrial("ok")
        // The executable of b goes missing: the loader starts a.
        try flash.remove("slots/b/deskphoned")
        #expect(BootLoader.resolve(s) { _ in } == .start(.a, trial: false))
        #expect(s.lastUpgrade()?.reason == "slot b cannot start: slot b is damaged: the executable is missing")
        // And with a damaged too: the built-in image.
        try flash.write(Array("#!/bin/sh\n".utf8), to: "slots/a/deskphoned", mode: 0o755)
        #expect(BootLoader.resolve(s) { _ in } == .runBuiltIn)
        #expect(try s.active() == nil)
    }
}

enum TrialRecordText {
    /// A trial of slot b while a is active: what a crash between the trial's and the marker's
    /// writes leaves.
    static let stale = "slot: b\nimage: P0S3-08-12-09\nprevious: a\nprevious-image: none\nstarts: 0\n"
}
