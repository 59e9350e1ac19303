import NIOConcurrencyHelpers

/// The CLI sessions logged in now, whatever carries them (telnet, SSH, the serial console), for
/// `show sessions`. A session is listed from its login to its close.
public final class SessionList: Sendable {
    public struct Entry: Sendable, Equatable {
        public let id: Int
        /// `telnet`, `ssh`, `console`.
        public let transport: String
        public let peer: String
        public let privilege: Privilege
        public let since: ContinuousClock.Instant
    }

    private let state = NIOLockedValueBox<(next: Int, entries: [Entry])>((0, []))

    public init() {}

    /// Lists a session; returns its id for `remove`.
    public func add(transport: String, peer: String, privilege: Privilege, now: ContinuousClock.Instant = .now) -> Int {
        state.withLockedValue { s in
            s.next += 1
            s.entries.append(Entry(id: s.next, transport: transport, peer: peer, privilege: privilege, since: now))
            return s.next
        }
    }

    public func remove(_ id: Int) {
        state.withLockedValue { s in s.entries.removeAll { $0.id == id } }
    }

    /// Oldest first.
    public var entries: [Entry] { state.withLockedValue { $0.entries } }
}
