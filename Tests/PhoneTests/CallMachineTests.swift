import Phone
import Provisioning
import TestKit
import Testing

// The call machine under its own API (GUIDE.md §5.4, §9.3, §10.1, §10.17, §11.3): events in,
// the exact action list out. No clock: where a timer is armed the test sees
// `.armDigitTimer(seconds:)` and fires it with `digitTimerFired()`.

/// GUIDE.md §5.6, verbatim.
let guidePlanText = GuideExamples.dialPlan

func guidePlan() throws -> DialPlanning {
    DialPlanning(template: try DialTemplate.parse(Array(guidePlanText.utf8)), line: 1)
}

/// The §5.6 plan without its catch-all `*` rule: the only way a digit can match nothing.
func guidePlanWithoutCatchAll() throws -> DialPlanning {
    let text = guidePlanText.split(separator: "\n").filter { !$0.contains("MATCH=\"*\"") }.joined(separator: "\n")
    return DialPlanning(template: try DialTemplate.parse(Array(text.utf8)), line: 1)
}

/// No DIALTEMPLATE: `#` dials, else the 10 s inter-digit time-out or Dial.
let noPlan = DialPlanning(template: nil, line: 1)

typealias Action = CallMachine.Action

/// A machine that has dialled `number` (no plan, `#`): INVITE sent, proceeding.
func proceeding(_ number: String = "2001") -> CallMachine {
    var (m, _) = CallMachine.offHook(plan: noPlan)
    for c in number + "#" { _ = m.digit(c) }
    return m
}

@Suite struct CallMachineDialToneTests {
    @Test func offHookPlaysDialTone() {
        let (m, actions) = CallMachine.offHook(plan: noPlan)
        #expect(actions == [.tone(.dial), .status("Enter number")])
        #expect(m.state == .offHook)
        #expect(m.direction == .outgoing)
        #expect(m.digits == "")
    }

    @Test func firstDigitStopsTheToneLaterDigitsDoNot() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.digit("5") == [.tone(nil), .cancelDigitTimer, .armDigitTimer(seconds: 10), .status("5")])
        #expect(m.state == .dialing)
        #expect(m.digit("5") == [.cancelDigitTimer, .armDigitTimer(seconds: 10), .status("55")])
        #expect(m.digits == "55")
    }
}

@Suite struct CallMachineNoPlanTests {
    @Test func poundDials() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        _ = m.digit("2")
        _ = m.digit("0")
        #expect(m.digit("#") == [.cancelDigitTimer, .tone(nil), .invite(DialStep(.dial, number: "20")), .status("Calling 20")])
        #expect(m.state == .proceeding)
        #expect(m.dialed == DialStep(.dial, number: "20"))
        #expect(m.statusLine == "Calling 20")
    }

    @Test func interDigitTimeOutDials() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.digit("7").contains(.armDigitTimer(seconds: 10)))
        #expect(m.digit("1") == [.cancelDigitTimer, .armDigitTimer(seconds: 10), .status("71")])
        #expect(m.digitTimerFired() == [.cancelDigitTimer, .tone(nil), .invite(DialStep(.dial, number: "71")), .status("Calling 71")])
        #expect(m.state == .proceeding)
        // A late timer after the INVITE does nothing.
        #expect(m.digitTimerFired() == [])
    }

    @Test func dialSoftKeyDials() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.dialKey() == [])   // nothing keyed yet: Dial does nothing
        _ = m.digit("4")
        #expect(m.dialKey() == [.cancelDigitTimer, .tone(nil), .invite(DialStep(.dial, number: "4")), .status("Calling 4")])
        #expect(m.state == .proceeding)
    }

    @Test func backspaceRemovesDigitsThenBackToDialTone() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.backspace() == [])   // nothing to remove
        _ = m.digit("1")
        _ = m.digit("2")
        #expect(m.backspace() == [.cancelDigitTimer, .armDigitTimer(seconds: 10), .status("1")])
        #expect(m.digits == "1")
        #expect(m.backspace() == [.cancelDigitTimer, .tone(.dial), .status("Enter number")])
        #expect(m.state == .offHook)
        #expect(m.digits == "")
        // Dialling again starts over: the dial tone stops at the first digit.
        #expect(m.digit("3") == [.tone(nil), .cancelDigitTimer, .armDigitTimer(seconds: 10), .status("3")])
    }

    /// `#` is the Dial key, not part of the number (GUIDE.md §5.2): `#` alone dials nothing
    /// (a Request-URI `sip:#@…` is not even a valid URI, RFC 3261 §25.1).
    @Test func poundAloneDialsNothing() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.digit("#") == [.tone(nil), .cancelDigitTimer, .armDigitTimer(seconds: 10), .status("#")])
        #expect(m.digitTimerFired() == [.cancelDigitTimer, .tone(.reorder), .status("Unknown number")])
        #expect(m.state == .released)
        var (k, _) = CallMachine.offHook(plan: noPlan)
        _ = k.digit("#")
        #expect(k.dialKey() == [.cancelDigitTimer, .tone(.reorder), .status("Unknown number")])
    }

    @Test func redialGoesStraightToTheInvite() {
        let step = DialStep(.dial, number: "2001")
        let (m, actions) = CallMachine.dialing(step, plan: noPlan)
        #expect(actions == [.cancelDigitTimer, .tone(nil), .invite(step), .status("Calling 2001")])
        #expect(m.state == .proceeding)
    }
}

@Suite struct CallMachineDialPlanTests {
    @Test func emergencyDialsAtOnceByTheEmergencyRoute() throws {
        var (m, _) = CallMachine.offHook(plan: try guidePlan())
        #expect(m.digit("9") == [.tone(nil), .cancelDigitTimer, .tone(.secondaryDial("Bellcore-Outside")), .armDigitTimer(seconds: 10),
                                 .status("9")])
        #expect(m.digit("1") == [.cancelDigitTimer, .armDigitTimer(seconds: 10), .status("91")])
        let emergency = DialStep(.dial, number: "911", userParameter: "phone", emergency: true)
        #expect(m.digit("1") == [.cancelDigitTimer, .tone(nil), .invite(emergency), .status("Calling 911")])
        #expect(m.state == .proceeding)
    }

    @Test func nineGivesTheSecondaryDialTone() throws {
        var (m, _) = CallMachine.offHook(plan: try guidePlan())
        #expect(m.digit("9").contains(.tone(.secondaryDial("Bellcore-Outside"))))
        #expect(m.state == .dialing)
        // Seven digits after it: the rule's 3 s, then dialled rewritten.
        for c in "555123" { _ = m.digit(c) }
        #expect(m.digit("4") == [.cancelDigitTimer, .armDigitTimer(seconds: 3), .status("95551234")])
        let rewritten = DialStep(.dial, number: "14085551234", userParameter: "phone")
        #expect(m.digitTimerFired() == [.cancelDigitTimer, .tone(nil), .invite(rewritten), .status("Calling 14085551234")])
    }

    @Test func extensionDialsAtTheFourthDigit() throws {
        var (m, _) = CallMachine.offHook(plan: try guidePlan())
        #expect(m.digit("2") == [.tone(nil), .cancelDigitTimer, .armDigitTimer(seconds: 10), .status("2")])
        #expect(m.digit("1") == [.cancelDigitTimer, .armDigitTimer(seconds: 10), .status("21")])
        #expect(m.digit("2") == [.cancelDigitTimer, .armDigitTimer(seconds: 10), .status("212")])
        #expect(m.digit("3") == [.cancelDigitTimer, .tone(nil), .invite(DialStep(.dial, number: "2123")), .status("Calling 2123")])
        #expect(m.state == .proceeding)
    }

    @Test func catchAllRuleDialsAfterItsTimeout() throws {
        var (m, _) = CallMachine.offHook(plan: try guidePlan())
        #expect(m.digit("5") == [.tone(nil), .cancelDigitTimer, .armDigitTimer(seconds: 5), .status("5")])
        #expect(m.digitTimerFired() == [.cancelDigitTimer, .tone(nil), .invite(DialStep(.dial, number: "5")), .status("Calling 5")])
    }

    @Test func noMatchPlaysReorderAndReleases() throws {
        var (m, _) = CallMachine.offHook(plan: try guidePlanWithoutCatchAll())
        #expect(m.digit("3") == [.tone(nil), .cancelDigitTimer, .tone(.reorder), .status("Unknown number")])
        #expect(m.state == .released)
        // Further keys do nothing; on hook ends it.
        #expect(m.digit("4") == [])
        #expect(m.dialKey() == [])
        #expect(m.hangUp() == [.cancelDigitTimer, .tone(nil), .ended])
    }

    @Test func timerWithoutACompleteMatchIsNoMatch() throws {
        var (m, _) = CallMachine.offHook(plan: try guidePlanWithoutCatchAll())
        _ = m.digit("2")
        _ = m.digit("1")
        #expect(m.digitTimerFired() == [.cancelDigitTimer, .tone(.reorder), .status("Unknown number")])
        #expect(m.state == .released)
    }
}

@Suite struct CallMachineOutgoingTests {
    @Test func hundredTryingChangesNothing() {
        var m = proceeding()
        #expect(m.signal(.provisional(status: 100, earlyMedia: false)) == [])
        #expect(m.state == .proceeding)
    }

    @Test func ringingPlaysRingBackOnce() {
        var m = proceeding()
        #expect(m.signal(.provisional(status: 180, earlyMedia: false)) == [.tone(.ringback), .status("Ring out")])
        #expect(m.state == .ringback)
        #expect(m.signal(.provisional(status: 180, earlyMedia: false)) == [])
    }

    @Test(arguments: [181, 182, 183])
    func otherProvisionalsWithoutSDPAreLikeTrying(status: Int) {
        var m = proceeding()
        #expect(m.signal(.provisional(status: status, earlyMedia: false)) == [])
        #expect(m.state == .proceeding)
    }

    @Test func sessionProgressWithEarlyMediaStopsTheTone() {
        var m = proceeding()
        #expect(m.signal(.provisional(status: 183, earlyMedia: true)) == [.tone(nil), .status("Ring out")])
        #expect(m.state == .earlyMedia)
        #expect(m.signal(.provisional(status: 183, earlyMedia: true)) == [])
        // A later 180 does not bring back local ring-back over the far end's audio.
        #expect(m.signal(.provisional(status: 180, earlyMedia: false)) == [])
        #expect(m.state == .earlyMedia)
    }

    @Test func earlyMediaAfterRingBack() {
        var m = proceeding()
        _ = m.signal(.provisional(status: 180, earlyMedia: false))
        #expect(m.signal(.provisional(status: 183, earlyMedia: true)) == [.tone(nil), .status("Ring out")])
        #expect(m.state == .earlyMedia)
    }

    @Test func answeredConnects() {
        var m = proceeding()
        _ = m.signal(.provisional(status: 180, earlyMedia: false))
        #expect(m.signal(.answered) == [.tone(nil), .status("Connected")])
        #expect(m.state == .connected)
        #expect(m.signal(.answered) == [])   // a retransmitted 2xx
    }

    @Test func answeredFromProceedingAndEarlyMedia() {
        var a = proceeding()
        #expect(a.signal(.answered) == [.tone(nil), .status("Connected")])
        var b = proceeding()
        _ = b.signal(.provisional(status: 183, earlyMedia: true))
        #expect(b.signal(.answered) == [.tone(nil), .status("Connected")])
        #expect(b.state == .connected)
    }

    @Test(arguments: [(486, "Busy Here"), (600, "Busy Everywhere"), (603, "Decline")])
    func busyStatusesPlayBusy(status: Int, reason: String) {
        var m = proceeding()
        _ = m.signal(.provisional(status: 180, earlyMedia: false))
        #expect(m.signal(.failed(status: status, reason: reason)) == [.tone(.busy), .status("Busy")])
        #expect(m.state == .released)
        #expect(m.hangUp() == [.cancelDigitTimer, .tone(nil), .ended])
    }

    @Test(arguments: [(404, "Not Found"), (500, "Server Internal Error"), (503, "Service Unavailable"), (408, "Request Timeout")])
    func otherFailuresPlayReorderWithTheReason(status: Int, reason: String) {
        var m = proceeding()
        #expect(m.signal(.failed(status: status, reason: reason)) == [.tone(.reorder), .status("\(status) \(reason)")])
        #expect(m.state == .released)
        #expect(m.statusLine == "\(status) \(reason)")
    }

    @Test func remoteByeEnds() {
        var m = proceeding()
        _ = m.signal(.answered)
        #expect(m.signal(.remoteHangUp) == [.tone(nil), .status("Call ended"), .ended])
        #expect(m.state == .released)
    }

    @Test func digitsWhileConnectedAreSent() {
        var m = proceeding()
        _ = m.signal(.answered)
        #expect(m.digit("5") == [.sendDigit("5")])
        #expect(m.digit("#") == [.sendDigit("#")])
        #expect(m.digit("*") == [.sendDigit("*")])
        #expect(m.digits == "2001#")   // the dialled digits are unchanged
    }

    @Test func digitsWhileRingingOutAreIgnored() {
        var m = proceeding()
        _ = m.signal(.provisional(status: 180, earlyMedia: false))
        #expect(m.digit("5") == [])
    }
}

@Suite struct CallMachineHangUpTests {
    @Test func onHookWithDialTone() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.hangUp() == [.cancelDigitTimer, .tone(nil), .ended])
        #expect(m.state == .released)
    }

    @Test func onHookWhileDialling() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        _ = m.digit("1")
        #expect(m.hangUp() == [.cancelDigitTimer, .tone(nil), .ended])
        #expect(m.digitTimerFired() == [])   // a timer that fires anyway does nothing
    }

    @Test func onHookWhileProceeding() {
        var m = proceeding()
        #expect(m.hangUp() == [.tone(nil), .cancelInvite, .ended])
        #expect(m.state == .released)
    }

    @Test func onHookWhileRingingOut() {
        var m = proceeding()
        _ = m.signal(.provisional(status: 180, earlyMedia: false))
        #expect(m.hangUp() == [.tone(nil), .cancelInvite, .ended])
        // The 487 (or a late answer) after it changes nothing for the user.
        #expect(m.signal(.failed(status: 487, reason: "Request Terminated")) == [])
        #expect(m.signal(.answered) == [])
    }

    @Test func onHookDuringEarlyMedia() {
        var m = proceeding()
        _ = m.signal(.provisional(status: 183, earlyMedia: true))
        #expect(m.hangUp() == [.tone(nil), .cancelInvite, .ended])
    }

    @Test func onHookConnected() {
        var m = proceeding()
        _ = m.signal(.answered)
        #expect(m.hangUp() == [.tone(nil), .hangUp, .ended])
    }

    @Test func endCallWhileRingingRejectsBusy() {
        var (m, _) = CallMachine.incoming(from: "bob", plan: noPlan)
        #expect(m.hangUp() == [.ring(false), .reject(486), .ended])
        #expect(m.state == .released)
    }

    @Test func onHookAfterRelease() {
        var m = proceeding()
        _ = m.signal(.failed(status: 404, reason: "Not Found"))
        #expect(m.hangUp() == [.cancelDigitTimer, .tone(nil), .ended])
    }
}

@Suite struct CallMachineIncomingTests {
    @Test func incomingRings() {
        let (m, actions) = CallMachine.incoming(from: "bob", plan: noPlan)
        #expect(actions == [.ring(true), .status("From bob")])
        #expect(m.state == .ringing)
        #expect(m.direction == .incoming)
    }

    @Test func answerConnects() {
        var (m, _) = CallMachine.incoming(from: "bob", plan: noPlan)
        #expect(m.answer() == [.ring(false), .answer, .status("Connected")])
        #expect(m.state == .connected)
        #expect(m.answer() == [])
        #expect(m.digit("1") == [.sendDigit("1")])
        #expect(m.signal(.remoteHangUp) == [.tone(nil), .status("Call ended"), .ended])
    }

    @Test func remoteCancelWhileRingingEnds() {
        var (m, _) = CallMachine.incoming(from: "bob", plan: noPlan)
        #expect(m.signal(.remoteCancel) == [.ring(false), .status("Missed call"), .ended])
        #expect(m.state == .released)
        #expect(m.answer() == [])
    }

    /// The CANCEL can still come after Answer when the 200 has not gone yet (its stream was
    /// being opened): the call ends.
    @Test func remoteCancelAfterAnswerEnds() {
        var (m, _) = CallMachine.incoming(from: "bob", plan: noPlan)
        _ = m.answer()
        #expect(m.signal(.remoteCancel) == [.tone(nil), .status("Call ended"), .ended])
        #expect(m.state == .released)
    }

    @Test func keysWhileRingingDoNothing() {
        var (m, _) = CallMachine.incoming(from: "bob", plan: noPlan)
        #expect(m.digit("1") == [])
        #expect(m.dialKey() == [])
        #expect(m.backspace() == [])
        #expect(m.digitTimerFired() == [])
        #expect(m.state == .ringing)
    }

    @Test func answerOnlyWhileRinging() {
        var (m, _) = CallMachine.offHook(plan: noPlan)
        #expect(m.answer() == [])
        #expect(m.signal(.remoteCancel) == [])
    }
}
