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
}
