#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set once, read from any thread: how an AsyncStream's termination (the consumer's task
/// cancelled, e.g. by Ctrl-C) reaches the blocking probe loop on its own thread.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func cancel() { value.store(true, ordering: .relaxed) }
    var isCancelled: Bool { value.load(ordering: .relaxed) }
}

/// Runs `body` on a new detached POSIX thread, so the blocking poll() loop of a ping or
/// traceroute never occupies a thread of Swift's cooperative pool or an event loop.
func runOnOwnThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { argument in
        guard let argument else { return nil }
        Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
        return nil
    }, box)
    if result == 0 {
        pthread_detach(thread)
    } else {
        // No thread: run here rather than drop the work.
        Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
    }
}

/// Streams the events of a blocking `run(isCancelled:onEvent:)` from its own thread;
/// ending the consuming task (or dropping the stream) cancels the run between probes.
func eventStream<Event: Sendable>(
    _ run: @escaping @Sendable (_ isCancelled: () -> Bool, _ onEvent: (Event) -> Void) throws -> Void
) -> AsyncThrowingStream<Event, any Error> {
    AsyncThrowingStream { continuation in
        let flag = CancellationFlag()
        continuation.onTermination = { _ in flag.cancel() }
        runOnOwnThread {
            do {
                try run({ flag.isCancelled }, { continuation.yield($0) })
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }
}

extension Duration {
    /// Milliseconds with three decimals, as ping prints them: `0.052`.
    var millisecondsText: String {
        let (seconds, attoseconds) = components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
