import Logging
import NIOConcurrencyHelpers
import Synchronization

/// Which debug categories are on, and who receives their output.
///
/// A CLI session that runs `debug sip-messages` subscribes with a sink; every line logged on a
/// category that some subscriber enabled is delivered to those subscribers (and to the daemon's
/// own log when it runs at debug level). "Off" costs one atomic load: `DebugLogHandler` reports
/// its level from `isEnabled`, and swift-log does not build the message when the level is below.
public final class DebugRegistry: Sendable {
    public typealias Sink = @Sendable (_ category: DebugCategory, _ line: String) -> Void
    public struct SubscriberID: Hashable, Sendable { let raw: Int }

    private struct Subscriber { var categories: Set<DebugCategory>; let sink: Sink }
    private struct State {
        var nextID = 0
        var subscribers: [SubscriberID: Subscriber] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let mask = Atomic<UInt64>(0)

    public init() {}

    /// Process-wide registry used by the loggers the daemon bootstraps.
    public static let shared = DebugRegistry()

    public func isEnabled(_ category: DebugCategory) -> Bool {
        mask.load(ordering: .relaxed) & category.bit != 0
    }

    /// Categories enabled by at least one subscriber.
    public var enabled: Set<DebugCategory> {
        let m = mask.load(ordering: .relaxed)
        return Set(DebugCategory.allCases.filter { m & $0.bit != 0 })
    }

    public func subscribe(_ sink: @escaping Sink) -> SubscriberID {
        state.withLockedValue { s in
            s.nextID += 1
            let id = SubscriberID(raw: s.nextID)
            s.subscribers[id] = Subscriber(categories: [], sink: sink)
            return id
        }
    }

    public func unsubscribe(_ id: SubscriberID) {
        state.withLockedValue { s in
            s.subscribers[id] = nil
            recomputeMask(s)
        }
    }

    public func enable(_ categories: some Sequence<DebugCategory>, for id: SubscriberID) {
        state.withLockedValue { s in
            s.subscribers[id]?.categories.formUnion(categories)
            recomputeMask(s)
        }
    }

    public func disable(_ categories: some Sequence<DebugCategory>, for id: SubscriberID) {
        state.withLockedValue { s in
            s.subscribers[id]?.categories.subtract(categories)
            recomputeMask(s)
        }
    }

    public func categories(of id: SubscriberID) -> Set<DebugCategory> {
        state.withLockedValue { $0.subscribers[id]?.categories ?? [] }
    }

    /// Delivers one formatted line to every subscriber that enabled `category`.
    public func publish(_ category: DebugCategory, _ line: String) {
        let sinks = state.withLockedValue { s in
            s.subscribers.values.filter { $0.categories.contains(category) }.map(\.sink)
        }
        for sink in sinks { sink(category, line) }
    }

    private func recomputeMask(_ s: State) {
        var m: UInt64 = 0
        for sub in s.subscribers.values { for c in sub.categories { m |= c.bit } }
        mask.store(m, ordering: .relaxed)
    }
}
