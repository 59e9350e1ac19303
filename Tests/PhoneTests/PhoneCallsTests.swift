import NIOCore
@testable import Phone
import Scheduling
import SDP
import SIPMessage
import TestKit
import Testing

// PhoneCalls around the calls: keys that start calls, the one-call-at-a-time rule, redirects,
// what `show calls` and `test show` see, shutdown.

@Suite @PhoneLoop struct PhoneCallsTests {
    @Test func lineKeyGoesOffHookOnAConfiguredLineOnly() throws {
        let phone = try PhoneUnderTest()
        try phone.press("line2")
        #expect(phone.calls.info().isEmpty, "line 2 has no account")
        #expect(!phone.calls.offHook)
        try phone.press("line1")
        #expect(phone.calls.offHook)
        #expect(phone.calls.info().map(\.state) == [.offHook])
        #expect(phone.calls.info().first?.line == 1)
        #expect(phone.audio.tones == [.dial])
        #expect(phone.calls.status == "Enter number")
    }

    @Test func endCallWhileDiallingGoesOnHook() throws {
        let phone = try PhoneUnderTest()
        try phone.press("12soft2")   // Redial, EndCall, <<, Dial
        #expect(phone.calls.info().isEmpty)
        #expect(!phone.calls.offHook)
        #expect(phone.audio.lastTone == .some(nil))
        // The digit timer armed for "12" is gone with the call.
        phone.timers.advance(by: .seconds(30))
        #expect(phone.sink.sent("INVITE").isEmpty)
    }

    @Test func backspaceSoftKey() throws {
        let phone = try PhoneUnderTest()
        try phone.press("12soft3")
        #expect(phone.calls.status == "1")
        try phone.press("soft3")
        #expect(phone.calls.status == "Enter number")
        #expect(phone.audio.tones == [.dial, nil, .dial])
        #expect(phone.calls.info().map(\.state) == [.offHook])
    }

    @Test func incomingInviteWhileDiallingIsBusy() throws {
        let phone = try PhoneUnderTest()
        try phone.press("1")
        phone.stack.receive(incomingInvite())
        #expect(phone.responses(486, to: "INVITE").count == 1)
        #expect(phone.audio.rings.isEmpty)
        #expect(phone.calls.info().map(\.direction) == [.outgoing])
    }

    @Test func hangingUpBeforeTheInviteLeavesSendsNothing() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("2123#")
        phone.calls.setOffHook(false)
        await phone.drain()
        #expect(phone.sink.sent("INVITE").isEmpty)
        #expect(phone.audio.streams.filter { !$0.isClosed }.isEmpty)
        #expect(phone.calls.info().isEmpty)
    }

    @Test func redirectIsFollowedOnce() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let invite = try #require(phone.sink.sent("INVITE").first)
        var moved = SIPMessageBuilder.response(to: invite, code: 302, toTag: "r1")
        moved.add("Contact", "<sip:3000@127.0.0.1:5071>")
        phone.stack.receive(moved)
        #expect(await phone.settle { phone.sink.sent("INVITE").count == 2 })
        let second = try #require(phone.sink.sent("INVITE").last)
        #expect(second.requestURIText == "sip:3000@127.0.0.1:5071")
        #expect(second.value("CSeq") == "2 INVITE")
        #expect(second.callIDText == invite.callIDText)
        let destination = try #require(phone.sink.sent.last { $0.message?.method == "INVITE" }?.destination)
        #expect(destination.port == 5071)
        #expect(phone.calls.info().first?.remote == "3000")
        // A second redirect fails the call.
        var again = SIPMessageBuilder.response(to: second, code: 302, toTag: "r2")
        again.add("Contact", "<sip:4000@127.0.0.1:5072>")
        phone.stack.receive(again)
        await phone.drain()
        #expect(phone.sink.sent("INVITE").count == 2)
        #expect(phone.calls.info().map(\.state) == [.released])
        #expect(phone.audio.lastTone == .some(.reorder))
    }

    @Test func showCallsCountsConnectedSeconds() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let invite = try #require(phone.sink.sent("INVITE").first)
        phone.timers.advance(by: .seconds(3))
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        phone.timers.advance(by: .seconds(5))
        let info = try #require(phone.calls.info().first)
        #expect(info.seconds == 5)
        #expect(info.state == .connected)
        #expect(info.remote == "2123")
        #expect(info.callID == invite.callIDText)
        #expect(info.localTag == invite.fromTag)
        #expect(info.remoteTag == "calleetag")
    }

    @Test func testShowSeesKeysAndFramesOnChangeOnly() throws {
        let phone = try PhoneUnderTest()
        var events: [String] = []
        let token = phone.calls.observe { event in
            switch event {
            case .key(let k): events.append("key \(k)")
            case .frame(let status, let keys): events.append("frame \(status) | \(keys.joined(separator: " "))")
            }
        }
        try phone.press("5")
        try phone.press("volup")   // no change on the display: no frame
        phone.calls.stopObserving(token)
        try phone.press("6")
        #expect(events == [
            "frame  | Redial NewCall CFwdAll more",
            "key 5",
            "frame Enter number | Redial EndCall << Dial",   // off hook, then the digit
            "frame 5 | Redial EndCall << Dial",
            "key volup",
        ])
    }

    @Test func shutdownEndsEveryCallAndClosesTheAudio() async throws {
        let phone = try PhoneUnderTest()
        phone.stack.receive(incomingInvite())
        #expect(await phone.settle { phone.audio.streams.count == 1 })
        phone.calls.hangUpAll()
        #expect(phone.responses(486, to: "INVITE").count == 1)
        #expect(phone.calls.info().isEmpty)
        #expect(phone.audio.closed)
    }

    @Test func configureSetsTheMediaPorts() throws {
        let phone = try PhoneUnderTest(extra: "start_media_port: 20000\nend_media_port: 20100\n")
        #expect(phone.audio.configured?.ports == 20000...20100)
    }
}

@Suite @PhoneLoop struct MuteAndVolumeTests {
    @Test func muteTogglesAndVolumeMovesInThreeDecibelStepsWithinTwelve() throws {
        let phone = try PhoneUnderTest()
        try phone.press("mute")
        #expect(phone.audio.muted)
        try phone.press("mute")
        #expect(!phone.audio.muted)
        // On hook and idle the keys set the ringer; off hook, the handset.
        try phone.press("volup")
        #expect(phone.audio.ringerVolume == 3 && phone.audio.gain == 0)
        phone.calls.setOffHook(true)
        for _ in 0..<6 { try phone.press("volup") }
        #expect(phone.audio.gain == 12 && phone.audio.ringerVolume == 3)
        try phone.press("voldn")
        #expect(phone.audio.gain == 9)
        for _ in 0..<10 { try phone.press("voldn") }
        #expect(phone.audio.gain == -12)
    }
}

@Suite @PhoneLoop struct AudioPathTests {
    @Test func theSpeakerKeyGoesOffHookOnTheSpeakerAndBackOnHook() throws {
        let phone = try PhoneUnderTest()
        try phone.press("spkr")
        #expect(phone.audio.path == .speaker && phone.calls.offHook)
        #expect(phone.calls.info().first?.state == .offHook)
        try phone.press("spkr")
        #expect(!phone.calls.offHook && phone.calls.info().isEmpty)
    }

    @Test func aCallMovesBetweenHandsetSpeakerAndHeadsetWithoutEnding() throws {
        let phone = try PhoneUnderTest()
        phone.calls.setOffHook(true)
        #expect(phone.audio.path == .handset)
        try phone.press("spkr")
        #expect(phone.audio.path == .speaker && phone.calls.info().count == 1, "the dialling call goes on")
        try phone.press("headset")
        #expect(phone.audio.path == .headset && phone.calls.info().count == 1)
        phone.calls.setOffHook(true)   // the handset lifted takes it back
        #expect(phone.audio.path == .handset && phone.calls.info().count == 1)
    }
}
