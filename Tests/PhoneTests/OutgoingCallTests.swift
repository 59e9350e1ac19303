import NIOCore
@testable import Phone
import Provisioning
import Scheduling
import SDP
import SIPMessage
import TestKit
import Testing

// Outgoing calls over a manual stack (GUIDE.md §9.3, §10.4, §10.17): the INVITE as dialled,
// ring-back, the answer and its ACK, digest authentication once, CANCEL, failures.

@Suite @PhoneLoop struct OutgoingCallTests {
    /// Off hook, `digits` keyed (no dial plan: `#` dials), until the INVITE is out.
    private func dialled(_ digits: String = "2123#", extra: String = "", plan: DialTemplate? = nil) async throws
        -> (PhoneUnderTest, SIPMessage) {
        let phone = try PhoneUnderTest(extra: extra, plan: plan)
        try phone.press(digits)
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let invite = try #require(phone.sink.sent("INVITE").first)
        return (phone, invite)
    }

    @Test func keyingDigitsGoesOffHookWithDialToneThenSilence() throws {
        let phone = try PhoneUnderTest()
        try phone.press("2")
        #expect(phone.calls.offHook)
        #expect(phone.audio.tones == [.dial, nil])
        #expect(phone.calls.info().map(\.state) == [.dialing])
        #expect(phone.calls.softKeys == ["Redial", "EndCall", "<<", "Dial"])
        #expect(phone.sink.sent("INVITE").isEmpty)
    }

    @Test func inviteAsDialled() async throws {
        let (phone, invite) = try await dialled()
        #expect(invite.requestURIText == "sip:2123@127.0.0.1:5070")
        #expect(invite.value("From")?.hasPrefix("<sip:620@127.0.0.1>;tag=") == true)
        #expect(invite.fromTag?.isEmpty == false)
        #expect(invite.value("To") == "<sip:2123@127.0.0.1:5070>")
        #expect(invite.toTag == nil)
        #expect(invite.value("Contact") == "<sip:620@127.0.0.1:5060>")
        #expect(invite.value("Content-Type") == "application/sdp")
        #expect(invite.value("CSeq") == "1 INVITE")
        #expect(invite.value("Max-Forwards") == "70")
        #expect(invite.topBranch?.hasPrefix("z9hG4bK") == true)
        #expect(invite.value("Expires") == "180", "timer_invite_expires")
        #expect(invite.value("Allow")?.contains("INVITE") == true)
        #expect(invite.value("User-Agent") == "Deskphone")
        let destination = try #require(phone.sink.sent.first { $0.message?.method == "INVITE" }?.destination)
        #expect(destination == (try SocketAddress(ipAddress: "127.0.0.1", port: 5070)))

        let offer = try SDPSession(parsing: Array(invite.body))
        let audio = try #require(offer.media.first)
        #expect(audio.media == "audio")
        #expect(audio.port == 40000)
        #expect(audio.formats == ["0", "8", "18", "101"], "preferred_codec g711ulaw first, then PCMA, G.729, telephone-event (GUIDE.md §9.5)")
        #expect(invite.bodyText.contains("c=IN IP4 127.0.0.1"))
        #expect(phone.audio.streams.count == 1)
        #expect(phone.calls.info().map(\.state) == [.proceeding])
        #expect(phone.calls.status == "Calling 2123")
    }

    @Test func ringingThenAnsweredAcksWithTheDialogsValuesAndAppliesTheStream() async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, 100, toTag: nil))
        #expect(phone.calls.info().map(\.state) == [.proceeding])
        phone.stack.receive(peerResponse(to: invite, 180))
        #expect(phone.audio.lastTone == .some(.ringback))
        #expect(phone.calls.info().map(\.state) == [.ringback])
        #expect(phone.calls.softKeys == ["EndCall"])

        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        let ack = try #require(phone.sink.sent("ACK").first)
        #expect(ack.requestURIText == "sip:callee@127.0.0.1:5070", "the ACK goes to the 200's Contact")
        #expect(ack.value("CSeq") == "1 ACK")
        #expect(ack.callIDText == invite.callIDText)
        #expect(ack.fromTag == invite.fromTag)
        #expect(ack.toTag == "calleetag")
        #expect(ack.topBranch != invite.topBranch, "a 2xx ACK is a new transaction")
        #expect(ack.body.isEmpty)
        let stream = try #require(phone.audio.streams.first)
        #expect(stream.applied.count == 1)
        #expect(stream.applied.first?.codec == .pcmu)
        #expect(stream.applied.first?.remoteAddress == "127.0.0.1")
        #expect(stream.applied.first?.remotePort == 30000)
        #expect(stream.applied.first?.dtmfPayloadType == 101)
        #expect(phone.audio.lastTone == .some(nil))
        #expect(phone.calls.info().map(\.state) == [.connected])
        #expect(phone.calls.info().first?.remoteTag == "calleetag")

        // The 200 again: ACKed again, nothing else changes.
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        #expect(phone.sink.sent("ACK").count == 2)
        #expect(stream.applied.count == 1)

        // Digits go to the stream; on hook sends the BYE with the next CSeq.
        try phone.press("1#")
        #expect(stream.digits == ["1", "#"])
        phone.calls.setOffHook(false)
        let bye = try #require(phone.sink.sent("BYE").first)
        #expect(bye.requestURIText == "sip:callee@127.0.0.1:5070")
        #expect(bye.value("CSeq") == "2 BYE")
        #expect(bye.toTag == "calleetag")
        #expect(bye.fromTag == invite.fromTag)
        #expect(phone.calls.info().isEmpty)
        #expect(!stream.isClosed, "open until the BYE is answered")
        phone.stack.answer(bye, 200)
        #expect(stream.isClosed)
    }

    @Test func sessionProgressWithSDPIsEarlyMedia() async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, 180))
        phone.stack.receive(peerResponse(to: invite, 183, sdp: answerSDP(8)))
        let stream = try #require(phone.audio.streams.first)
        #expect(stream.applied.map(\.codec) == [.pcma])
        #expect(phone.audio.lastTone == .some(nil), "the ring-back stops for the far end's audio")
        #expect(phone.calls.info().map(\.state) == [.earlyMedia])
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(8)))
        #expect(phone.sink.sent("ACK").count == 1)
        #expect(phone.calls.info().map(\.state) == [.connected])
    }

    @Test func unauthorizedIsAnsweredExactlyOnce() async throws {
        let (phone, invite) = try await dialled()
        let challenge = ("WWW-Authenticate", "Digest realm=\"deskphone.test\", nonce=\"n0nce\", algorithm=MD5, qop=\"auth\"")
        phone.stack.receive(peerResponse(to: invite, 401, toTag: "auth1", headers: [challenge]))
        // The transaction ACKs the 401 on the INVITE's branch.
        #expect(phone.sink.sent("ACK").first?.topBranch == invite.topBranch)
        #expect(await phone.settle { phone.sink.sent("INVITE").count == 2 })
        let retry = try #require(phone.sink.sent("INVITE").last)
        #expect(retry.value("CSeq") == "2 INVITE")
        #expect(retry.callIDText == invite.callIDText)
        #expect(retry.fromTag == invite.fromTag)
        #expect(retry.topBranch != invite.topBranch)
        #expect(retry.requestURIText == invite.requestURIText)
        #expect(retry.bodyText == invite.bodyText, "the same offer")
        let authorization = try #require(retry.value("Authorization"))
        #expect(authorization.hasPrefix("Digest "))
        #expect(authorization.contains("username=\"620\""))
        #expect(authorization.contains("realm=\"deskphone.test\""))
        #expect(authorization.contains("nonce=\"n0nce\""))
        #expect(authorization.contains("uri=\"sip:2123@127.0.0.1:5070\""))
        #expect(retry.value("Proxy-Authorization") == nil)

        // Challenged again: no third INVITE, the call fails with the reason shown.
        phone.stack.receive(peerResponse(to: retry, 401, toTag: "auth2", headers: [challenge]))
        await phone.drain()
        #expect(phone.sink.sent("INVITE").count == 2)
        #expect(phone.audio.lastTone == .some(.reorder))
        #expect(phone.calls.status == "401 Unauthorized")
        #expect(phone.calls.info().map(\.state) == [.released])
    }

    @Test func proxyAuthenticationRequiredIsAnsweredWithProxyAuthorization() async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, 407, toTag: "auth1",
                                         headers: [("Proxy-Authenticate", "Digest realm=\"proxy.test\", nonce=\"p1\"")]))
        #expect(await phone.settle { phone.sink.sent("INVITE").count == 2 })
        let retry = try #require(phone.sink.sent("INVITE").last)
        #expect(retry.value("CSeq") == "2 INVITE")
        #expect(retry.value("Proxy-Authorization")?.contains("realm=\"proxy.test\"") == true)
        #expect(retry.value("Authorization") == nil)
    }

    @Test func hangUpAfterRingingCancelsWithTheInvitesBranchAndCSeq() async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, 180))
        phone.calls.setOffHook(false)
        let cancel = try #require(phone.sink.sent("CANCEL").first)
        #expect(cancel.topBranch == invite.topBranch)
        #expect(cancel.value("CSeq") == "1 CANCEL")
        #expect(cancel.requestURIText == invite.requestURIText)
        #expect(cancel.callIDText == invite.callIDText)
        #expect(cancel.fromTag == invite.fromTag)
        #expect(cancel.toTag == nil)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.streams.first?.isClosed == true)
        #expect(phone.audio.lastTone == .some(nil))

        phone.stack.receive(peerResponse(to: cancel, 200, toTag: nil))
        phone.stack.receive(peerResponse(to: invite, 487))
        // The transaction ACKs the 487; the call layer shows nothing more.
        #expect(phone.sink.sent("ACK").count == 1)
        #expect(phone.sink.sent("ACK").first?.topBranch == invite.topBranch)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.sink.sent("BYE").isEmpty)
    }

    @Test func hangUpBeforeAnyResponseCancelsAtTheFirstProvisional() async throws {
        let (phone, invite) = try await dialled()
        phone.calls.setOffHook(false)
        #expect(phone.sink.sent("CANCEL").isEmpty, "RFC 3261 §9.1: not before a provisional")
        phone.stack.receive(peerResponse(to: invite, 100, toTag: nil))
        #expect(phone.sink.sent("CANCEL").first?.topBranch == invite.topBranch)
    }

    /// RFC 3261 §15, CallSession.abandoned: a 200 that crosses the CANCEL is ACKed and the call
    /// BYEd at once.
    @Test func answerCrossingTheCancelIsAckedAndByed() async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, 180))
        phone.calls.setOffHook(false)
        #expect(phone.sink.sent("CANCEL").count == 1)
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        await phone.drain()
        let ack = try #require(phone.sink.sent("ACK").first)
        #expect(ack.toTag == "calleetag")
        #expect(ack.value("CSeq") == "1 ACK")
        let bye = try #require(phone.sink.sent("BYE").first)
        #expect(bye.toTag == "calleetag")
        #expect(bye.value("CSeq") == "2 BYE")
        #expect(phone.calls.info().isEmpty)
        // Nothing is left of the dialog once the transactions are over: a request in it is
        // 481, not silence.
        phone.timers.advance(by: phone.t1 * 64 + .seconds(10))
        phone.stack.receive(inDialogRequest("INFO", branch: "z9hG4bK-info1", callID: invite.callIDText ?? "",
                                            fromTag: "calleetag", toTag: invite.fromTag, cseq: 5))
        #expect(phone.responses(481, to: "INFO").count == 1)
    }

    /// On hook before any response, then a 200 straight away: no CANCEL could go (§9.1), the
    /// 200 is ACKed and the call BYEd.
    @Test func answerAfterHangingUpBeforeAnyResponseIsAckedAndByed() async throws {
        let (phone, invite) = try await dialled()
        phone.calls.setOffHook(false)
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        #expect(phone.sink.sent("CANCEL").isEmpty)
        #expect(phone.sink.sent("ACK").count == 1)
        #expect(phone.sink.sent("BYE").count == 1)
        #expect(phone.calls.info().isEmpty)
    }

    @Test(arguments: [(486, "Busy Here"), (600, "Busy Everywhere"), (603, "Decline")])
    func busyPlaysBusyUntilOnHook(status: Int, reason: String) async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, status, reason: reason))
        #expect(phone.audio.lastTone == .some(.busy))
        #expect(phone.calls.status == "Busy")
        #expect(phone.calls.info().map(\.state) == [.released])
        #expect(phone.sink.sent("ACK").count == 1)
        phone.calls.setOffHook(false)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.lastTone == .some(nil))
        #expect(phone.audio.streams.first?.isClosed == true)
    }

    @Test(arguments: [404, 503])
    func failurePlaysReorderWithTheReason(status: Int) async throws {
        let (phone, invite) = try await dialled()
        phone.stack.receive(peerResponse(to: invite, status))
        #expect(phone.audio.lastTone == .some(.reorder))
        let reason = status == 404 ? "Not Found" : "Service Unavailable"
        #expect(phone.calls.status == "\(status) \(reason)")
        #expect(phone.calls.info().map(\.state) == [.released])
    }

    @Test func emergencyNumberGoesToTheEmergencyProxyWithUserPhone() async throws {
        let template = try DialTemplate.parse(Array(guidePlanText.utf8))
        let (phone, invite) = try await dialled("911", extra: "proxy_emergency: \"127.0.0.1\"\nproxy_emergency_port: 5080\n",
                                                plan: template)
        #expect(invite.requestURIText == "sip:911@127.0.0.1:5080;user=phone")
        let destination = try #require(phone.sink.sent.first { $0.message?.method == "INVITE" }?.destination)
        #expect(destination.port == 5080)
    }

    @Test func extensionOfTheGuidePlanDialsAtTheFourthDigit() async throws {
        let template = try DialTemplate.parse(Array(guidePlanText.utf8))
        let (_, invite) = try await dialled("2123", plan: template)
        #expect(invite.requestURIText == "sip:2123@127.0.0.1:5070")
    }

    @Test func noPlanDialsWhenTheInterDigitTimerRunsOut() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("42")
        phone.timers.advance(by: .seconds(9))
        #expect(phone.sink.sent("INVITE").isEmpty)
        phone.timers.advance(by: .seconds(1))
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        #expect(phone.sink.sent("INVITE").first?.requestURIText == "sip:42@127.0.0.1:5070")
    }

    @Test func dialSoftKeyDials() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("77soft4")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        #expect(phone.sink.sent("INVITE").first?.requestURIText == "sip:77@127.0.0.1:5070")
    }

    @Test func redialAfterACallDialsTheSameNumber() async throws {
        let (phone, invite) = try await dialled("55#")
        phone.stack.receive(peerResponse(to: invite, 486))
        phone.calls.setOffHook(false)
        #expect(phone.calls.lastDialed?.number == "55")
        try phone.press("soft1")   // Redial on the idle keys
        #expect(await phone.settle { phone.sink.sent("INVITE").count == 2 })
        let again = try #require(phone.sink.sent("INVITE").last)
        #expect(again.requestURIText == "sip:55@127.0.0.1:5070")
        #expect(again.callIDText != invite.callIDText)
    }
}

@Suite @PhoneLoop struct OutgoingCallTimeoutTests {
    /// No response at all: timer B (64·T1) fails the call with 408 and reorder.
    @Test func noResponseTimesOutWithReorder() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        phone.timers.advance(by: phone.t1 * 64)
        await phone.drain()
        #expect(phone.audio.lastTone == .some(.reorder))
        #expect(phone.calls.status == "408 Request Timeout")
        #expect(phone.calls.info().map(\.state) == [.released])
    }
}

@Suite @PhoneLoop struct OutgoingCallIdentityTests {
    @Test func displayNameInFrom() async throws {
        let phone = try PhoneUnderTest(extra: "line1_displayname: \"Front Desk\"\n")
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        #expect(phone.sink.sent("INVITE").first?.value("From")?.hasPrefix("\"Front Desk\" <sip:620@127.0.0.1>;tag=") == true)
    }

    @Test func redialWithNothingDialledDoesNothing() throws {
        let phone = try PhoneUnderTest()
        try phone.press("soft1")
        #expect(phone.calls.info().isEmpty)
        #expect(!phone.calls.offHook)
        #expect(phone.audio.tones.isEmpty)
    }
}
