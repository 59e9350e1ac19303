/// `Timers` whose time moves only when a test says so: `advance(by:)` fires every timer that
/// falls due, in due order (ties in the order they were scheduled), including timers that the
/// fired ones schedule within the window.
public final class ManualTimers: Timers {
    private struct Entry {
        let id: Int
        let due: Duration
        let fire: () -> Void
    }

    public private(set) var now: Duration = .zero
    private var entries: [Entry] = []
    private var nextID = 0

    public init() {}

    public func schedule(after delay: Duration, _ fire: @escaping () -> Void) -> TimerHandle {
        nextID += 1
        let id = nextID
        entries.append(Entry(id: id, due: now + max(delay, .zero), fire: fire))
        return TimerHandle { [weak self] in self?.entries.removeAll { $0.id == id } }
    }

    /// Timers scheduled and not yet fired or cancelled.
    public var pendingCount: Int { entries.count }

    /// When the next timer falls due, if any.
    public var nextDue: Duration? { entries.map(\.due).min() }

    /// Moves the clock forward by `delta`, firing what falls due on the way.
    public func advance(by delta: Duration) {
        let end = now + delta
        while let next = entries.enumerated().min(by: { ($0.element.due, $0.element.id) < ($1.element.due, $1.element.id) }),
              next.element.due <= end {
            entries.remove(at: next.offset)
            now = next.element.due
            next.element.fire()
        }
        now = end
    }

    /// Moves the clock to the next due timer and fires it (and any due at the same instant).
    /// Returns false when nothing is scheduled.
    @discardableResult
    public func fireNext() -> Bool {
        guard let due = nextDue else { return false }
        advance(by: due - now)
        return true
    }
}
