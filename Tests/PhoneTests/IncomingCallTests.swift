@testable import Phone
import Scheduling
import SDP
import SIPMessage
import TestKit
import Testing

// Incoming calls over a manual stack (GUIDE.md §9.3, §10.1, §10.17): 180 while ringing, 486 when
// busy, 200 with the SDP answer retransmitted until its ACK, CANCEL, 488 and 400 before ringing,
// BYE.

@Suite @PhoneLoop struct IncomingCallTests {
    /// An INVITE received and the stream opened for it (the 180 is out, the ringer on).
    private func ringing() async throws -> PhoneUnderTest {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.streams.count == 1 })
        return phone
    }

    @Test func inviteWithSDPRingsAndAnswers180WithATagAndContact() async throws {
        let phone = try await ringing()
        let ringing = try #require(phone.responses(180, to: "INVITE").first)
        let tag = try #require(ringing.toTag)
        #expect(!tag.isEmpty)
        #expect(ringing.value("Contact") == "<sip:620@127.0.0.1:5060>")
        #expect(ringing.callIDText == "call-1@peer")
        #expect(ringing.fromTag == "bobtag")
        #expect(phone.audio.rings == [true])
        #expect(phone.calls.info().map(\.state) == [.ringing])
        #expect(phone.calls.info().first?.direction == .incoming)
        #expect(phone.calls.info().first?.remote == "bob")
        #expect(phone.calls.status == "From bob")
        #expect(phone.calls.softKeys == ["Answer", "EndCall"])
        // Nothing final yet.
        #expect(phone.sink.sent.compactMap(\.message).allSatisfy { ($0.statusCode ?? 0) < 200 })
    }

    /// The volume keys set the ringer while the phone rings (and when it is idle on hook), the
    /// handset's gain once the call is answered; both stay within -12…+12 dB.
    @Test func volumeKeysSetTheRingerWhileItRingsAndTheHandsetInTheCall() async throws {
        let phone = try await ringing()
        try phone.press("volupvolup")
        #expect(phone.audio.ringerVolume == 6 && phone.audio.gain == 0)
        try phone.press("voldnvoldnvoldnvoldnvoldnvoldnvoldn")
        #expect(phone.audio.ringerVolume == -12, "bounded")
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        try phone.press("voldn")
        #expect(phone.audio.gain == -3 && phone.audio.ringerVolume == -12)
    }

    @Test func secondInviteWhileRingingIsBusy() async throws {
        let phone = try await ringing()
        phone.stack.receive(incomingInvite(branch: "z9hG4bK-in2", callID: "call-2@peer", fromTag: "carol"))
        let busy = try #require(phone.responses(486, to: "INVITE").first)
        #expect(busy.callIDText == "call-2@peer")
        #expect(phone.calls.info().count == 1)
        #expect(phone.calls.info().first?.callID == "call-1@peer")
        #expect(phone.audio.rings == [true])
    }

    @Test func inviteForAnotherUserIsNotFound() throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite(user: "999"))
        #expect(phone.responses(404, to: "INVITE").count == 1)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.rings.isEmpty)
    }

    @Test func offHookAnswers200WithSDPRetransmittedUntilTheACK() async throws {
        let phone = try await ringing()
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let ok = try #require(phone.responses(200, to: "INVITE").first)
        let ringingTag = phone.responses(180, to: "INVITE").first?.toTag
        #expect(ok.toTag == ringingTag, "the 180 and the 200 carry the same To tag")
        #expect(ok.value("Content-Type") == "application/sdp")
        #expect(ok.value("Contact") == "<sip:620@127.0.0.1:5060>")
        // The answer takes the offerer's first codec the phone has (PCMA, though PCMU is preferred).
        let answer = try SDPSession(parsing: Array(ok.body))
        let audio = try #require(answer.media.first)
        #expect(audio.port == 40000)
        #expect(audio.formats.first == "8")
        #expect(ok.bodyText.contains("c=IN IP4 127.0.0.1"))
        #expect(phone.audio.rings == [true, false])
        #expect(phone.calls.info().map(\.state) == [.connected])
        let stream = try #require(phone.audio.streams.first)
        #expect(stream.applied.map(\.codec) == [.pcma])
        #expect(stream.applied.first?.remotePort == 30000)
        #expect(stream.applied.first?.remoteAddress == "127.0.0.1")

        // T1, 2·T1, 4·T1 (T2 = 8·T1 by default): one more 200 each.
        let t1 = phone.t1
        phone.timers.advance(by: t1)
        #expect(phone.responses(200, to: "INVITE").count == 2)
        phone.timers.advance(by: t1 * 2)
        #expect(phone.responses(200, to: "INVITE").count == 3)
        phone.timers.advance(by: t1 * 4)
        #expect(phone.responses(200, to: "INVITE").count == 4)
        #expect(phone.sink.sent.compactMap(\.message).filter { $0.statusCode == 200 }.allSatisfy { $0.bodyText == ok.bodyText })

        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: ok.toTag, cseq: 1))
        phone.timers.advance(by: .seconds(64))
        #expect(phone.responses(200, to: "INVITE").count == 4, "no 200 after the ACK")
        #expect(phone.sink.sent("BYE").isEmpty)
        #expect(phone.calls.info().map(\.state) == [.connected])
    }

    @Test func retransmissionIntervalIsCappedAtT2() async throws {
        let phone = try await ringing()
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let t1 = phone.t1, t2 = Duration.milliseconds(phone.sip.t2Milliseconds)
        // 1, 2, 4 T1; then T2 each time.
        phone.timers.advance(by: t1 * 7)
        #expect(phone.responses(200, to: "INVITE").count == 4)
        phone.timers.advance(by: t2 - .milliseconds(1))
        #expect(phone.responses(200, to: "INVITE").count == 4)
        phone.timers.advance(by: .milliseconds(1))
        #expect(phone.responses(200, to: "INVITE").count == 5)
        phone.timers.advance(by: t2)
        #expect(phone.responses(200, to: "INVITE").count == 6)
    }

    @Test func noACKWithin64T1EndsTheCallWithABye() async throws {
        let phone = try await ringing()
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        phone.timers.advance(by: phone.t1 * 64 - .milliseconds(1))
        #expect(phone.sink.sent("BYE").isEmpty)
        // 200s at 0, then T1, 2·T1, 4·T1, then every T2 (8·T1): 0.5 1.5 3.5 7.5 … 31.5 s.
        #expect(phone.responses(200, to: "INVITE").count == 11)
        phone.timers.advance(by: .milliseconds(1))
        // One BYE (its transaction retransmits it while the far end stays silent).
        let byes = phone.sink.sent("BYE")
        #expect(Set(byes.compactMap(\.topBranch)).count == 1)
        #expect(byes.first?.toTag == "bobtag")
        #expect(byes.first?.value("CSeq") == "1 BYE")
        #expect(phone.calls.info().isEmpty)
        phone.timers.advance(by: .seconds(33))   // the BYE's own timer F: the stream is released
        #expect(phone.audio.streams.first?.isClosed == true)
    }

    @Test func cancelWhileRinging() async throws {
        let phone = try await ringing()
        phone.stack.receive(incomingCancel())
        let cancelOK = phone.responses(200, to: "CANCEL")
        #expect(cancelOK.count == 1)
        #expect(phone.responses(487, to: "INVITE").count == 1)
        #expect(phone.responses(200, to: "INVITE").isEmpty)
        #expect(phone.audio.rings == [true, false])
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.streams.first?.isClosed == true)
        // Off hook afterwards is a new outgoing call, not an answer.
        phone.calls.setOffHook(true)
        #expect(phone.calls.info().map(\.direction) == [.outgoing])
        #expect(phone.responses(200, to: "INVITE").isEmpty)
    }

    /// A CANCEL that arrives before the ringing call's stream is open: the stream opened for it
    /// afterwards must not stay open.
    @Test func cancelBeforeTheStreamIsOpenLeavesNoStreamOpen() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        phone.stack.receive(incomingCancel())
        #expect(phone.responses(487, to: "INVITE").count == 1)
        #expect(phone.calls.info().isEmpty)
        await phone.drain()
        #expect(phone.audio.streams.filter { !$0.isClosed }.isEmpty)
    }

    @Test func noCommonCodecIs488WithAWarningBeforeRinging() throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite(sdp: offerSDP([9])))
        let rejected = try #require(phone.responses(488, to: "INVITE").first)
        let warning = try #require(rejected.value("Warning"))
        #expect(warning.hasPrefix("305 "))
        #expect(phone.responses(180, to: "INVITE").isEmpty)
        #expect(phone.audio.rings.isEmpty)
        #expect(phone.calls.info().isEmpty)
    }

    @Test func malformedSDPIs400BeforeRinging() throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite(sdp: "this is not SDP\r\n"))
        let rejected = try #require(phone.responses(400, to: "INVITE").first)
        #expect(rejected.value("Warning")?.hasPrefix("399 ") == true)
        #expect(phone.responses(180, to: "INVITE").isEmpty)
        #expect(phone.audio.rings.isEmpty)
        #expect(phone.calls.info().isEmpty)
    }

    @Test func byeInTheDialogIsAnswered200AndEndsTheCall() async throws {
        let phone = try await ringing()
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let tag = phone.responses(200, to: "INVITE").first?.toTag
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        phone.stack.receive(inDialogRequest("BYE", branch: "z9hG4bK-bye1", toTag: tag, cseq: 2))
        #expect(phone.responses(200, to: "BYE").count == 1)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.streams.first?.isClosed == true)
        // The BYE again (a retransmission) is answered by its transaction; no call comes back.
        phone.stack.receive(inDialogRequest("BYE", branch: "z9hG4bK-bye1", toTag: tag, cseq: 2))
        #expect(phone.calls.info().isEmpty)
    }

    @Test func byeForNoDialogIs481() async throws {
        let phone = try await ringing()
        phone.stack.receive(inDialogRequest("BYE", branch: "z9hG4bK-bye9", toTag: "nosuchtag", cseq: 2))
        #expect(phone.responses(481, to: "BYE").count == 1)
        #expect(phone.calls.info().map(\.state) == [.ringing])
    }

    @Test func endCallWhileRingingRejects486() async throws {
        let phone = try await ringing()
        try phone.press("soft2")   // Answer, EndCall
        #expect(phone.responses(486, to: "INVITE").count == 1)
        #expect(phone.audio.rings == [true, false])
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.streams.first?.isClosed == true)
    }

    @Test func answerSoftKeyAnswers() async throws {
        let phone = try await ringing()
        try phone.press("soft1")
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        #expect(phone.calls.info().map(\.state) == [.connected])
        #expect(phone.calls.softKeys == ["Hold", "EndCall", "Transfer", "more"])
    }

    @Test func hangingUpAnAnsweredCallSendsBye() async throws {
        let phone = try await ringing()
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let tag = phone.responses(200, to: "INVITE").first?.toTag
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        try phone.press("5")
        #expect(phone.audio.streams.first?.digits == ["5"])
        phone.calls.setOffHook(false)
        let bye = try #require(phone.sink.sent("BYE").first)
        #expect(bye.requestURIText == "sip:bob@127.0.0.1:5070")
        #expect(bye.fromTag == tag)
        #expect(bye.toTag == "bobtag")
        #expect(bye.callIDText == "call-1@peer")
        #expect(phone.calls.info().isEmpty)
        // The stream stays open until the BYE is answered (the far end may still send).
        #expect(phone.audio.streams.first?.isClosed == false)
        phone.stack.answer(bye, 200)
        #expect(phone.audio.streams.first?.isClosed == true)
    }
}

@Suite @PhoneLoop struct IncomingCallMoreTests {
    /// Off hook at once, before the stream the answer needs is open: the 200 goes when it is.
    @Test func answeredBeforeTheStreamIsOpen() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let ok = try #require(phone.responses(200, to: "INVITE").first)
        #expect(ok.bodyText.contains("m=audio 40000 RTP/AVP 8 101"))
        #expect(phone.audio.streams.count == 1)
        #expect(phone.audio.streams.first?.applied.map(\.codec) == [.pcma])
    }

    /// An INVITE without SDP: the offer goes in the 200, the answer comes in the ACK.
    @Test func inviteWithoutSDPIsOfferedInThe200AndAnsweredInTheACK() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite(sdp: nil))
        #expect(phone.responses(180, to: "INVITE").count == 1)
        #expect(await phone.settle { phone.audio.streams.count == 1 })
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let ok = try #require(phone.responses(200, to: "INVITE").first)
        #expect(ok.bodyText.contains("m=audio 40000 RTP/AVP 0 8 18 101"))
        let stream = try #require(phone.audio.streams.first)
        #expect(stream.applied.isEmpty)
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: ok.toTag, cseq: 1, body: answerSDP(8)))
        #expect(stream.applied.map(\.codec) == [.pcma])
        phone.timers.advance(by: .seconds(10))
        #expect(phone.responses(200, to: "INVITE").count == 1, "the ACK stopped the retransmissions")
    }

    /// Answered with the Answer soft key (the speaker): on hook afterwards ends the call.
    @Test func answerSoftKeyThenOnHookHangsUp() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        try phone.press("soft1")
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let tag = phone.responses(200, to: "INVITE").first?.toTag
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        #expect(phone.calls.offHook)
        phone.calls.setOffHook(false)
        #expect(phone.sink.sent("BYE").count == 1)
        #expect(phone.calls.info().isEmpty)
    }

    /// A re-INVITE putting the call on hold (sendonly) is answered recvonly and the stream told.
    @Test func holdReInviteIsAnsweredRecvonly() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        let tag = phone.responses(200, to: "INVITE").first?.toTag
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        let hold = offerSDP([8, 0, 101]).replacingSendrecv(with: "sendonly").replacingVersion(1001)
        phone.stack.receive(inDialogRequest("INVITE", branch: "z9hG4bK-hold1", toTag: tag, cseq: 2, body: hold))
        let ok = try #require(phone.responses(200, to: "INVITE").last)
        #expect(ok.value("CSeq") == "2 INVITE")
        #expect(ok.bodyText.contains("a=recvonly"))
        let stream = try #require(phone.audio.streams.first)
        #expect(stream.applied.last?.direction == .recvonly)
        #expect(stream.applied.last?.remoteHold == true)
        #expect(phone.calls.info().map(\.state) == [.connected])
    }
}

extension String {
    func replacingSendrecv(with direction: String) -> String {
        split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0 == "a=sendrecv" ? "a=\(direction)" : String($0) }.joined(separator: "\r\n")
    }

    func replacingVersion(_ version: Int) -> String {
        split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("o=") ? "o=bob 1000 \(version) IN IP4 127.0.0.1" : String($0) }.joined(separator: "\r\n")
    }
}

/// Calls that end while their stream is still being opened (`PhoneAudio.openStream` is async).
@Suite @PhoneLoop struct StreamRaceTests {
    /// Off hook before the stream is open, then the caller CANCELs before the 200 could go:
    /// 487, and the call is over (not left connected without a dialog).
    @Test func cancelAfterAnsweringButBeforeThe200() async throws {
        let phone = try PhoneUnderTest()
        phone.audio.suspendOpens = true
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.pendingOpens == 1 })
        phone.calls.setOffHook(true)
        #expect(phone.responses(200, to: "INVITE").isEmpty)
        phone.stack.receive(incomingCancel())
        #expect(phone.responses(487, to: "INVITE").count == 1)
        #expect(phone.calls.info().isEmpty)
        phone.audio.releaseOpens()
        await phone.drain()
        #expect(phone.responses(200, to: "INVITE").isEmpty)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.streams.filter { !$0.isClosed }.isEmpty, "the stream opened for the ended call is closed")
    }

    /// CANCEL while ringing, before the stream is open: the stream that arrives later is closed.
    @Test func cancelWhileTheStreamIsBeingOpened() async throws {
        let phone = try PhoneUnderTest()
        phone.audio.suspendOpens = true
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.pendingOpens == 1 })
        phone.stack.receive(incomingCancel())
        #expect(phone.calls.info().isEmpty)
        phone.audio.releaseOpens()
        await phone.drain()
        #expect(phone.audio.streams.count == 1)
        #expect(phone.audio.streams.filter { !$0.isClosed }.isEmpty, "the stream opened for the ended call is closed")
    }

    /// On hook while the outgoing call's stream is being opened: no INVITE, the stream closed.
    @Test func hangUpWhileTheOutgoingStreamIsBeingOpened() async throws {
        let phone = try PhoneUnderTest()
        phone.audio.suspendOpens = true
        try phone.press("2123#")
        #expect(await phone.settle { phone.audio.pendingOpens == 1 })
        phone.calls.setOffHook(false)
        phone.audio.releaseOpens()
        await phone.drain()
        #expect(phone.sink.sent("INVITE").isEmpty)
        #expect(phone.audio.streams.filter { !$0.isClosed }.isEmpty)
    }
}

/// Retransmitted INVITEs (RFC 3261 §17.2.1, RFC 6026 §7.1): absorbed, never a second call or a 486.
@Suite @PhoneLoop struct InviteRetransmissionTests {
    @Test func whileRingingThe180IsRepeated() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.streams.count == 1 })
        phone.stack.receive(incomingInvite())
        #expect(phone.responses(486, to: "INVITE").isEmpty)
        #expect(phone.responses(180, to: "INVITE").count == 2)
        #expect(phone.calls.info().count == 1)
        #expect(phone.audio.rings == [true])
    }

    @Test func afterThe200BeforeTheACK() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.streams.count == 1 })
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        phone.stack.receive(incomingInvite())
        #expect(phone.responses(486, to: "INVITE").isEmpty)
        #expect(phone.calls.info().map(\.state) == [.connected])
    }
}

/// GUIDE.md §9.3 (100 Trying "generated: yes, on incoming INVITE" ✔), §10.1 (INVITE · 100 · 180),
/// §10.17 (INVITE · 100 · 486).
@Suite @PhoneLoop struct TryingTests {
    private func statuses(_ phone: PhoneUnderTest, callID: String) -> [Int] {
        phone.sink.sent.compactMap(\.message).filter { $0.callIDText == callID }.compactMap(\.statusCode)
    }

    @Test func hundredTryingThenRinging() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        #expect(statuses(phone, callID: "call-1@peer") == [100, 180])
    }

    @Test func hundredTryingThenBusy() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        phone.stack.receive(incomingInvite(branch: "z9hG4bK-in2", callID: "call-2@peer", fromTag: "carol"))
        #expect(statuses(phone, callID: "call-2@peer") == [100, 486])
    }

    @Test func hundredTryingThenNotAcceptable() throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite(sdp: offerSDP([9])))
        #expect(statuses(phone, callID: "call-1@peer") == [100, 488])
    }
}

@Suite @PhoneLoop struct ByeBeforeACKTests {
    /// RFC 3261 §15: "The callee's UA MUST NOT send a BYE on a confirmed dialog until it has
    /// received an ACK for its 2xx response or until the server transaction times out."
    /// On hook right after answering: the call is gone for the user, the BYE waits for the ACK.
    @Test func onHookBeforeTheACKWaitsForIt() async throws {
        let phone = try PhoneUnderTest()
        let tag = try await phone.answerIncomingCall()
        phone.calls.setOffHook(false)
        #expect(phone.sink.sent("BYE").isEmpty)
        #expect(phone.calls.info().isEmpty)
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        #expect(phone.sink.sent("BYE").count == 1)
    }

    @Test func withoutAnACKTheHeldByeGoesAt64T1() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.streams.count == 1 })
        phone.calls.setOffHook(true)
        #expect(await phone.settle { phone.responses(200, to: "INVITE").count == 1 })
        phone.calls.setOffHook(false)
        phone.timers.advance(by: .milliseconds(31_900))
        #expect(phone.sink.sent("BYE").isEmpty)
        #expect(phone.responses(200, to: "INVITE").count > 5, "the 200 is still retransmitted")
        phone.timers.advance(by: .milliseconds(200))
        #expect(phone.sink.sent("BYE").count == 1)
    }
}
