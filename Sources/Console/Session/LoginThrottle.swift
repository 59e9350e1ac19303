import NIOConcurrencyHelpers

/// Wrong passwords counted by source address across connections, so an attacker cannot reset
/// the login back-off (`LoginPolicy.delay`) by opening a new connection for every guess. A
/// right password clears the address; an address quiet for `forgetAfter` starts again.
public final class LoginThrottle: Sendable {
    private struct Entry { var failures: Int; var last: ContinuousClock.Instant }

    public let forgetAfter: Duration
    /// Addresses remembered at most (the oldest is forgotten first), so a spray of sources
    /// cannot grow the table without end.
    public let capacity: Int
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    public init(forgetAfter: Duration = .seconds(15 * 60), capacity: Int = 1024) {
        self.forgetAfter = forgetAfter
        self.capacity = capacity
    }

    /// Records a wrong password from `address`; returns its failures so far, this one included.
    public func recordFailure(from address: String, now: ContinuousClock.Instant = .now) -> Int {
        entries.withLockedValue { entries in
            var e = entries[address].flatMap { now - $0.last < forgetAfter ? $0 : nil } ?? Entry(failures: 0, last: now)
            e.failures += 1
            e.last = now
            entries[address] = e
            if entries.count > capacity, let oldest = entries.min(by: { $0.value.last < $1.value.last })?.key {
                entries[oldest] = nil
            }
            return e.failures
        }
    }

    public func recordSuccess(from address: String) {
        _ = entries.withLockedValue { $0.removeValue(forKey: address) }
    }

    public func failures(from address: String, now: ContinuousClock.Instant = .now) -> Int {
        entries.withLockedValue { entries in
            entries[address].flatMap { now - $0.last < forgetAfter ? $0.failures : nil } ?? 0
        }
    }

    /// The address part of a peer description (`127.0.0.1:40122` → `127.0.0.1`).
    public static func address(ofPeer peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":"), peer[peer.index(after: colon)...].allSatisfy(\.isNumber) else { return peer }
        return String(peer[..<colon])
    }
}
