import TextUtilities
import Diagnostics
import Logging
import Synchronization

/// What a session needs from its surroundings.
public struct SessionConfiguration: Sendable {
    /// The command prompt, read anew for every line (`phone_prompt` may change at `reset`).
    public var prompt: @Sendable () -> String
    /// The login password (`phone_password`); nil: no login (an in-memory test session).
    public var password: (@Sendable () -> String)?
    public var privilege: Privilege
    public var commands: CommandTree
    public var login: LoginPolicy
    public var registry: DebugRegistry
    /// Written by `start`: the guide's two blank lines before `Password :`.
    public var greeting: String
    /// Sleeps (login back-off); tests pass a clock that returns at once.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// What the commands act on (the phone), handed to every handler at invocation time so
    /// the command declarations need no live object. The CLI engine never looks inside.
    public var context: (any Sendable)?
    /// Wrong passwords by source address across connections (nil: counted per session only).
    public var throttle: LoginThrottle?
    /// Where logins, wrong passwords and closed sessions are logged, with the peer's address.
    public var logger: Logger
    /// Where the session is listed while logged in (`show sessions`), and under which transport.
    public var sessions: SessionList?
    public var transport: String

    public init(prompt: @escaping @Sendable () -> String, password: (@Sendable () -> String)?, privilege: Privilege,
                commands: CommandTree, login: LoginPolicy = LoginPolicy(), registry: DebugRegistry = .shared,
                greeting: String = "\n\n",
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                context: (any Sendable)? = nil, throttle: LoginThrottle? = nil,
                logger: Logger = Logger.category(.plat), sessions: SessionList? = nil, transport: String = "telnet") {
        self.prompt = prompt
        self.password = password
        self.privilege = privilege
        self.commands = commands
        self.login = login
        self.registry = registry
        self.greeting = greeting
        self.sleep = sleep
        self.context = context
        self.throttle = throttle
        self.logger = logger
        self.sessions = sessions
        self.transport = transport
    }
}

/// One CLI session: login, then commands until `exit`. Transport-independent (telnet, serial
/// console, in-memory) — see `TerminalSession`.
public actor CLISession: TerminalSession {
    enum State: Equatable { case login(failures: Int), ready, finished }

    public nonisolated let configuration: SessionConfiguration
    /// The remote end (`127.0.0.1:40122`) or the console device.
    public nonisolated let peer: String
    private var state: State
    private var output: (any TerminalOutput)?
    private var running: Task<Void, Never>?
    private var attributes: [String: any Sendable] = [:]
    /// A question a command asked (`erase protflash`): the next line answers it.
    private var pending: (question: String, action: @Sendable (Bool) async throws -> Void)?
    private var debugID: DebugRegistry.SubscriberID?
    /// The id in `configuration.sessions` while logged in.
    private var listedID: Int?
    /// Terminal monitoring (`tty mon`): whether debug output reaches this session.
    private let monitor = Flag()

    /// A flag the debug sink reads from other threads.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func load() -> Bool { value.load(ordering: .relaxed) }
        func store(_ v: Bool) { value.store(v, ordering: .relaxed) }
    }

    public init(configuration: SessionConfiguration, peer: String) {
        self.configuration = configuration
        self.peer = peer
        self.state = configuration.password == nil ? .ready : .login(failures: 0)
    }

    // MARK: TerminalSession

    public func start(output: any TerminalOutput) async {
        self.output = output
        output.write(configuration.greeting)
        if state == .ready { list() }
    }

    /// This session's entry in `configuration.sessions`, if it is listed.
    public var listing: Int? { listedID }

    private func list() {
        guard listedID == nil, let sessions = configuration.sessions else { return }
        listedID = sessions.add(transport: configuration.transport, peer: peer, privilege: configuration.privilege)
    }

    public func editingContext() async -> EditingContext {
        switch state {
        case .login:
            return EditingContext(prompt: configuration.login.prompt, echo: .masked, recordsHistory: false)
        case .ready where pending != nil:
            return EditingContext(prompt: pending?.question ?? "", echo: .normal, recordsHistory: false)
        case .ready, .finished:
            let tree = configuration.commands, level = configuration.privilege
            return EditingContext(prompt: configuration.prompt(), echo: .normal, recordsHistory: true,
                                  complete: { tree.complete($0, privilege: level) },
                                  help: { tree.help($0, privilege: level) })
        }
    }

    public func handle(line: String) async {
        switch state {
        case .finished:
            return
        case .login(let failures):
            await login(line, failures: failures)
        case .ready:
            if let question = pending {
                pending = nil
                await answer(line, question.action)
            } else {
                await run(line)
            }
        }
    }

    public func interrupt() async {
        running?.cancel()
    }

    public func isFinished() async -> Bool { state == .finished }

    public func isLoggedIn() async -> Bool { state == .ready }

    public func close() async {
        running?.cancel()
        state = .finished
        if let id = debugID { configuration.registry.unsubscribe(id); debugID = nil }
        if let id = listedID { configuration.sessions?.remove(id); listedID = nil }
    }

    // MARK: login

    private func login(_ typed: String, failures: Int) async {
        guard let expected = configuration.password?() else { state = .ready; return }
        let address = LoginThrottle.address(ofPeer: peer)
        if Self.constantTimeEqual(typed, expected) {
            state = .ready
            list()
            configuration.throttle?.recordSuccess(from: address)
            configuration.logger.info("login: \(peer) logged in")
            return
        }
        let n = failures + 1
        // The back-off counts this address's failures on earlier connections too.
        let total = max(n, configuration.throttle?.recordFailure(from: address) ?? n)
        configuration.logger.notice("login: wrong password from \(peer) (\(n) on this connection, \(total) from \(address))")
        if n >= configuration.login.maxFailures {
            configuration.logger.notice("login: \(peer): \(n) wrong passwords, closing the session")
            write("% Login failed: too many wrong passwords; closing the session\n")
            state = .finished
            return
        }
        try? await configuration.sleep(configuration.login.delay(afterFailure: total))
        write("% Password incorrect\n")
        if state != .finished { state = .login(failures: n) }
    }

    /// Compares passwords in time that depends on their lengths only (the SSH login uses it too).
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    // MARK: commands

    /// Parses and runs one command line; output goes to the session's terminal.
    public func run(_ line: String) async {
        guard !CommandLineTokens.split(line).isEmpty, let output else { return }
        switch configuration.commands.parse(line, privilege: configuration.privilege) {
        case .failure(let error) where output.echoesInput:
            output.write(error.render(promptWidth: CLIError.screenColumns(configuration.prompt(), before: configuration.prompt().count), line: line))
        case .failure(let error):
            output.write(error.render(prompt: configuration.prompt(), line: line))
        case .success(let match):
            let invocation = Invocation(spec: match.spec, values: match.values, output: output, session: self,
                                        context: configuration.context)
            let task = Task {
                do {
                    try await match.spec.handler(invocation)
                } catch is CancellationError {
                    output.write("% Interrupted\n")
                } catch let failure as CommandFailure {
                    output.write("% \(failure.description)\n")
                } catch {
                    output.write("% \(error)\n")
                }
            }
            running = task
            await task.value
            running = nil
        }
    }

    private func write(_ text: String) { output?.write(text) }

    /// Asks a yes/no question: the next line answers it (`y` or `yes`, any case, is yes;
    /// anything else is no), then `action` runs with the answer.
    public func confirm(_ question: String, then action: @escaping @Sendable (Bool) async throws -> Void) {
        pending = (question, action)
    }

    private func answer(_ line: String, _ action: @escaping @Sendable (Bool) async throws -> Void) async {
        let yes = ["y", "yes"].contains(line.trimmingWSP().lowercased())
        do {
            try await action(yes)
        } catch let failure as CommandFailure {
            write("% \(failure.description)\n")
        } catch {
            write("% \(error)\n")
        }
    }

    // MARK: what commands may change

    /// Ends the session after the current command (`exit`).
    public func finish() { state = .finished }

    public var privilege: Privilege { configuration.privilege }
    public var commands: CommandTree { configuration.commands }

    /// Per-session state of command families (`test open`, …), by key.
    public func attribute<T: Sendable>(_ key: String, as: T.Type = T.self) -> T? { attributes[key] as? T }
    public func setAttribute(_ key: String, _ value: (any Sendable)?) { attributes[key] = value }

    /// Debug categories this session enabled.
    public var debugCategories: Set<DebugCategory> {
        debugID.map { configuration.registry.categories(of: $0) } ?? []
    }

    /// Turns categories on for this session (subscribing it on first use) and monitoring on.
    public func enableDebug(_ categories: some Sequence<DebugCategory>) {
        let id = debugID ?? subscribe()
        configuration.registry.enable(categories, for: id)
        monitor.store(true)
    }

    public func disableDebug(_ categories: some Sequence<DebugCategory>) {
        guard let id = debugID else { return }
        configuration.registry.disable(categories, for: id)
    }

    /// `tty mon 0|1`.
    public func setMonitor(_ on: Bool) { monitor.store(on) }
    public var isMonitoring: Bool { monitor.load() }

    private func subscribe() -> DebugRegistry.SubscriberID {
        let output = self.output
        let monitor = self.monitor
        let id = configuration.registry.subscribe { [monitor] _, line in
            if monitor.load() { output?.write(line + "\n") }
        }
        debugID = id
        return id
    }
}
