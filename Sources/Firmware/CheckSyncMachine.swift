/// The remote reboot of GUIDE.md §7.4 as a state machine without I/O: a check-sync NOTIFY
/// arms it; once the phone has been idle for `delay` (20 s in the guide; a call in progress
/// restarts the wait when it ends) it asks for the re-read of the configuration and
/// syncinfo.xml; then `SyncInfo.decision` says reboot or not.
public struct CheckSyncMachine: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        /// A NOTIFY came; `idleSince` is when the phone was last seen becoming idle.
        case waiting(idleSince: ContinuousClock.Instant?)
        /// The re-read is under way (further NOTIFYs are absorbed).
        case reading
    }

    public let delay: Duration
    public private(set) var state: State = .idle

    public init(delay: Duration) { self.delay = delay }

    /// A check-sync NOTIFY arrived.
    public mutating func notified(now: ContinuousClock.Instant, busy: Bool) {
        switch state {
        case .idle: state = .waiting(idleSince: busy ? nil : now)
        case .waiting, .reading: break
        }
    }

    /// A tick of the clock with the phone's call state: true when the re-read is due now.
    public mutating func tick(now: ContinuousClock.Instant, busy: Bool) -> Bool {
        guard case .waiting(let since) = state else { return false }
        if busy {
            state = .waiting(idleSince: nil)
            return false
        }
        guard let since else {
            state = .waiting(idleSince: now)
            return false
        }
        if now - since >= delay {
            state = .reading
            return true
        }
        return false
    }

    /// The re-read finished (with or without a reboot that did not happen).
    public mutating func finished() { state = .idle }

    public var isArmed: Bool { state != .idle }
}
