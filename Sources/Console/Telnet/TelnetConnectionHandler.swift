import Diagnostics
import Logging
import NIOCore
import Synchronization

/// One telnet connection on its event loop: the telnet parser and option negotiation, the
/// line editor, type-ahead while a command runs, the login, idle and subnegotiation
/// time-outs and the output cap. All
/// its state lives on the channel's event loop; `TelnetSessionDriver` talks to it from the
/// session's task by hopping there.
final class TelnetConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How a request for a line ended.
    enum LineResult: Sendable, Equatable {
        case line(String)
        case interrupt
        case eof
        /// The connection is gone.
        case closed
    }

    struct Limits: Sendable {
        var idleTimeout: TimeAmount
        /// Output queued but not yet taken by the socket beyond this drops the connection
        /// (a stalled client must not make the daemon buffer without end).
        var maximumBufferedOutput: Int
        /// Type-ahead kept while a command runs.
        var maximumTypeAhead: Int = 4096
        /// How long `finish` waits for the output to drain before closing anyway.
        var drainTimeout: TimeAmount = .seconds(2)
        /// An IAC SB whose IAC SE has not come after this long is dropped, and the bytes after
        /// it are read as data again (a client's subnegotiation arrives in one segment).
        var subnegotiationTimeout: TimeAmount = .seconds(2)
        /// A connection that has not logged in after this long is told so and closed.
        var loginTimeout: TimeAmount? = nil
    }

    /// Whether the client lets the server echo (it accepted WILL ECHO); the session's output
    /// side reads it from other threads (a caret under a word needs the line shown again
    /// when the client did its own echo, or none).
    final class EchoFlag: Sendable {
        private let value = Atomic<Bool>(false)
        var isOn: Bool { value.load(ordering: .relaxed) }
        func set(_ on: Bool) { value.store(on, ordering: .relaxed) }
    }

    let echoFlag = EchoFlag()

    private let limits: Limits
    private let logger: Logger
    private let peer: String
    /// Telnet (RFC 854 commands, option negotiation, IAC doubled), or a channel of plain
    /// terminal bytes whose transport did the rest (an SSH session channel: `ByteTerminal`).
    private let mode: Mode
    /// What log lines start with: `telnet` or `ssh`.
    private let name: String

    enum Mode {
        case telnet
        /// Plain bytes; `echo`: the server echoes (the client asked for a pty).
        case plain(echo: Bool, columns: Int?)
    }
    /// Called on the event loop once the channel is active (the server starts the session's task).
    private let onActive: ((NIOLoopBound<TelnetConnectionHandler>, Channel) -> Void)?
    /// Ctrl-C while a command runs, or the connection closing under a running command.
    var onInterrupt: (() -> Void)?

    private var context: ChannelHandlerContext?
    private var parser = TelnetParser()
    private(set) var negotiation = TelnetNegotiation()
    private(set) var editor = LineEditor(remoteEcho: false)
    /// Set while a line is being edited.
    private var lineCompletion: ((LineResult) -> Void)?
    private var typeAhead: [UInt8] = []
    private var bufferedOutput = 0
    private var idleTimer: Scheduled<Void>?
    private var subnegotiationTimer: Scheduled<Void>?
    private var loginTimer: Scheduled<Void>?
    private var loginDone = false
    private(set) var isClosed = false
    private var finishing = false

    init(peer: String, limits: Limits, logger: Logger, mode: Mode = .telnet, name: String = "telnet",
         onActive: ((NIOLoopBound<TelnetConnectionHandler>, Channel) -> Void)? = nil) {
        self.peer = peer
        self.mode = mode
        self.name = name
        self.limits = limits
        self.logger = logger
        self.onActive = onActive
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becameActive(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive(context: context)
        context.fireChannelActive()
    }

    private var activated = false
    private func becameActive(context: ChannelHandlerContext) {
        guard !activated else { return }
        activated = true
        logger.debug("\(name): connection from \(peer)")
        switch mode {
        case .telnet:
            sendCommands(negotiation.start())
        case .plain(let echo, let columns):
            editor.remoteEcho = echo
            echoFlag.set(echo)
            editor.columns = columns
        }
        resetIdleTimer()
        armLoginTimer(context: context)
        onActive?(NIOLoopBound(self, eventLoop: context.eventLoop), context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        resetIdleTimer()
        guard case .telnet = mode else { return input(Array(buffer.readableBytesView)) }
        for event in parser.parse(buffer.readableBytesView) {
            switch event {
            case .data(let bytes):
                input(bytes)
            case .negotiation(let verb, let option):
                sendCommands(negotiation.receive(verb, option: option))
                editor.remoteEcho = negotiation.serverEchoes
                echoFlag.set(negotiation.serverEchoes)
            case .subnegotiation(let option, let data):
                if let size = negotiation.receiveSubnegotiation(option: option, data: data) {
                    editor.columns = size.columns > 0 ? size.columns : nil
                }
            case .command(let command):
                switch command {
                // RFC 854: the NVT's Interrupt Process, Erase Character and Erase Line are
                // what ^C, backspace and ^U are to the editor (a line-mode client sends them).
                case .interruptProcess, .breakSignal: input([0x03])
                case .eraseCharacter: input([0x7F])
                case .eraseLine: input([0x15])
                case .areYouThere: send(Array("\r\n[Yes]\r\n".utf8))
                default: break
                }
            }
            if isClosed { return }
        }
        watchSubnegotiation()
    }

    /// Arms the subnegotiation time-out while an IAC SB is open, disarms it once it is not.
    private func watchSubnegotiation() {
        guard parser.isInSubnegotiation else {
            subnegotiationTimer?.cancel()
            subnegotiationTimer = nil
            return
        }
        guard subnegotiationTimer == nil, let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        subnegotiationTimer = context.eventLoop.scheduleTask(in: limits.subnegotiationTimeout) {
            let handler = bound.value
            handler.subnegotiationTimer = nil
            guard handler.parser.isInSubnegotiation else { return }
            handler.logger.debug("telnet: \(handler.peer): subnegotiation without IAC SE dropped")
            handler.parser.abandonSubnegotiation()
        }
    }

    /// The terminal's new width (an SSH window-change), for a `.plain` connection.
    struct Resize: Sendable { var columns: Int }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let resize = event as? Resize {
            editor.columns = resize.columns > 0 ? resize.columns : nil
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionClosed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionClosed()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("\(name): \(peer): \(error)")
        context.close(promise: nil)
    }

    private func connectionClosed() {
        guard !isClosed else { return }
        isClosed = true
        logger.info("\(name): connection from \(peer) closed")
        idleTimer?.cancel()
        idleTimer = nil
        loginTimer?.cancel()
        loginTimer = nil
        subnegotiationTimer?.cancel()
        subnegotiationTimer = nil
        editor.cancel()
        if let completion = lineCompletion {
            lineCompletion = nil
            completion(.closed)
        } else if !finishing {
            onInterrupt?()  // a command is running: stop it, nobody is listening
        }
    }

    // MARK: Input

    private func input(_ bytes: [UInt8]) {
        guard !isClosed else { return }
        var rest = bytes[...]
        if lineCompletion != nil {
            let result = editor.receive(rest)
            send(result.output)
            // The echo can close the connection (a client that does not read its output is
            // dropped), and closing completes the line with `.closed`: it must not be
            // completed a second time (a test run crashed on the resumed continuation).
            guard let completion = lineCompletion, !isClosed else { return }
            rest = rest.dropFirst(result.consumed)
            guard let event = result.event else { return }
            lineCompletion = nil
            switch event {
            case .line(let text): completion(.line(text))
            case .interrupt: completion(.interrupt)
            case .eof: completion(.eof)
            }
        }
        // A command runs: keep what is typed for the next line; Ctrl-C interrupts the command
        // and, as on a terminal, discards what was typed ahead.
        for byte in rest {
            if byte == 0x03 {
                typeAhead.removeAll()
                onInterrupt?()
            } else if typeAhead.count < limits.maximumTypeAhead {
                typeAhead.append(byte)
            }
        }
    }

    /// Edits one line with `editingContext`; `completion` is called once, on the event loop.
    func readLine(_ editingContext: EditingContext, completion: @escaping (LineResult) -> Void) {
        guard !isClosed, !finishing else { return completion(.closed) }
        precondition(lineCompletion == nil, "readLine while a line is being edited")
        lineCompletion = completion
        send(editor.begin(editingContext))
        let pending = typeAhead
        typeAhead.removeAll()
        if !pending.isEmpty { input(pending) }
    }

    // MARK: Output

    /// Session output: above the line being edited, if one is.
    func write(_ text: String) {
        guard !isClosed else { return }
        send(editor.printAbove(text))
    }

    /// Flushes the output, then closes; `promise` completes once the channel is closed.
    func finish(promise: EventLoopPromise<Void>?) {
        guard let context, !isClosed else {
            promise?.succeed()
            return
        }
        finishing = true
        let channel = context.channel
        channel.closeFuture.cascade(to: promise)
        let timeout = channel.eventLoop.scheduleTask(in: limits.drainTimeout) { channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            timeout.cancel()
            channel.close(promise: nil)
        }
    }

    /// Writes bytes for the terminal (IAC doubled here) and flushes.
    private func send(_ bytes: [UInt8]) {
        guard case .telnet = mode else { return sendCommands(bytes) }
        sendCommands(TelnetEncoder.escape(bytes))
    }

    /// Writes telnet commands (or already escaped bytes) and flushes.
    private func sendCommands(_ escaped: [UInt8]) {
        guard !escaped.isEmpty, !isClosed, let context else { return }
        bufferedOutput += escaped.count
        if bufferedOutput > limits.maximumBufferedOutput {
            logger.debug("\(name): \(peer) does not read its output; dropping the connection")
            connectionClosed()
            context.close(promise: nil)
            return
        }
        let count = escaped.count
        let promise = context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in bound.value.bufferedOutput -= count }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: escaped)), promise: promise)
    }

    /// The session logged in: the login time-out no longer applies.
    func loggedIn() {
        loginDone = true
        loginTimer?.cancel()
        loginTimer = nil
    }

    private func armLoginTimer(context: ChannelHandlerContext) {
        guard let timeout = limits.loginTimeout, !loginDone else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        loginTimer = context.eventLoop.scheduleTask(in: timeout) {
            let handler = bound.value
            guard !handler.loginDone, !handler.isClosed, !handler.finishing else { return }
            handler.logger.notice("\(handler.name): \(handler.peer) did not log in within \(Self.describe(timeout)), closing")
            handler.editor.cancel()
            handler.write("\r\nLogin time-out (\(Self.describe(timeout))): closing the connection.\n")
            handler.finish(promise: nil)
        }
    }

    private func resetIdleTimer() {
        guard let context, !isClosed else { return }
        idleTimer?.cancel()
        let timeout = limits.idleTimeout
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: timeout) {
            bound.value.idleTimedOut(after: timeout)
        }
    }

    private func idleTimedOut(after timeout: TimeAmount) {
        guard !isClosed, !finishing else { return }
        logger.debug("\(name): \(peer) idle, closing")
        editor.cancel()
        write("\r\nIdle time-out (\(Self.describe(timeout)) without input): closing the connection.\n")
        finish(promise: nil)
    }

    static func describe(_ t: TimeAmount) -> String {
        let seconds = t.nanoseconds / 1_000_000_000
        guard seconds >= 1, t.nanoseconds % 1_000_000_000 == 0 else { return "\(t.nanoseconds / 1_000_000) ms" }
        return seconds >= 60 && seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) s"
    }
}
