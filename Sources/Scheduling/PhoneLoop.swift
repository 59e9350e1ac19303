import NIOCore
import NIOPosix

/// The phone's one event loop (ARCHITECTURE.md, "One event loop for the phone"), as a global
/// actor: SIP transactions, dialogs, registrations and the call model are `@PhoneLoop`
/// classes, so their state needs no locks and every event from the wire is handled in the
/// order it arrived. The actor's executor is the NIO event loop itself, so a channel handler
/// on `PhoneLoop.loop` enters the actor synchronously (`PhoneLoop.assumeIsolated`) — no task
/// per datagram — and code elsewhere reaches it with `await`.
@globalActor
public actor PhoneLoop {
    public static let shared = PhoneLoop()

    /// One thread: the loop every SIP, RTP and CLI channel of the phone runs on.
    public static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    public static let loop: any EventLoop = group.next()

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        Self.loop.executor.asUnownedSerialExecutor()
    }

    /// Runs `operation` in the actor's isolation from code that is already on the loop (a
    /// channel handler, a scheduled task). Traps when called from anywhere else.
    public static func assumeIsolated<T: Sendable>(_ operation: @PhoneLoop () throws -> T,
                                                   file: StaticString = #fileID, line: UInt = #line) rethrows -> T {
        typealias Unisolated = () throws -> T
        Self.loop.preconditionInEventLoop(file: file, line: line)
        // The same cast the standard library's MainActor.assumeIsolated makes once the executor is checked.
        return try withoutActuallyEscaping(operation) { isolated in
            try unsafeBitCast(isolated, to: Unisolated.self)()
        }
    }
}
