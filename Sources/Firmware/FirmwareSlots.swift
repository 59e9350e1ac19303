import Crypto
import Provisioning
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The two firmware slots in flash (ARCHITECTURE.md: A/B slots), all through the flash store:
///
/// - `slots/a/image`, `slots/b/image`   a whole image file as it was verified
/// - `slots/a/manifest`, `slots/b/manifest`   its header, written only once the image is
///   durably in place, so a slot with a manifest always holds the image it describes
/// - `slots/active`   `a` or `b`: the slot the loader starts; replaced atomically
/// - `slots/last-upgrade`   the last install, activation or rollback and its result
///
/// Installing writes only the inactive slot: first its manifest goes, then the image is
/// written (atomically, fsynced), then the manifest. A crash at any point leaves the active
/// slot and the marker as they were, and the inactive slot either complete or without a
/// manifest (`incomplete`), which the next install simply writes again from scratch.
public final class FirmwareSlots: Sendable {
    public let flash: FlashStore
    /// The image the running process was started from (the loader passes it); nil for a
    /// build not started from a slot.
    public let running: String?
    private let now: @Sendable () -> Int

    public init(flash: FlashStore, running: String? = nil, now: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        self.flash = flash
        self.running = running
        self.now = now
    }

    static let activePath = "slots/active"
    static let recordPath = "slots/last-upgrade"
    static func imagePath(_ s: SlotName) -> String { "slots/\(s.rawValue)/image" }
    static func manifestPath(_ s: SlotName) -> String { "slots/\(s.rawValue)/manifest" }
    /// The image's payload as an executable file: what the loader execs.
    static func executablePath(_ s: SlotName) -> String { "slots/\(s.rawValue)/deskphoned" }
    static let trialPath = "slots/trial"

    /// The absolute path of a slot's executable (for exec).
    public func executableFile(_ slot: SlotName) -> String? { flash.absolutePath(Self.executablePath(slot)) }

    // MARK: - Reading

    /// The slot the marker names; nil when none was ever activated.
    public func active() throws(SlotError) -> SlotName? {
        guard let bytes = try io({ () throws(FlashError) in try flash.read(Self.activePath) }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let slot = SlotName(rawValue: text.hasSuffix("\n") ? String(text.dropLast()) : text) else {
            throw .badMarker(String(text.prefix(20)))
        }
        return slot
    }

    /// The slot an install writes: the one not active (`a` on a phone that never upgraded).
    public func inactive() throws(SlotError) -> SlotName { try active()?.other ?? .a }

    /// What a slot holds, from its manifest (without reading the image).
    public func state(_ slot: SlotName) -> SlotState {
        let manifestBytes: [UInt8]?
        do { manifestBytes = try flash.read(Self.manifestPath(slot)) } catch { return .damaged(error.description) }
        guard let manifestBytes else {
            return flash.list("slots/\(slot.rawValue)").contains("image") ? .incomplete : .empty
        }
        do { return .installed(try FirmwareImage.parseManifest(manifestBytes).manifest) }
        catch { return .damaged("manifest: \(error)") }
    }

    /// Reads a slot's whole image and checks it against the slot's manifest (sizes and hash),
    /// and against `verifier` (signature, model) when given: whether the loader may start it.
    public func check(_ slot: SlotName, verifier: ImageVerifier? = nil) throws(SlotError) -> FirmwareImage {
        guard case .installed(let manifest) = state(slot) else { throw .notInstalled(slot, state(slot)) }
        guard let bytes = try io({ () throws(FlashError) in
            try flash.read(Self.imagePath(slot), limit: FirmwareImage.maximumImageSize)
        }) else {
            throw .damaged(slot, "the image file is missing")
        }
        do {
            let image: FirmwareImage
            if let verifier { image = try verifier.verify(bytes).image } else { image = try FirmwareImage.parse(bytes) }
            guard image.manifest == manifest else { throw SlotError.damaged(slot, "the image does not match the slot's manifest") }
            let hash = Array(SHA256.hash(data: image.payload))
            guard hash == manifest.payloadSHA256 else {
                throw SlotError.damaged(slot, ImageError.hashMismatch(expected: Hex.encode(manifest.payloadSHA256),
                                                                      actual: Hex.encode(hash)).description)
            }
            // The file the loader execs must be the payload, byte for byte.
            guard let exe = try? flash.read(Self.executablePath(slot), limit: FirmwareImage.maximumImageSize) else {
                throw SlotError.damaged(slot, "the executable is missing")
            }
            guard exe.count == image.payload.count, Array(SHA256.hash(data: exe)) == hash else {
                throw SlotError.damaged(slot, "the executable differs from the image's payload")
            }
            return image
        } catch let e as SlotError {
            throw e
        } catch {
            throw .damaged(slot, "\(error)")
        }
    }

    public func lastUpgrade() -> UpgradeRecord? {
        guard let bytes = try? flash.read(Self.recordPath) else { return nil }
        return UpgradeRecord(text: String(decoding: bytes, as: UTF8.self))
    }

    public func status() -> FirmwareStatus {
        let marker: Result<SlotName?, SlotError>
        do { marker = .success(try active()) } catch { marker = .failure(error) }
        return FirmwareStatus(running: running, active: marker,
                              slots: SlotName.allCases.map { ($0, state($0)) }, lastUpgrade: lastUpgrade(), trial: trial())
    }

    // MARK: - Changing

    /// Writes a verified image into the inactive slot; the active slot and the marker are not
    /// touched. Returns the slot written.
    @discardableResult
    public func installInactive(_ verified: VerifiedImage) throws(SlotError) -> SlotName {
        let slot = try inactive()
        let from = currentImageName()
        try io { () throws(FlashError) in
            // The manifest goes first: from here until the last write the slot is `incomplete`.
            try flash.remove(Self.manifestPath(slot))
            try flash.write(verified.bytes, to: Self.imagePath(slot))
            try flash.write(verified.image.payload, to: Self.executablePath(slot), mode: 0o755)
            try flash.write(verified.image.header, to: Self.manifestPath(slot))
        }
        try record(UpgradeRecord(time: now(), image: verified.image.manifest.name, from: from, slot: slot, result: .installed))
        return slot
    }

    /// Switches the marker to the inactive slot, once its image checks out. Returns the slot
    /// now active. The process keeps running its image until the restart (a later step).
    @discardableResult
    public func activate(verifier: ImageVerifier? = nil) throws(SlotError) -> SlotName {
        let slot = try inactive()
        let from = currentImageName()
        let image = try check(slot, verifier: verifier)
        let previous = try active()
        try io { () throws(FlashError) in
            // The trial first, then the marker: a crash between the two leaves a trial for a
            // slot that is not active, which the loader discards (BootLoader).
            try flash.write(Array(TrialRecord(slot: slot, image: image.manifest.name, previous: previous,
                                              previousImage: from, starts: 0).text.utf8), to: Self.trialPath)
            try flash.write(Array("\(slot.rawValue)\n".utf8), to: Self.activePath)
        }
        try record(UpgradeRecord(time: now(), image: image.manifest.name, from: from, slot: slot, result: .activated))
        return slot
    }

    // MARK: - Trial of a newly activated image

    /// The activated image that has not yet been seen healthy; nil when none is on trial.
    public func trial() -> TrialRecord? {
        guard let bytes = try? flash.read(Self.trialPath) else { return nil }
        return TrialRecord(text: String(decoding: bytes, as: UTF8.self))
    }

    /// The loader is about to start the trial image once more.
    public func noteTrialStart() throws(SlotError) -> TrialRecord? {
        guard var t = trial() else { return nil }
        t.starts += 1
        let record = t
        try io { () throws(FlashError) in try flash.write(Array(record.text.utf8), to: Self.trialPath) }
        return t
    }

    /// What the trial image still lacks, for the watchdog's reason.
    public func noteTrialHealth(_ missing: String) {
        guard var t = trial(), t.health != missing else { return }
        t.health = missing
        try? flash.write(Array(t.text.utf8), to: Self.trialPath)
    }

    /// The trial image came up healthy: it stays.
    public func confirmTrial(_ how: String) throws(SlotError) {
        guard let t = trial() else { return }
        try io { () throws(FlashError) in try flash.remove(Self.trialPath) }
        try record(UpgradeRecord(time: now(), image: t.image, from: t.previousImage, slot: t.slot, result: .confirmed, reason: how))
    }

    /// A trial record for a slot that is not active (a crash between its two writes).
    public func discardTrial() throws(SlotError) {
        try io { () throws(FlashError) in try flash.remove(Self.trialPath) }
    }

    /// The trial image did not come up healthy: back to what ran before it (the other slot, or
    /// the built-in image when none), with the reason recorded. Returns the slot now active.
    @discardableResult
    public func rollbackTrial(reason: String) throws(SlotError) -> SlotName? {
        guard let t = trial() else { throw .nothingToRollBack("no image is on trial") }
        if let p = t.previous {
            do { _ = try check(p) } catch { return try fallBack(reason: reason + "; and \(error)", failed: t.image) }
        }
        try io { () throws(FlashError) in
            if let p = t.previous { try flash.write(Array("\(p.rawValue)\n".utf8), to: Self.activePath) }
            else { try flash.remove(Self.activePath) }
            try flash.remove(Self.trialPath)
        }
        try record(UpgradeRecord(time: now(), image: t.previousImage ?? Self.builtInName, from: t.image,
                                 slot: t.previous ?? t.slot.other, result: .rolledBack, reason: reason))
        return t.previous
    }

    /// The active slot cannot start: the other slot when it holds a good image, else the
    /// built-in image (no marker). Returns the slot now active.
    @discardableResult
    public func fallBack(reason: String, failed: String? = nil) throws(SlotError) -> SlotName? {
        let current = try? active()
        let failedName = failed ?? currentImageName() ?? current.map { "slot \($0)" } ?? "?"
        var target: SlotName? = nil
        var name = Self.builtInName
        if let other = current?.other, let image = try? check(other) { target = other; name = image.manifest.name }
        let chosen = target
        try io { () throws(FlashError) in
            if let chosen { try flash.write(Array("\(chosen.rawValue)\n".utf8), to: Self.activePath) }
            else { try flash.remove(Self.activePath) }
            try flash.remove(Self.trialPath)
        }
        try record(UpgradeRecord(time: now(), image: name, from: failedName, slot: target ?? current ?? .a,
                                 result: .rolledBack, reason: reason))
        return target
    }

    /// An upgrade that was refused or failed before anything was written to a slot.
    public func recordRefusal(image: String, reason: String) {
        let slot = (try? inactive()) ?? .a
        try? record(UpgradeRecord(time: now(), image: image, from: currentImageName() ?? running, slot: slot,
                                  result: .refused, reason: reason))
    }

    /// The name the records give the image the package installed (no slot).
    public static let builtInName = "built-in"

    /// Switches the marker back to the other slot, which must hold a good image, and records
    /// why. Returns the slot now active.
    @discardableResult
    public func rollback(reason: String) throws(SlotError) -> SlotName {
        guard let current = try active() else { throw .nothingToRollBack("no slot was ever activated") }
        let previous = current.other
        let from = currentImageName()
        let image: FirmwareImage
        do { image = try check(previous) } catch { throw .nothingToRollBack("slot \(previous.rawValue): \(error)") }
        try io { () throws(FlashError) in try flash.write(Array("\(previous.rawValue)\n".utf8), to: Self.activePath) }
        try record(UpgradeRecord(time: now(), image: image.manifest.name, from: from, slot: previous,
                                 result: .rolledBack, reason: reason))
        return previous
    }

    private func currentImageName() -> String? {
        guard let slot = try? active(), case .installed(let m) = state(slot) else { return nil }
        return m.name
    }

    func record(_ r: UpgradeRecord) throws(SlotError) {
        try io { () throws(FlashError) in try flash.write(Array(r.text.utf8), to: Self.recordPath) }
    }

    private func io<T>(_ body: () throws(FlashError) -> T) throws(SlotError) -> T {
        do { return try body() } catch { throw .flash(error) }
    }
}

public enum SlotName: String, Sendable, CaseIterable, CustomStringConvertible {
    case a, b
    public var other: SlotName { self == .a ? .b : .a }
    public var description: String { rawValue }
}

public enum SlotState: Sendable, Equatable, CustomStringConvertible {
    case empty
    /// An install was interrupted (or is under way): the image is not to be started.
    case incomplete
    case installed(ImageManifest)
    /// The slot's manifest cannot be read.
    case damaged(String)

    public var description: String {
        switch self {
        case .empty: "empty"
        case .incomplete: "incomplete (an install did not finish)"
        case .installed(let m): "\(m.name) (\(m.models.map(\.rawValue).joined(separator: ", ")), \(m.payloadSize) bytes)"
        case .damaged(let why): "damaged: \(why)"
        }
    }
}

public enum SlotError: Error, Sendable, CustomStringConvertible {
    case flash(FlashError)
    case badMarker(String)
    case notInstalled(SlotName, SlotState)
    case damaged(SlotName, String)
    case nothingToRollBack(String)

    public var description: String {
        switch self {
        case .flash(let e): "flash: \(e)"
        case .badMarker(let t): "the active-slot marker holds '\(t)', not a or b"
        case .notInstalled(let s, let state): "slot \(s) holds no image (\(state))"
        case .damaged(let s, let why): "slot \(s) is damaged: \(why)"
        case .nothingToRollBack(let why): "cannot roll back: \(why)"
        }
    }
}

/// The last install, activation or rollback (`slots/last-upgrade`, `key: value` lines).
public struct UpgradeRecord: Sendable, Equatable {
    public enum Result: String, Sendable { case installed, activated, confirmed, refused, rolledBack = "rolled-back" }
    public var time: Int
    public var image: String
    public var from: String?
    public var slot: SlotName
    public var result: Result
    public var reason: String?

    public init(time: Int, image: String, from: String?, slot: SlotName, result: Result, reason: String? = nil) {
        self.time = time
        self.image = image
        self.from = from
        self.slot = slot
        self.result = result
        self.reason = reason
    }

    var text: String {
        var lines = ["time: \(time)", "image: \(image)", "from: \(from ?? "none")", "slot: \(slot)", "result: \(result.rawValue)"]
        if let reason { lines.append("reason: \(reason.split(separator: "\n").joined(separator: " "))") }
        return lines.joined(separator: "\n") + "\n"
    }

    init?(text: String) {
        var v: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            v[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        guard let t = v["time"].flatMap(Int.init), let image = v["image"], let s = v["slot"].flatMap(SlotName.init),
              let result = v["result"].flatMap(Result.init) else { return nil }
        self.init(time: t, image: image, from: v["from"] == "none" ? nil : v["from"], slot: s, result: result, reason: v["reason"])
    }
}

/// Everything `show image` prints.
public struct FirmwareStatus: Sendable {
    public let running: String?
    public let active: Result<SlotName?, SlotError>
    public let slots: [(SlotName, SlotState)]
    public let lastUpgrade: UpgradeRecord?
    /// The activated image not yet seen healthy.
    public var trial: TrialRecord? = nil

    /// `show image`: the running image, the marker, both slots, the last upgrade.
    public func lines(utc: (Int) -> String = { String($0) }) -> [String] {
        var lines = ["Running image:  \(running ?? "built-in \(DeskphoneVersion.product) \(DeskphoneVersion.version) (not started from a slot)")"]
        switch active {
        case .success(let s?): lines.append("Active slot:    \(s)")
        case .success(nil): lines.append("Active slot:    none (no image installed yet)")
        case .failure(let e): lines.append("Active slot:    unknown: \(e)")
        }
        let activeSlot = (try? active.get()) ?? nil
        for (slot, state) in slots {
            lines.append("Slot \(slot):         \(state)\(slot == activeSlot ? " [active]" : "")")
        }
        if let t = trial {
            lines.append("On trial:       \(t.image) in slot \(t.slot), started \(t.starts) times, not yet healthy (rolls back to \(t.previousImage ?? FirmwareSlots.builtInName))")
        }
        if let u = lastUpgrade {
            var line = "Last upgrade:   \(utc(u.time)) \(u.image) in slot \(u.slot) (from \(u.from ?? FirmwareSlots.builtInName)): \(u.result.rawValue)"
            if let r = u.reason { line += ": \(r)" }
            lines.append(line)
        } else {
            lines.append("Last upgrade:   none")
        }
        return lines
    }
}
