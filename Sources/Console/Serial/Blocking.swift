import Dispatch
import NIOConcurrencyHelpers

/// Runs async work from a plain thread (the console's libedit thread) and waits for it.
enum Blocking {
    static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = NIOLockedValueBox<T?>(nil)
        Task {
            let value = await operation()
            result.withLockedValue { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLockedValue { $0 }!   // set before signal()
    }
}
