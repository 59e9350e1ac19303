import Testing
@testable import SIPStack

/// Transactions under a manual clock: the test fires the timers the actions armed, in time
/// order, and checks what is sent when.
struct TimerDriver<Message: Sendable & Equatable> {
    var now: Duration = .zero
    var armed: [TransactionTimer: Duration] = [:]   // timer → due time
    var log: [(Duration, String)] = []

    mutating func apply(_ actions: [TransactionAction<Message>]) {
        for a in actions {
            switch a {
            case .arm(let t, let d): armed[t] = now + d
            case .cancel(let t): armed[t] = nil
            case .send: log.append((now, "send"))
            case .sendAck: log.append((now, "ack"))
            case .deliver: log.append((now, "deliver"))
            case .timedOut: log.append((now, "timeout"))
            case .transportError: log.append((now, "error"))
            case .terminated: log.append((now, "terminated"))
            }
        }
    }

    /// The next timer due, removed, with the clock moved to it.
    mutating func next() -> TransactionTimer? {
        guard let (t, due) = armed.min(by: { $0.value < $1.value }) else { return nil }
        armed[t] = nil
        now = due
        return t
    }

    func times(of event: String) -> [Duration] { log.filter { $0.1 == event }.map(\.0) }
}

@Suite struct ClientTransactionTests {
    let timers = TransactionTimers()   // T1 500 ms, T2 4 s, sip_retx 10, sip_invite_retx 6

    @Test func nonInviteRetransmitsAtT1DoublingCappedAtT2ThenTimerF() {
        var tx = ClientTransaction(request: "REGISTER", isInvite: false, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        while let t = clock.next() { clock.apply(tx.timerFired(t)) }
        let ms = clock.times(of: "send").map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) }
        // sent at 0, then retransmitted after 0.5, 1, 2, 4, 4, 4 … s (10 retransmissions)
        #expect(ms == [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
        #expect(clock.times(of: "timeout") == [.seconds(32)])   // timer F = 64·T1
        #expect(tx.state == .terminated)
    }

    @Test func sipRetxCapsTheRetransmissions() {
        var t = timers
        t.maxRetransmissions = 3
        var tx = ClientTransaction(request: "OPTIONS", isInvite: false, reliable: false, timers: t)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        while let timer = clock.next() { clock.apply(tx.timerFired(timer)) }
        #expect(clock.times(of: "send").count == 4)
        #expect(clock.times(of: "timeout") == [.seconds(32)])
    }

    @Test func inviteDoublesWithoutCapUntilTimerB() {
        var tx = ClientTransaction(request: "INVITE", isInvite: true, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        while let timer = clock.next() { clock.apply(tx.timerFired(timer)) }
        #expect(clock.times(of: "send") == [.zero, .milliseconds(500), .milliseconds(1500), .milliseconds(3500),
                                             .milliseconds(7500), .milliseconds(15500), .milliseconds(31500)])
        #expect(clock.times(of: "timeout") == [.seconds(32)])
    }

    @Test func provisionalInProceedingMovesNonInviteToT2Intervals() {
        var tx = ClientTransaction(request: "BYE", isInvite: false, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        clock.apply(tx.receive("100", status: 100))
        #expect(tx.state == .proceeding)
        // the next E fires at 500 ms, then T2 intervals
        var sends: [Duration] = []
        for _ in 0..<3 {
            guard let t = clock.next() else { break }
            clock.apply(tx.timerFired(t))
            if t == .e { sends.append(clock.now) }
        }
        #expect(sends == [.milliseconds(500), .milliseconds(4500), .milliseconds(8500)])
        clock.apply(tx.receive("200", status: 200))
        #expect(tx.state == .completed)
        #expect(clock.armed[.k] == clock.now + .seconds(5))
        #expect(clock.armed[.e] == nil && clock.armed[.f] == nil)
        clock.apply(tx.receive("200 again", status: 200))
        #expect(clock.log.filter { $0.1 == "deliver" }.count == 2)   // the 100 and the first 200 only
    }

    @Test func inviteNon2xxIsAckedAndItsRetransmissionsToo() {
        var tx = ClientTransaction(request: "INVITE", isInvite: true, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        clock.apply(tx.receive("180", status: 180))
        #expect(clock.armed[.a] == nil)
        clock.apply(tx.receive("486", status: 486))
        #expect(tx.state == .completed)
        #expect(clock.armed[.d] == .seconds(32))
        clock.apply(tx.receive("486", status: 486))
        #expect(clock.log.map(\.1) == ["send", "deliver", "ack", "deliver", "ack"])
        _ = clock.next()
        clock.apply(tx.timerFired(.d))
        #expect(tx.state == .terminated)
    }

    @Test func invite2xxMovesToAcceptedAndDeliversEvery2xxUntilTimerM() {
        var tx = ClientTransaction(request: "INVITE", isInvite: true, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        clock.apply(tx.receive("200", status: 200))
        #expect(tx.state == .accepted)   // RFC 6026 §8.4
        #expect(clock.armed == [.m: .seconds(32)])
        clock.apply(tx.receive("200 again", status: 200))
        clock.apply(tx.receive("486 late", status: 486))
        #expect(clock.log.map(\.1) == ["send", "deliver", "deliver"], "a retransmitted 2xx reaches the TU, a late failure does not")
        _ = clock.next()
        clock.apply(tx.timerFired(.m))
        #expect(tx.state == .terminated)
        #expect(clock.log.last?.1 == "terminated")
    }

    @Test func reliableTransportsDoNotRetransmit() {
        var tx = ClientTransaction(request: "REGISTER", isInvite: false, reliable: true, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        #expect(clock.armed.keys.sorted { $0.rawValue < $1.rawValue } == [.f])
        clock.apply(tx.receive("401", status: 401))
        #expect(tx.state == .terminated)
    }

    @Test func transportErrorEndsIt() {
        var tx = ClientTransaction(request: "REGISTER", isInvite: false, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.start())
        clock.apply(tx.transportFailed())
        #expect(clock.log.map(\.1) == ["send", "error", "terminated"])
        #expect(clock.armed.isEmpty)
    }
}

@Suite struct ServerTransactionTests {
    let timers = TransactionTimers()

    @Test func inviteFinalIsRetransmittedUntilAckThenTimerI() {
        var tx = ServerTransaction<String>(isInvite: true, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.respond("180", status: 180))
        clock.apply(tx.respond("486", status: 486))
        for _ in 0..<4 {
            guard let t = clock.next() else { break }
            clock.apply(tx.timerFired(t))
        }
        #expect(clock.times(of: "send") == [.zero, .zero, .milliseconds(500), .milliseconds(1500),
                                             .milliseconds(3500), .milliseconds(7500)])
        clock.apply(tx.ackReceived())
        #expect(tx.state == .confirmed)
        #expect(clock.armed.keys.map(\.rawValue) == ["I"])
        _ = clock.next()
        clock.apply(tx.timerFired(.i))
        #expect(tx.state == .terminated)
    }

    @Test func noAckTimesOutWithTimerH() {
        var tx = ServerTransaction<String>(isInvite: true, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        clock.apply(tx.respond("603", status: 603))
        while let t = clock.next() { clock.apply(tx.timerFired(t)) }
        #expect(clock.times(of: "timeout") == [.seconds(32)])
        // G intervals cap at T2: 0.5, 1, 2, 4, 4 …
        let sends = clock.times(of: "send")
        #expect(sends.prefix(6) == [.zero, .milliseconds(500), .milliseconds(1500), .milliseconds(3500),
                                    .milliseconds(7500), .milliseconds(11500)])
    }

    @Test func nonInviteRepeatsItsLastResponseToRetransmissions() {
        var tx = ServerTransaction<String>(isInvite: false, reliable: false, timers: timers)
        var clock = TimerDriver<String>()
        #expect(tx.requestRetransmitted().isEmpty)   // nothing sent yet
        clock.apply(tx.respond("200", status: 200))
        #expect(tx.state == .completed)
        clock.apply(tx.requestRetransmitted())
        #expect(clock.times(of: "send").count == 2)
        #expect(clock.armed[.j] == .seconds(32))
        _ = clock.next()
        clock.apply(tx.timerFired(.j))
        #expect(tx.state == .terminated)
    }
}
