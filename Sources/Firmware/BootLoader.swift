/// The bootstrap loader of GUIDE.md §1.1 step 1: which image a starting deskphoned runs. It
/// reads the active-slot marker and the trial record; the daemon performs the decision (an
/// exec of the slot's executable, or running on as the built-in image).
///
/// An image activated by an upgrade is on trial until it reports itself healthy
/// (FirmwareSlots.confirmTrial). The loader counts its starts: a trial image found started
/// before and still unconfirmed crashed, hung or was restarted before it became healthy (under
/// systemd, a crash brings the loader back), so it is rolled back.
public enum BootLoader {
    public enum Decision: Sendable, Equatable {
        /// No slot is active: the installed (built-in) executable runs.
        case runBuiltIn
        /// Exec the slot's executable; `trial` when it is to be watched.
        case start(SlotName, trial: Bool)
        /// Roll back (the trial's previous image, or the other slot / built-in) and decide again.
        case rollBack(reason: String)
        /// A trial record for a slot that is not active: a crash between its two writes.
        case discardStaleTrial
    }

    /// `problem(slot)` is nil when the slot's image and executable check out, else why not.
    public static func decide(active: SlotName?, trial: TrialRecord?, problem: (SlotName) -> String?) -> Decision {
        if let t = trial, t.slot != active { return .discardStaleTrial }
        guard let active else { return .runBuiltIn }
        if let why = problem(active) { return .rollBack(reason: "slot \(active) cannot start: \(why)") }
        if let t = trial, t.starts >= 1 {
            return .rollBack(reason: "\(t.image) did not become healthy: it was started \(t.starts) time\(t.starts == 1 ? "" : "s") and crashed, hung or was restarted before it was healthy")
        }
        return .start(active, trial: trial != nil)
    }

    /// Applies the rollbacks and stale-trial clean-ups until the decision is to start a slot or
    /// the built-in image (at most a few rounds: each rollback moves to an older image).
    public static func resolve(_ slots: FirmwareSlots, note: (String) -> Void) -> Decision {
        for _ in 0..<4 {
            let active: SlotName?
            do { active = try slots.active() } catch {
                note("loader: \(error); starting the built-in image")
                _ = try? slots.fallBack(reason: "\(error)")
                return .runBuiltIn
            }
            let decision = decide(active: active, trial: slots.trial()) { slot in
                do { _ = try slots.check(slot); return nil } catch { return "\(error)" }
            }
            switch decision {
            case .runBuiltIn, .start: return decision
            case .discardStaleTrial:
                note("loader: discarding the trial record of a slot that is not active")
                try? slots.discardTrial()
            case .rollBack(let reason):
                note("loader: rolling back: \(reason)")
                do {
                    if slots.trial() != nil { _ = try slots.rollbackTrial(reason: reason) }
                    else { _ = try slots.fallBack(reason: reason) }
                } catch {
                    note("loader: rollback failed: \(error); starting the built-in image")
                    return .runBuiltIn
                }
            }
        }
        return .runBuiltIn
    }
}
