import Dispatch
import Synchronization

/// Runs async work from a plain thread (the console's libedit thread) and waits for it.
enum Blocking {
    static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        Task {
            let value = await operation()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }!   // set before signal()
    }
}
