import NIOCore
import Scheduling
import SIPMessage
@testable import SIPStack
import TestKit
import Testing

/// The transaction layer and the endpoint's defaults under a manual clock: what is sent when,
/// what the transaction user hears, with no real-time waits (RFC 3261 §17, RFC 6026, §9).
@Suite @PhoneLoop struct TransactionLayerTests {
    func at(_ timers: ManualTimers) -> Int { Int(timers.now.components.seconds * 1000 + timers.now.components.attoseconds / 1_000_000_000_000_000) }

    @Test func aRetransmittedRequestGetsTheSameAnswerUntilTimerJ() throws {
        let s = try ManualStack()
        let options = peerRequest("OPTIONS", branch: "z9hG4bKopts1")
        s.receive(options)
        s.receive(options)
        let answers = s.sink.responses(200)
        #expect(answers.count == 2)
        #expect(answers.first?.bytes == answers.last?.bytes, "a new To tag would mean a new transaction")
        #expect(answers.first?.value("Allow")?.contains("OPTIONS") == true)
        #expect(s.endpoint.serverTransactionCount == 1)
        s.timers.advance(by: .milliseconds(31_999))
        #expect(s.endpoint.serverTransactionCount == 1)
        s.timers.advance(by: .milliseconds(1))   // timer J = 64·T1
        #expect(s.endpoint.serverTransactionCount == 0)
    }

    @Test func anUnhandledInviteIsAnswered501AndRetransmittedOnTimerGUntilTheACK() throws {
        let s = try ManualStack()
        s.receive(peerRequest("INVITE", branch: "z9hG4bKinv1"))
        let first = try #require(s.sink.last)
        #expect(first.statusCode == 501)
        var times: [Int] = []
        for _ in 0..<3 {
            s.timers.fireNext()
            times.append(at(s.timers))
        }
        #expect(times == [500, 1500, 3500], "G doubles from T1")
        #expect(s.sink.responses(501).count == 4)
        let toTag = try #require(try first.to().tag)
        s.receive(peerRequest("ACK", branch: "z9hG4bKinv1", toTag: toTag))
        s.timers.advance(by: .seconds(60))
        #expect(s.sink.responses(501).count == 4, "nothing after the ACK")
        #expect(s.endpoint.serverTransactionCount == 0, "timer I ended it")
    }

    @Test func everyResponseOfAnInviteReachesItsUserAndRetransmitted2xxToo() throws {
        let s = try ManualStack()
        var heard: [String] = []
        s.endpoint.request(phoneRequest("INVITE", branch: "z9hG4bKout1"), branch: "z9hG4bKout1", to: s.peer) { event in
            switch event {
            case .provisional(let m): heard.append("\(m.statusCode ?? 0)")
            case .final(let m): heard.append("final \(m.statusCode ?? 0)")
            case .timedOut: heard.append("timeout")
            case .transportError: heard.append("error")
            }
        }
        let invite = try #require(s.sink.sent("INVITE").first)
        s.answer(invite, 100, toTag: nil)
        s.answer(invite, 180)
        s.answer(invite, 183)
        s.answer(invite, 200)
        s.answer(invite, 200)   // retransmitted: the TU must ACK it again (RFC 6026 §8.4)
        #expect(heard == ["100", "180", "183", "final 200", "final 200"])
        #expect(s.sink.sent("ACK").isEmpty, "the ACK of a 2xx is the dialog's, not the transaction's")
        #expect(s.endpoint.clientTransactionCount == 1)
        s.timers.advance(by: .seconds(32))   // timer M
        #expect(s.endpoint.clientTransactionCount == 0)
    }

    @Test func aFailedInviteIsAcknowledgedAndItsRetransmissionToo() throws {
        let s = try ManualStack()
        var finals = 0
        s.endpoint.request(phoneRequest("INVITE", branch: "z9hG4bKout2", cseq: 9), branch: "z9hG4bKout2", to: s.peer) {
            if case .final = $0 { finals += 1 }
        }
        let invite = try #require(s.sink.sent("INVITE").first)
        s.answer(invite, 486, toTag: "busy1")
        let ack = try #require(s.sink.sent("ACK").first)
        #expect(ack.requestURIText == "sip:bob@127.0.0.1:5070")
        #expect(try ack.topVia().branch == "z9hG4bKout2")
        #expect(try ack.to().tag == "busy1")
        #expect(try ack.cseq() == SIPCSeq(number: 9, method: "ACK"))
        s.answer(invite, 486, toTag: "busy1")
        #expect(s.sink.sent("ACK").count == 2)
        #expect(finals == 1)
    }

    @Test func inviteRetransmissionsAndTimerBWithoutAnyAnswer() throws {
        let s = try ManualStack()
        var timedOut: Int?
        s.endpoint.request(phoneRequest("INVITE", branch: "z9hG4bKout3"), branch: "z9hG4bKout3", to: s.peer) {
            if case .timedOut = $0 { timedOut = self.at(s.timers) }
        }
        s.timers.advance(by: .seconds(40))
        #expect(s.sink.sent("INVITE").count == 7, "the INVITE and sip_invite_retx = 6 retransmissions")
        #expect(timedOut == 32_000, "timer B = 64·T1")
    }

    @Test func cancelWaitsForAProvisionalThenCancelsWithTheInvitesBranch() throws {
        let s = try ManualStack()
        var final: Int?
        s.endpoint.request(phoneRequest("INVITE", branch: "z9hG4bKcan1", cseq: 4), branch: "z9hG4bKcan1", to: s.peer) {
            if case .final(let m) = $0 { final = m.statusCode }
        }
        #expect(s.endpoint.transactions.cancel(inviteBranch: "z9hG4bKcan1"))
        #expect(s.sink.sent("CANCEL").isEmpty, "§9.1: not before a provisional response")
        let invite = try #require(s.sink.sent("INVITE").first)
        s.answer(invite, 180)
        let cancel = try #require(s.sink.sent("CANCEL").first)
        #expect(try cancel.topVia().branch == "z9hG4bKcan1")
        #expect(try cancel.cseq() == SIPCSeq(number: 4, method: "CANCEL"))
        #expect(cancel.requestURIText == invite.requestURIText)
        #expect(try cancel.to().tag == nil)
        s.answer(cancel, 200)
        s.answer(invite, 487)
        #expect(final == 487)
        #expect(s.sink.sent("ACK").count == 1)
        #expect(!s.endpoint.transactions.cancel(inviteBranch: "z9hG4bKcan1"), "nothing to cancel after the final")
    }

    @Test func aCancelledInviteGets487AndTheCancel200() throws {
        let s = try ManualStack()
        var invites: [ServerRequest] = []
        s.endpoint.handle("INVITE") { request in
            invites.append(request)
            request.respond(code: 180)
        }
        s.receive(peerRequest("INVITE", branch: "z9hG4bKin2"))
        #expect(invites.count == 1)
        #expect(s.sink.responses(180).count == 1)
        s.receive(peerRequest("CANCEL", branch: "z9hG4bKin2"))
        #expect(s.sink.responses(200).first.map { (try? $0.cseq())?.method } == "CANCEL")
        let terminated = try #require(s.sink.responses(487).first)
        #expect(try terminated.cseq().method == "INVITE")
        #expect(try terminated.to().tag == (try s.sink.responses(180).first?.to().tag), "one To tag per request")
        // a CANCEL for nothing
        s.receive(peerRequest("CANCEL", branch: "z9hG4bKnone"))
        #expect(s.sink.responses(481).count == 1)
    }

    @Test func anInviteHandlerHearsTheCancel() throws {
        let s = try ManualStack()
        var cancelled = false
        s.endpoint.handle("INVITE") { request in
            request.onCancel = {
                cancelled = true
                request.respond(code: 487)
            }
        }
        s.receive(peerRequest("INVITE", branch: "z9hG4bKin3"))
        s.receive(peerRequest("CANCEL", branch: "z9hG4bKin3"))
        #expect(cancelled)
        #expect(s.sink.responses(487).count == 1)
    }

    @Test func acceptedInviteAbsorbsRetransmissionsAndPassesTheAckUp() throws {
        let s = try ManualStack()
        var methods: [String] = []
        var dialogRequests: [String] = []
        s.endpoint.handle("INVITE") { request in
            methods.append(request.method)
            let r = request.response(code: 200)
            request.respond(r)
            let id = DialogID(callID: request.headers.callID ?? "", localTag: request.localTag,
                              remoteTag: request.headers.from?.tag ?? "")
            s.endpoint.handle(dialog: id) { dialogRequests.append($0.method) }
        }
        let invite = peerRequest("INVITE", branch: "z9hG4bKin4")
        s.receive(invite)
        s.receive(invite)   // retransmitted while the 2xx is on its way: absorbed (RFC 6026 §7.1)
        #expect(methods == ["INVITE"])
        let ok = try #require(s.sink.responses(200).first)
        let toTag = try #require(try ok.to().tag)
        s.receive(peerRequest("ACK", branch: "z9hG4bKack4", toTag: toTag, callID: "z9hG4bKin4@test"))
        s.receive(peerRequest("BYE", branch: "z9hG4bKbye4", cseq: 2, toTag: toTag, callID: "z9hG4bKin4@test"))
        #expect(dialogRequests == ["ACK", "BYE"])
    }

    @Test func aRequestForAnUnknownDialogGets481AndUnknownMethods501() throws {
        let s = try ManualStack()
        s.receive(peerRequest("BYE", branch: "z9hG4bKbye5", toTag: "gone"))
        #expect(s.sink.responses(481).count == 1)
        s.receive(peerRequest("NOTIFY", branch: "z9hG4bKn5"))
        #expect(s.sink.responses(501).count == 1)
        s.endpoint.handle("NOTIFY") { $0.respond(code: 200) }
        s.receive(peerRequest("NOTIFY", branch: "z9hG4bKn6"))
        #expect(s.sink.responses(200).count == 1)
        #expect(s.sink.responses(200).first?.value("Allow") == nil)
    }

    @Test func nonInviteTimeoutAtTimerFAndRetransmissionsCappedAtT2() throws {
        let s = try ManualStack()
        var events: [String] = []
        s.endpoint.request(phoneRequest("OPTIONS", branch: "z9hG4bKo7"), branch: "z9hG4bKo7", to: s.peer) {
            if case .timedOut = $0 { events.append("timeout at \(self.at(s.timers))") }
        }
        s.timers.advance(by: .seconds(33))
        #expect(s.sink.sent("OPTIONS").count == 11)
        #expect(events == ["timeout at 32000"])
    }

    @Test func malformedRequestsAreAnsweredAndMalformedResponsesDropped() throws {
        let s = try ManualStack()
        s.receive("INVITE sip:620@127.0.0.1 SIP/7.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbad\r\n"
                  + "From: <sip:t@h>;tag=1\r\nTo: <sip:620@h>\r\nCall-ID: bad@t\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
        #expect(s.sink.responses(505).count == 1)
        s.receive("SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n")
        #expect(s.sink.sent.count == 1)
    }
}

/// The NIO transports on real loopback sockets: datagrams reach the transaction layer in the
/// order they were sent, on the phone's loop (no task per datagram).
@Suite(.serialized) struct TransportOrderTests {
    @Test func datagramsAreHandledInTheOrderTheyArrive() async throws {
        let endpoint = await SIPEndpoint()
        try await endpoint.start(host: "127.0.0.1", port: 0)
        let port = try #require(await endpoint.localAddress?.port)
        final class Seen: @unchecked Sendable { var cseqs: [Int] = [] }
        let seen = Seen()
        await endpoint.handle("MESSAGE") { request in
            seen.cseqs.append(Int(request.headers.cseq?.number ?? 0))
            request.respond(code: 200)
        }
        let peer = try UDPSocket()
        // Bursts of 20 back to back (what fits a socket buffer on loopback), 200 in all.
        var answers = 0
        for burst in 0..<10 {
            for n in 1...20 {
                let cseq = burst * 20 + n
                peer.send(peerRequest("MESSAGE", branch: "z9hG4bKord\(cseq)", cseq: cseq), to: port)
            }
            for _ in 0..<20 where await peer.receive(timeout: .seconds(5)) != nil { answers += 1 }
        }
        #expect(answers == 200)
        let cseqs = try await PhoneLoop.loop.submit { seen.cseqs }.get()
        #expect(cseqs == Array(1...200))
        await endpoint.stop()
    }
}
