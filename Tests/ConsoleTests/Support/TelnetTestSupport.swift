import TestKit
import Console
import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// A small CLI: the password `cisco` (masked), then every line is echoed back as
/// `you said: …`; `slow` runs until interrupted (or 10 s); `exit` ends the session.
final class FakeTerminalSession: TerminalSession {
    struct State {
        var output: (any TerminalOutput)?
        var loggedIn = false
        var finished = false
        var interrupts = 0
        var closed = false
        var lines: [String] = []
    }
    let peer: String
    let state = NIOLockedValueBox(State())

    init(peer: String) { self.peer = peer }

    func start(output: any TerminalOutput) async {
        state.withLockedValue { $0.output = output }
        output.write("\n\n")
    }

    func editingContext() async -> EditingContext {
        if state.withLockedValue({ $0.loggedIn }) {
            return EditingContext(prompt: "SIP Phone> ",
                                  complete: { $0 == "sh" ? .replace("show ") : .none },
                                  help: { _ in ["show    Show system information", "exit    Leave"] })
        }
        return EditingContext(prompt: "Password :", echo: .masked, recordsHistory: false)
    }

    func handle(line: String) async {
        let output = state.withLockedValue { state in
            state.lines.append(line)
            return state.output!
        }
        if !state.withLockedValue({ $0.loggedIn }) {
            if line == "cisco" { state.withLockedValue { $0.loggedIn = true } } else { output.write("Wrong password\n") }
            return
        }
        switch line {
        case "flood":
            // 16 MB of output, written as fast as the session can.
            let chunk = String(repeating: "0123456789abcdef", count: 255) + "\n"
            for _ in 0..<4096 { output.write(chunk) }
        case "exit":
            state.withLockedValue { $0.finished = true }
        case "slow":
            output.write("running slow\n")
            let deadline = ContinuousClock.now + .seconds(10)
            while state.withLockedValue({ $0.interrupts == 0 }) && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            output.write(state.withLockedValue { $0.interrupts } > 0 ? "interrupted\n" : "slow done\n")
        default:
            output.write("you said: \(line)\n")
        }
    }

    func interrupt() async { state.withLockedValue { $0.interrupts += 1 } }
    func isLoggedIn() async -> Bool { state.withLockedValue { $0.loggedIn } }
    func isFinished() async -> Bool { state.withLockedValue { $0.finished } }
    func close() async { state.withLockedValue { $0.closed = true } }
}

/// Remembers the sessions a server made.
final class SessionLog: Sendable {
    let sessions = NIOLockedValueBox<[FakeTerminalSession]>([])
    var factory: TerminalSessionFactory {
        { peer in
            let s = FakeTerminalSession(peer: peer)
            self.sessions.withLockedValue { $0.append(s) }
            return s
        }
    }
    var all: [FakeTerminalSession] { sessions.withLockedValue { $0 } }
}

/// A raw telnet client on loopback: agrees to the server's ECHO and SGA, collects the data
/// bytes (telnet commands removed) and notices the close.
final class TelnetTestClient: Sendable {
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let box: NIOLockedValueBox<(parser: TelnetParser, data: [UInt8], closed: Bool)>
        init() { box = NIOLockedValueBox((TelnetParser(), [], false)) }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            box.withLockedValue { box in
                for case .data(let bytes) in box.parser.parse(buffer.readableBytesView) { box.data += bytes }
            }
        }
        func channelInactive(context: ChannelHandlerContext) { box.withLockedValue { $0.closed = true } }
    }

    let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// `reading: false` makes a client that stops reading (a stalled terminal).
    static func connect(to address: SocketAddress, group: any EventLoopGroup, agree: Bool = true,
                        reading: Bool = true) async throws -> TelnetTestClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: reading)
            .channelOption(.socketOption(.so_rcvbuf), value: reading ? 65536 : 4096)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(collector) } }
            .connect(to: address).get()
        let client = TelnetTestClient(channel: channel, collector: collector)
        if agree { try await client.send([255, 253, 1, 255, 253, 3, 255, 252, 31]) }
        return client
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }
    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    var text: String { collector.box.withLockedValue { String(decoding: $0.data, as: UTF8.self) } }
    var isClosed: Bool { collector.box.withLockedValue { $0.closed } }

    /// Waits until the received text contains `needle`; returns the text.
    @discardableResult
    func expect(_ needle: String, timeout: Duration = .seconds(5)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let t = text
            if t.contains(needle) { return t }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("timed out waiting for \(needle.debugDescription); got \(text.debugDescription)")
    }

    func expectClosed(timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isClosed {
            guard ContinuousClock.now < deadline else { throw TestFailure("connection not closed; got \(text.debugDescription)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func login() async throws {
        try await expect("\r\n\r\nPassword :")
        try await send("cisco\r\n")
        try await expect("SIP Phone> ")
    }

    func close() async { try? await channel.close() }
}

enum TelnetTestServer {
    static func start(log: SessionLog, maxSessions: Int = 8, idleTimeout: TimeAmount = .seconds(30),
                      maxBufferedOutput: Int = 256 * 1024, loginTimeout: TimeAmount = .seconds(30),
                      subnegotiationTimeout: TimeAmount = .seconds(2), logger: Logger = Logger(label: "telnet-test"),
                      factory: TerminalSessionFactory? = nil) async throws -> (TelnetServer, SocketAddress) {
        let configuration = TelnetServer.Configuration(host: "127.0.0.1", port: 0, maxSessions: maxSessions,
                                                       loginTimeout: loginTimeout, idleTimeout: idleTimeout,
                                                       maxBufferedOutput: maxBufferedOutput,
                                                       subnegotiationTimeout: subnegotiationTimeout, logger: logger)
        let server = TelnetServer(group: MultiThreadedEventLoopGroup.singleton, configuration: configuration,
                                  factory: factory ?? log.factory)
        return (server, try await server.start())
    }
}

/// A swift-log handler that keeps the lines, so tests can read what an operator would see.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var all: [String] { lines.withLockedValue { $0 } }
    func add(_ line: String) { lines.withLockedValue { $0.append(line) } }

    var logger: Logger { Logger(label: "capture") { _ in Handler(capture: self) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            capture.add("\(level): \(message)")
        }
    }
}
