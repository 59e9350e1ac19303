import Diagnostics
import NIOConcurrencyHelpers
import Testing
@testable import Console

/// Collects values from concurrent code.
final class Recorder<T: Sendable>: Sendable {
    private let items = NIOLockedValueBox<[T]>([])
    func add(_ t: T) { items.withLockedValue { $0.append(t) } }
    var all: [T] { items.withLockedValue { $0 } }
}

@Suite struct CLISessionTests {
    static func session(password: String? = "cisco", privilege: Privilege = .privileged, extra: [CommandSpec] = [],
                        registry: DebugRegistry = DebugRegistry(), slept: Recorder<Duration>? = nil,
                        throttle: LoginThrottle? = nil, peer: String = "127.0.0.1:4000") -> CLISession {
        let specs = BuiltinCommands.all + extra + [
            CommandSpec(["show", "greeting"], help: "Say hello") { inv in inv.print("hello from \(inv.session.peer)") },
            CommandSpec(["fail"], help: "Always fails") { _ in throw CommandFailure("it failed as asked") },
            CommandSpec(["debug"], arguments: [
                ArgumentSpec("category", .choice(DebugCategory.allCases.map(\.rawValue)), help: "category", repeats: true),
            ], help: "Debug", privilege: .privileged) { inv in
                await inv.session.enableDebug(inv.all("category").compactMap(DebugCategory.init(name:)))
            },
        ]
        var passwordSource: (@Sendable () -> String)?
        if let password { passwordSource = { password } }
        let config = SessionConfiguration(
            prompt: { "SIP Phone> " }, password: passwordSource, privilege: privilege,
            commands: CommandTree(specs), registry: registry,
            sleep: { d in slept?.add(d) }, throttle: throttle)
        return CLISession(configuration: config, peer: peer)
    }

    @Test func loginThenCommands() async {
        let s = Self.session()
        #expect(await s.editingContext().prompt == "Password :")
        #expect(await s.editingContext().echo == .masked)
        let out = await MemoryTerminal.run(s, lines: ["cisco", "sh greet", "fail", "exit", "show greeting"])
        #expect(out == ["", "hello from 127.0.0.1:4000\n", "% it failed as asked\n", ""])
    }

    @Test func greetingIsTwoBlankLines() async {
        let t = MemoryTerminal()
        await Self.session().start(output: t)
        #expect(t.contents == "\n\n")
    }

    @Test func wrongPasswordsBackOffThenCutOff() async {
        let slept = Recorder<Duration>()
        let s = Self.session(slept: slept)
        let out = await MemoryTerminal.run(s, lines: ["guess1", "guess2", "guess3", "cisco"])
        #expect(out == ["% Password incorrect\n", "% Password incorrect\n",
                        "% Login failed: too many wrong passwords; closing the session\n"])
        #expect(slept.all == [.seconds(1), .seconds(2)])
        #expect(await s.isFinished())
    }

    @Test func theBackOffContinuesAcrossConnectionsFromOneAddress() async {
        let slept = Recorder<Duration>()
        let throttle = LoginThrottle()
        // Three connections from one address, two wrong passwords each; another address is not slowed.
        for port in 4001...4003 {
            _ = await MemoryTerminal.run(Self.session(slept: slept, throttle: throttle, peer: "10.0.0.7:\(port)"),
                                         lines: ["guess", "guess"])
        }
        _ = await MemoryTerminal.run(Self.session(slept: slept, throttle: throttle, peer: "10.0.0.8:4000"), lines: ["guess"])
        #expect(slept.all == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(16), .seconds(1)])
        #expect(throttle.failures(from: "10.0.0.7") == 6)
        // A right password clears the address.
        _ = await MemoryTerminal.run(Self.session(throttle: throttle, peer: "10.0.0.7:4009"), lines: ["cisco"])
        #expect(throttle.failures(from: "10.0.0.7") == 0)
    }

    @Test func throttleForgetsQuietAddressesAndKeepsItsSize() {
        let throttle = LoginThrottle(forgetAfter: .seconds(60), capacity: 2)
        let t0 = ContinuousClock.now
        #expect(throttle.recordFailure(from: "a", now: t0) == 1)
        #expect(throttle.recordFailure(from: "a", now: t0 + .seconds(1)) == 2)
        #expect(throttle.failures(from: "a", now: t0 + .seconds(62)) == 0)
        #expect(throttle.recordFailure(from: "a", now: t0 + .seconds(62)) == 1)
        _ = throttle.recordFailure(from: "b", now: t0 + .seconds(63))
        _ = throttle.recordFailure(from: "c", now: t0 + .seconds(64))
        #expect(throttle.failures(from: "a", now: t0 + .seconds(64)) == 0, "the oldest address was forgotten")
        #expect(LoginThrottle.address(ofPeer: "127.0.0.1:40122") == "127.0.0.1")
        #expect(LoginThrottle.address(ofPeer: "::1:40122") == "::1")
        #expect(LoginThrottle.address(ofPeer: "/dev/ttyS0") == "/dev/ttyS0")
    }

    @Test func aGoodPasswordAfterAFailureLogsIn() async {
        let out = await MemoryTerminal.run(Self.session(), lines: ["nope", "cisco", "show greeting"])
        #expect(out == ["% Password incorrect\n", "", "hello from 127.0.0.1:4000\n"])
    }

    @Test func errorsPointAtTheWord() async {
        let out = await MemoryTerminal.run(Self.session(password: nil), lines: ["show greetings"])
        #expect(out == [String(repeating: " ", count: "SIP Phone> show ".count) + "^\n"
                        + "% Invalid input detected at '^' marker: 'greetings' is not a show keyword (valid: greeting)\n"])
    }

    @Test func lowerPrivilegeIsRefused() async {
        let out = await MemoryTerminal.run(Self.session(password: nil, privilege: .user), lines: ["debug sip-state", "show greeting"])
        #expect(out[0].contains("% Not permitted at this access level: 'debug' needs privileged access"))
        #expect(out[1] == "hello from 127.0.0.1:4000\n")
    }

    @Test func debugOutputReachesTheSessionThatAskedUntilItCloses() async {
        let registry = DebugRegistry()
        let s = Self.session(password: nil, registry: registry)
        let t = MemoryTerminal()
        await s.start(output: t)
        await s.handle(line: "debug sip-state")
        #expect(registry.isEnabled(.sipState))
        registry.publish(.sipState, "[12:00:00:000000] sip-state: IDLE -> REGISTERING")
        #expect(t.contents.hasSuffix("sip-state: IDLE -> REGISTERING\n"))
        await s.setMonitor(false)
        registry.publish(.sipState, "hidden")
        #expect(!t.contents.contains("hidden"))
        await s.close()
        #expect(!registry.isEnabled(.sipState))
    }

    @Test func confirmationTakesTheNextLine() async {
        let done = Recorder<Bool>()
        let ask = CommandSpec(["erase", "protflash"], help: "Erase") { inv in
            await inv.session.confirm("Erase the protected flash? [y/N] ") { yes in
                done.add(yes)
                inv.print(yes ? "erased" : "% Cancelled")
            }
        }
        let s = Self.session(password: nil, extra: [ask])
        let t = MemoryTerminal()
        await s.start(output: t)
        await s.handle(line: "erase protflash")
        #expect(await s.editingContext().prompt == "Erase the protected flash? [y/N] ")
        await s.handle(line: "n")
        await s.handle(line: "erase prot")
        await s.handle(line: "YES")
        #expect(done.all == [false, true])
        #expect(t.contents.hasSuffix("% Cancelled\nerased\n"))
        #expect(await s.editingContext().prompt == "SIP Phone> ")
    }

    @Test func interruptCancelsALongCommand() async {
        let running = NIOLockedValueBox(false)
        let slow = CommandSpec(["slow"], help: "Sleeps") { _ in
            running.withLockedValue { $0 = true }
            try await Task.sleep(for: .seconds(30))
        }
        let s = Self.session(password: nil, extra: [slow])
        let t = MemoryTerminal()
        await s.start(output: t)
        async let run: Void = s.handle(line: "slow")
        // Interrupt once the command runs (a fixed 50 ms was too short on a loaded machine: the
        // interrupt came first and the command slept its 30 s).
        let deadline = ContinuousClock.now + .seconds(10)
        while !running.withLockedValue({ $0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        await s.interrupt()
        await run
        #expect(t.contents == "\n\n% Interrupted\n")
    }

    @Test func helpCommandListsVisibleCommands() async {
        let out = await MemoryTerminal.run(Self.session(password: nil, privilege: .user), lines: ["help", "help show"])
        #expect(out[0].contains("  show greeting"))
        #expect(!out[0].contains("debug"))
        #expect(out[1].contains("show greeting  Say hello"))
    }

    @Test func passwordComparisonIsExact() {
        #expect(CLISession.constantTimeEqual("cisco", "cisco"))
        #expect(!CLISession.constantTimeEqual("cisco", "cisc"))
        #expect(!CLISession.constantTimeEqual("cisco", "ciscoo"))
        #expect(!CLISession.constantTimeEqual("", "x"))
    }
}
