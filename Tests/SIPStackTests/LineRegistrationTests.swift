import SIPMessage
import Testing
@testable import SIPStack

@Suite struct LineRegistrationTests {
    typealias R = LineRegistration
    static let challenge = DigestAuthentication.Challenge(realm: "deskphone.test", nonce: "n1", qop: ["auth"])

    func sends(_ actions: [R.Action]) -> [R.RegisterAttempt] {
        actions.compactMap { if case .send(let a) = $0 { return a } else { return nil } }
    }

    func armed(_ actions: [R.Action], _ t: R.Timer) -> Duration? {
        actions.compactMap { if case .arm(let x, let d) = $0, x == t { return d } else { return nil } }.first
    }

    @Test func challengeAnswerThenRegisteredAndRefreshedBeforeExpiry() throws {
        var r = R(settings: .init(expires: 3600, delta: 5))
        let first = try #require(sends(r.start()).first)
        #expect(first == .init(server: .primary, cseq: 1, expires: 3600, challenge: nil, isProxyChallenge: false, isProbe: false))
        let second = try #require(sends(r.outcome(.response(status: 401, expires: nil, challenge: Self.challenge, minExpires: nil), cseq: 1)).first)
        #expect(second.cseq == 2 && second.challenge == Self.challenge && !second.isProxyChallenge)
        #expect(r.sentCredentials)
        let ok = r.outcome(.response(status: 200, expires: 1800, challenge: nil, minExpires: nil), cseq: 2)
        #expect(r.state == .registered)
        #expect(r.granted == 1800)
        #expect(armed(ok, .refresh) == .seconds(1795))
        let refresh = sends(r.timerFired(.refresh))
        #expect(refresh.first?.cseq == 3)
        #expect(r.state == .registering)
    }

    @Test func shortGrantsRefreshAtHalf() {
        var r = R(settings: .init(expires: 60, delta: 50))
        _ = r.start()
        let ok = r.outcome(.response(status: 200, expires: 60, challenge: nil, minExpires: nil), cseq: 1)
        #expect(armed(ok, .refresh) == .seconds(30))
    }

    @Test func wrongPasswordFailsTheLineAndRetriesLater() {
        var r = R(settings: .init())
        _ = r.start()
        _ = r.outcome(.response(status: 401, expires: nil, challenge: Self.challenge, minExpires: nil), cseq: 1)
        var again = Self.challenge
        again.nonce = "n2"
        let failed = r.outcome(.response(status: 401, expires: nil, challenge: again, minExpires: nil), cseq: 2)
        #expect(r.state == .failed)
        #expect(failed.contains(.stateChanged(.failed, reason: "401: credentials refused (check line authname/password)")))
        #expect(armed(failed, .retry) == .seconds(30))
        #expect(sends(failed).isEmpty)
        // a stale nonce is answered again instead
        var r2 = R(settings: .init())
        _ = r2.start()
        _ = r2.outcome(.response(status: 407, expires: nil, challenge: Self.challenge, minExpires: nil), cseq: 1)
        var stale = Self.challenge
        stale.stale = true
        #expect(sends(r2.outcome(.response(status: 407, expires: nil, challenge: stale, minExpires: nil), cseq: 2)).first?.isProxyChallenge == true)
    }

    @Test func retriesBackOffToTenMinutes() {
        var r = R(settings: .init())
        _ = r.start()
        var delays: [Duration] = []
        for _ in 0..<7 {
            let a = r.outcome(.response(status: 503, expires: nil, challenge: nil, minExpires: nil), cseq: r.cseq)
            if let d = armed(a, .retry) { delays.append(d) }
            _ = r.timerFired(.retry)
        }
        #expect(delays == [.seconds(30), .seconds(60), .seconds(120), .seconds(240), .seconds(480), .seconds(600), .seconds(600)])
    }

    @Test func intervalTooBriefUsesMinExpires() {
        var r = R(settings: .init(expires: 30))
        _ = r.start()
        let next = sends(r.outcome(.response(status: 423, expires: nil, challenge: nil, minExpires: 120), cseq: 1))
        #expect(next.first?.expires == 120)
    }

    @Test func failoverToTheBackupAndBackToThePrimary() throws {
        var r = R(settings: .init(hasBackup: true, primaryProbeInterval: .seconds(60)))
        _ = r.start()
        let toBackup = try #require(sends(r.outcome(.noAnswer, cseq: 1)).first)
        #expect(toBackup.server == .backup)
        let onBackup = r.outcome(.response(status: 200, expires: 3600, challenge: nil, minExpires: nil), cseq: toBackup.cseq)
        #expect(r.state == .registered && r.server == .backup)
        #expect(armed(onBackup, .probePrimary) == .seconds(60))
        // the primary is still silent
        let probe = try #require(sends(r.timerFired(.probePrimary)).first)
        #expect(probe.server == .primary && probe.isProbe)
        #expect(armed(r.outcome(.noAnswer, cseq: probe.cseq, probe: true), .probePrimary) == .seconds(60))
        #expect(r.server == .backup)
        // now it answers (with a challenge first)
        let probe2 = try #require(sends(r.timerFired(.probePrimary)).first)
        let answered = try #require(sends(r.outcome(.response(status: 401, expires: nil, challenge: Self.challenge, minExpires: nil),
                                                    cseq: probe2.cseq, probe: true)).first)
        #expect(answered.isProbe && answered.challenge != nil)
        let back = try #require(sends(r.outcome(.response(status: 200, expires: 3600, challenge: nil, minExpires: nil),
                                                cseq: answered.cseq, probe: true)).first)
        #expect(back.server == .primary && !back.isProbe)
        #expect(r.server == .primary)
    }

    @Test func noBackupMeansFailure() {
        var r = R(settings: .init(hasBackup: false))
        _ = r.start()
        let a = r.outcome(.noAnswer, cseq: 1)
        #expect(r.state == .failed)
        #expect(a.contains(.stateChanged(.failed, reason: "proxy did not answer")))
    }

    @Test func unregisterSendsExpiresZeroAndStaleOutcomesAreIgnored() throws {
        var r = R(settings: .init())
        _ = r.start()
        _ = r.outcome(.response(status: 200, expires: 3600, challenge: nil, minExpires: nil), cseq: 1)
        let bye = try #require(sends(r.unregister()).first)
        #expect(bye.expires == 0 && bye.cseq == 2)
        #expect(r.outcome(.response(status: 200, expires: nil, challenge: nil, minExpires: nil), cseq: 1).isEmpty)
        // the removal is challenged too: answered once, with Expires 0
        let again = try #require(sends(r.outcome(.response(status: 401, expires: nil, challenge: Self.challenge, minExpires: nil), cseq: 2)).first)
        #expect(again.expires == 0 && again.cseq == 3 && again.challenge == Self.challenge)
        #expect(r.state == .unregistering)
        _ = r.outcome(.response(status: 200, expires: nil, challenge: nil, minExpires: nil), cseq: 3)
        #expect(r.state == .idle)
        #expect(r.granted == nil)
    }
}

/// How a registrar's answer becomes the registration machine's outcome.
@Suite struct RegistrationOutcomeTests {

    @Test func theExpiryIsTheOneOfThisPhonesOwnBinding() throws {
        // RFC 3261 §10.2.4: the 200 lists every binding of the AOR; another phone's comes first.
        let ok = try SIPMessage(parsing: "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1\r\n"
            + "From: <sip:620@127.0.0.1>;tag=1\r\nTo: <sip:620@127.0.0.1>;tag=2\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\n"
            + "Contact: <sip:620@10.0.0.9:5060>;expires=3508, <sip:620@10.0.0.2:5062>;expires=120\r\n"
            + "Expires: 999\r\nContent-Length: 0\r\n\r\n")
        guard case .response(200, let expires, nil, nil) = LineRegistration.Outcome(ok, user: "620", contact: ("10.0.0.2", 5062)) else {
            Issue.record("not a plain 200 outcome"); return
        }
        #expect(expires == 120)
        // a binding not listed at all: the Expires header
        guard case .response(200, let fallback, _, _) = LineRegistration.Outcome(ok, user: "620", contact: ("10.0.0.3", 5060)) else {
            Issue.record("not a 200 outcome"); return
        }
        #expect(fallback == 999)
        #expect({ if case .noAnswer = LineRegistration.Outcome(nil, user: "620", contact: ("h", 1)) { true } else { false } }())
    }
}
