import Provisioning

/// The firmware upgrade of GUIDE.md §1.1 step 5 and §7, as a state machine without I/O: after
/// every boot (and every re-read of the configuration) the phone compares `image_version` with
/// the running image; when they differ it fetches `<image_version>.sb2`, verifies it (size,
/// SHA-256, Ed25519 signature by a trusted key, model), writes it to the inactive slot,
/// switches the active slot and restarts into it. `UpgradeDriver` performs the actions.
///
/// The universal application loader of §7.2 (`.loads` manifest, then the loader `.sbn`, a
/// reboot, then the `.sb2`) does not apply: a Deskphone image is one signed file that carries
/// its own manifest, so the phone asks for the `.sb2` only.
public struct UpgradeMachine: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        case fetching(String)
        case verifying(String)
        case installing(String)
        case activating(String)
        case restarting(String)
        case finished(UpgradeOutcome)
    }

    /// What the phone knows when it checks (all read at the edges).
    public struct Check: Sendable, Equatable {
        /// `image_version` of the configuration in force.
        public var imageVersion: String?
        /// The image named by `OS79XX.TXT`, when the source or the flash had one.
        public var dualBootImage: String?
        /// The running image's name; nil for the built-in image (not started from a slot).
        public var running: String?
        /// The image the inactive slot already holds, complete.
        public var inactiveHolds: String?
        /// The image that was rolled back last (not retried automatically).
        public var rolledBack: (image: String, reason: String)?
        /// The running image is on trial (not yet seen healthy): its rollback target, the
        /// inactive slot, must not be overwritten.
        public var onTrial: Bool

        public init(imageVersion: String?, dualBootImage: String? = nil, running: String?, inactiveHolds: String? = nil,
                    rolledBack: (image: String, reason: String)? = nil, onTrial: Bool = false) {
            self.imageVersion = imageVersion
            self.dualBootImage = dualBootImage
            self.running = running
            self.inactiveHolds = inactiveHolds
            self.rolledBack = rolledBack
            self.onTrial = onTrial
        }

        public static func == (l: Check, r: Check) -> Bool {
            l.imageVersion == r.imageVersion && l.dualBootImage == r.dualBootImage && l.running == r.running
                && l.inactiveHolds == r.inactiveHolds && l.rolledBack?.image == r.rolledBack?.image
                && l.rolledBack?.reason == r.rolledBack?.reason && l.onTrial == r.onTrial
        }
    }

    public enum Event: Sendable {
        case check(Check)
        case fetched([UInt8])
        case fetchFailed(FetchFailure)
        case verified(VerifiedImage)
        case refused(ImageError)
        case installed(SlotName)
        case activated(SlotName)
        /// A flash write, the activation check or the restart failed.
        case failed(String)
    }

    public enum Level: Sendable, Equatable { case debug, info, warning, error }

    public enum Action: Sendable {
        case log(Level, String)
        case fetch(String)
        case verify([UInt8])
        case install(VerifiedImage)
        case activate
        case restart
        /// The refusal or failure goes to `slots/last-upgrade` (for `show image`).
        case recordRefusal(image: String, reason: String)
    }

    public private(set) var state: State = .idle

    public init() {}

    /// The signed image's file name (GUIDE.md §7.1: `.sb2` = signed SIP application image).
    public static func fileName(_ image: String) -> String { image + ".sb2" }

    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.idle, .check(let c)), (.finished, .check(let c)):
            return start(c)
        case (.fetching(let name), .fetched(let bytes)):
            state = .verifying(name)
            return [.log(.info, "upgrade: \(Self.fileName(name)): fetched \(bytes.count) bytes; verifying"), .verify(bytes)]
        case (.fetching(let name), .fetchFailed(let f)):
            let why: String
            switch f {
            case .notFound(let s): why = "missing file: \(s)"
            case .unreachable(let s): why = "the TFTP server did not answer: \(s)"
            case .failed(let s): why = "fetch failed: \(s)"
            }
            return refuse(name, why)
        case (.verifying(let name), .verified(let v)):
            guard v.image.manifest.name == name else {
                return refuse(name, "\(Self.fileName(name)) holds image \(v.image.manifest.name), not \(name)")
            }
            state = .installing(name)
            return [.log(.info, "upgrade: \(name) verified (signed by trusted key \(v.key.keyIDText)); writing it to the inactive slot"),
                    .install(v)]
        case (.verifying(let name), .refused(let e)):
            return refuse(name, "\(e)")
        case (.installing(let name), .installed(let slot)):
            state = .activating(name)
            return [.log(.info, "upgrade: \(name) written to slot \(slot); switching the active slot"), .activate]
        case (.activating(let name), .activated(let slot)):
            state = .restarting(name)
            return [.log(.info, "upgrade: slot \(slot) is active; restarting into \(name)"), .restart]
        case (.installing(let name), .failed(let why)), (.activating(let name), .failed(let why)),
             (.restarting(let name), .failed(let why)):
            state = .finished(.failed(image: name, reason: why))
            // The record first: whoever reads the log line finds it in `show image`.
            return [.recordRefusal(image: name, reason: "failed: \(why)"),
                    .log(.error, "upgrade to \(name) failed: \(why); the running image keeps running")]
        default:
            return [.log(.debug, "upgrade: \(event) ignored in state \(state)")]
        }
    }

    private mutating func start(_ c: Check) -> [Action] {
        let runningName = c.running ?? FirmwareSlots.builtInName
        // image_version decides; OS79XX.TXT names the image only when image_version is unset,
        // and only a SIP application image (P0S3-…) of ours: a loader (P003-…) or another
        // protocol's image is not for this phone (GUIDE.md §1.2 step 1, §7.1). (unverified:
        // the guide says only that 7.x does not need OS79XX.TXT when image_version is set.)
        var wanted = c.imageVersion
        var via = "image_version"
        if wanted == nil, let d = c.dualBootImage, ImageVersion(imageName: d) != nil {
            wanted = d
            via = "OS79XX.TXT"
        }
        guard let name = wanted else {
            state = .finished(.notRequested)
            return [.log(.debug, "upgrade: no image_version; running \(runningName)")]
        }
        if name == c.running {
            state = .finished(.upToDate(name))
            return [.log(.debug, "upgrade: running \(name), as \(via) asks")]
        }
        guard ImageVersion(imageName: name) != nil else {
            state = .finished(.refused(image: name, reason: "\(via) '\(name)' is not a SIP image name (P0S3-xx-y-zz)"))
            return [.log(.error, "upgrade refused: \(via) '\(name)' is not a SIP image name (P0S3-xx-y-zz); running \(runningName)")]
        }
        if c.onTrial {
            state = .finished(.deferred(image: name, reason: "the running image \(runningName) is still on trial"))
            return [.log(.warning, "upgrade to \(name) waits: the running image \(runningName) is on trial until it is healthy")]
        }
        if let r = c.rolledBack, r.image == name {
            state = .finished(.heldBack(image: name, reason: r.reason))
            return [.log(.warning, "upgrade to \(name) not retried: it was rolled back (\(r.reason)); set image_version to another image")]
        }
        if c.inactiveHolds == name {
            state = .activating(name)
            return [.log(.info, "upgrade: \(via) \(name) differs from the running \(runningName); the inactive slot holds it already"),
                    .activate]
        }
        state = .fetching(name)
        return [.log(.info, "upgrade: \(via) \(name) differs from the running \(runningName); fetching \(Self.fileName(name))"),
                .fetch(Self.fileName(name))]
    }

    private mutating func refuse(_ name: String, _ why: String) -> [Action] {
        state = .finished(.refused(image: name, reason: why))
        // The record first: whoever reads the log line finds it in `show image`.
        return [.recordRefusal(image: name, reason: why),
                .log(.error, "upgrade to \(name) refused: \(why); the running image keeps running")]
    }
}

/// How an upgrade check ended (for the log, `show image` and the status messages).
public enum UpgradeOutcome: Sendable, Equatable, CustomStringConvertible {
    case notRequested
    case upToDate(String)
    case refused(image: String, reason: String)
    case failed(image: String, reason: String)
    case deferred(image: String, reason: String)
    case heldBack(image: String, reason: String)
    /// The new image is active; the process restarts into it.
    case restarting(String)

    public var description: String {
        switch self {
        case .notRequested: "no image_version set"
        case .upToDate(let n): "running \(n), as image_version asks"
        case .refused(let n, let r): "upgrade to \(n) refused: \(r)"
        case .failed(let n, let r): "upgrade to \(n) failed: \(r)"
        case .deferred(let n, let r): "upgrade to \(n) waits: \(r)"
        case .heldBack(let n, let r): "upgrade to \(n) not retried: rolled back (\(r))"
        case .restarting(let n): "restarting into \(n)"
        }
    }
}

/// Runs `UpgradeMachine` against the slots, a provisioning source and the restart (the edges).
public struct UpgradeDriver: Sendable {
    public let slots: FirmwareSlots
    public let verifier: ImageVerifier
    public let fetch: @Sendable (String) async throws(FetchFailure) -> [UInt8]
    public let restart: @Sendable () async throws -> Void
    public let report: @Sendable (UpgradeMachine.Level, String) -> Void

    public init(slots: FirmwareSlots, verifier: ImageVerifier,
                fetch: @escaping @Sendable (String) async throws(FetchFailure) -> [UInt8],
                restart: @escaping @Sendable () async throws -> Void,
                report: @escaping @Sendable (UpgradeMachine.Level, String) -> Void) {
        self.slots = slots
        self.verifier = verifier
        self.fetch = fetch
        self.restart = restart
        self.report = report
    }

    /// What the slots say for a check of `imageVersion`.
    public func check(imageVersion: String?, dualBootImage: String?) -> UpgradeMachine.Check {
        var inactiveHolds: String?
        if let slot = try? slots.inactive(), case .installed(let m) = slots.state(slot) { inactiveHolds = m.name }
        var rolledBack: (String, String)?
        if let u = slots.lastUpgrade(), u.result == .rolledBack, let from = u.from { rolledBack = (from, u.reason ?? "no reason recorded") }
        return .init(imageVersion: imageVersion, dualBootImage: dualBootImage, running: slots.running,
                     inactiveHolds: inactiveHolds, rolledBack: rolledBack, onTrial: slots.trial() != nil && slots.running != nil)
    }

    /// One check, to its end (a restart does not return when it succeeds).
    @discardableResult
    public func run(imageVersion: String?, dualBootImage: String?) async -> UpgradeOutcome {
        var machine = UpgradeMachine()
        var pending = machine.handle(.check(check(imageVersion: imageVersion, dualBootImage: dualBootImage)))
        while !pending.isEmpty {
            let action = pending.removeFirst()
            if let event = await perform(action) { pending += machine.handle(event) }
        }
        if case .finished(let o) = machine.state { return o }
        if case .restarting(let n) = machine.state { return .restarting(n) }
        return .failed(image: "?", reason: "the upgrade stopped in state \(machine.state)")
    }

    private func perform(_ action: UpgradeMachine.Action) async -> UpgradeMachine.Event? {
        switch action {
        case .log(let level, let text):
            report(level, text)
            return nil
        case .fetch(let file):
            do { return .fetched(try await fetch(file)) } catch { return .fetchFailed(error) }
        case .verify(let bytes):
            do {
                return .verified(try verifier.verify(bytes) { report(.debug, "upgrade: \($0)") })
            } catch {
                return .refused(error)
            }
        case .install(let v):
            do { return .installed(try slots.installInactive(v)) } catch { return .failed("\(error)") }
        case .activate:
            do { return .activated(try slots.activate(verifier: verifier)) } catch { return .failed("\(error)") }
        case .restart:
            do {
                try await restart()
                return nil
            } catch {
                // The marker names the new slot already: back to the running image's slot.
                _ = try? slots.rollbackTrial(reason: "the restart into it failed: \(error)")
                return .failed("restart: \(error)")
            }
        case .recordRefusal(let image, let reason):
            slots.recordRefusal(image: image, reason: reason)
            return nil
        }
    }
}
