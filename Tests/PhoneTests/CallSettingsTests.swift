@testable import Phone
import Provisioning
import Scheduling
import SIPMessage
import TestKit
import Testing

// The provisioned settings as the calls use them (GUIDE.md §2.2.2, §9.9): outbound proxy,
// the emergency route without proxy_emergency, the statistics headers of call_stats.

@Suite @PhoneLoop struct CallSettingsTests {
    @Test func outboundProxyIsTheNextHopNotTheRequestURI() async throws {
        let phone = try PhoneUnderTest(extra: "outbound_proxy: \"127.0.0.1\"\noutbound_proxy_port: 5090\n")
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let sent = try #require(phone.sink.sent.first { $0.message?.method == "INVITE" })
        #expect(sent.message?.requestURIText == "sip:2123@127.0.0.1:5070")
        #expect(sent.destination.port == 5090)
    }

    @Test func emergencyWithoutAnEmergencyProxyGoesToTheLinesProxy() async throws {
        let template = try Provisioning.DialTemplate.parse(Array(guidePlanText.utf8))
        let phone = try PhoneUnderTest(plan: template)
        try phone.press("911")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let sent = try #require(phone.sink.sent.first { $0.message?.method == "INVITE" })
        #expect(sent.message?.requestURIText == "sip:911@127.0.0.1:5070;user=phone")
        #expect(sent.destination.port == 5070)
    }

    @Test func callStatsPutsTheStreamsStatisticsInTheBye() async throws {
        let phone = try PhoneUnderTest(extra: "call_stats: 1\n")
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let invite = try #require(phone.sink.sent("INVITE").first)
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        let stream = try #require(phone.audio.streams.first)
        stream.statistics.rxStatText = "Dur=5,Pkt=250,Oct=40000,Lost=0"
        stream.statistics.txStatText = "Dur=5,Pkt=251,Oct=40160"
        phone.calls.setOffHook(false)
        let bye = try #require(phone.sink.sent("BYE").first)
        #expect(bye.value("RTP-RxStat") == "Dur=5,Pkt=250,Oct=40000,Lost=0")
        #expect(bye.value("RTP-TxStat") == "Dur=5,Pkt=251,Oct=40160")
    }

    @Test func callStatsPutsTheStatisticsInThe200OfTheFarEndsBye() async throws {
        let phone = try PhoneUnderTest(extra: "call_stats: 1\n")
        let tag = try await phone.answerIncomingCall()
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        phone.audio.streams.first?.statistics.rxStatText = "Dur=2,Pkt=100"
        phone.audio.streams.first?.statistics.txStatText = "Dur=2,Pkt=101"
        phone.stack.receive(inDialogRequest("BYE", branch: "z9hG4bK-bye1", toTag: tag, cseq: 2))
        let ok = try #require(phone.responses(200, to: "BYE").first)
        #expect(ok.value("RTP-RxStat") == "Dur=2,Pkt=100")
        #expect(ok.value("RTP-TxStat") == "Dur=2,Pkt=101")
    }

    @Test func withoutCallStatsNoStatisticsHeaders() async throws {
        let phone = try PhoneUnderTest()
        try phone.press("2123#")
        #expect(await phone.settle { !phone.sink.sent("INVITE").isEmpty })
        let invite = try #require(phone.sink.sent("INVITE").first)
        phone.stack.receive(peerResponse(to: invite, 200, sdp: answerSDP(0)))
        phone.audio.streams.first?.statistics.rxStatText = "Dur=5"
        phone.calls.setOffHook(false)
        let bye = try #require(phone.sink.sent("BYE").first)
        #expect(bye.value("RTP-RxStat") == nil)
    }

    @Test func inDialogOptionsAndInfoAre200OtherMethods501() async throws {
        let phone = try PhoneUnderTest()
        let tag = try await phone.answerIncomingCall()
        phone.stack.receive(inDialogRequest("ACK", branch: "z9hG4bK-ack1", toTag: tag, cseq: 1))
        phone.stack.receive(inDialogRequest("INFO", branch: "z9hG4bK-i1", toTag: tag, cseq: 2))
        phone.stack.receive(inDialogRequest("OPTIONS", branch: "z9hG4bK-o1", toTag: tag, cseq: 3))
        phone.stack.receive(inDialogRequest("MESSAGE", branch: "z9hG4bK-m1", toTag: tag, cseq: 4))
        #expect(phone.responses(200, to: "INFO").count == 1)
        #expect(phone.responses(200, to: "OPTIONS").count == 1)
        let notImplemented = try #require(phone.responses(501, to: "MESSAGE").first)
        #expect(notImplemented.value("Allow")?.contains("INVITE") == true)
        #expect(phone.calls.info().map(\.state) == [.connected])
    }
}
