import NIOCore
import NIOConcurrencyHelpers

/// The session's side of a connection: runs the `TerminalSession` protocol from one task.
struct TelnetSessionDriver: Sendable {
    let session: any TerminalSession
    let handler: NIOLoopBound<TelnetConnectionHandler>
    let channel: any Channel
    let echoesInput: TelnetConnectionHandler.EchoFlag
    /// The session has logged in: false when there is no room for one more session.
    var onLogin: @Sendable () -> Bool = { true }

    var eventLoop: any EventLoop { channel.eventLoop }

    func run() async {
        let output = TelnetOutput(handler: handler, eventLoop: eventLoop, echoesInput: echoesInput)
        await session.start(output: output)
        var loggedIn = false
        loop: while true {
            if !loggedIn, await session.isLoggedIn() {
                loggedIn = true
                let handler = self.handler
                eventLoop.execute { handler.value.loggedIn() }
                guard onLogin() else {
                    output.write(TelnetServer.tooManySessionsMessage)
                    await finish()
                    break
                }
            }
            if await session.isFinished() {
                await finish()
                break
            }
            let context = await session.editingContext()
            switch await readLine(context) {
            case .line(let line):
                await session.handle(line: line)
            case .interrupt:
                continue  // Ctrl-C at the prompt: a fresh prompt
            case .eof:
                await finish()
                break loop
            case .closed:
                break loop
            }
        }
        await session.close()
    }

    private func readLine(_ context: EditingContext) async -> TelnetConnectionHandler.LineResult {
        let handler = self.handler
        return await withCheckedContinuation { continuation in
            eventLoop.execute {
                handler.value.readLine(context) { continuation.resume(returning: $0) }
            }
        }
    }

    private func finish() async {
        let handler = self.handler
        let promise = eventLoop.makePromise(of: Void.self)
        eventLoop.execute { handler.value.finish(promise: promise) }
        try? await promise.futureResult.get()
    }
}

/// `TerminalOutput` for a telnet connection: any thread may write. Text is gathered in a
/// buffer and handed to the connection's event loop in one piece per hop, so the lines a
/// command prints in a burst go out in one write instead of one write (and flush) each;
/// the order is kept because every write goes through the same buffer.
final class TelnetOutput: TerminalOutput {
    private let handler: NIOLoopBound<TelnetConnectionHandler>
    private let eventLoop: any EventLoop
    private let pending = NIOLockedValueBox<(text: String, scheduled: Bool)>(("", false))
    private let echo: TelnetConnectionHandler.EchoFlag

    init(handler: NIOLoopBound<TelnetConnectionHandler>, eventLoop: any EventLoop,
         echoesInput: TelnetConnectionHandler.EchoFlag) {
        self.handler = handler
        self.eventLoop = eventLoop
        self.echo = echoesInput
    }

    var echoesInput: Bool { echo.isOn }

    func write(_ text: String) {
        let schedule = pending.withLockedValue { p -> Bool in
            p.text += text
            if p.scheduled { return false }
            p.scheduled = true
            return true
        }
        guard schedule else { return }
        let handler = self.handler
        eventLoop.execute { [self] in
            let text = pending.withLockedValue { p -> String in
                defer { p = ("", false) }
                return p.text
            }
            handler.value.write(text)
        }
    }
}
