import NIOCore
import NIOPosix
import SIPMessage
@testable import SIPStack
import TestKit
import Testing

/// The endpoint's server and client transactions over real UDP on loopback, with short timers:
/// retransmitted requests answered from the transaction, 501 to an INVITE retransmitted
/// (timer G) until the ACK, ACKs sent for non-2xx finals (§17.1.1.3).
@Suite(.serialized) struct EndpointTransactionTests {
    static let timers = TransactionTimers(t1: .milliseconds(50), t2: .milliseconds(400), maxRetransmissions: 10,
                                          maxInviteRetransmissions: 6)

    func endpoint() async throws -> (SIPEndpoint, Int) {
        let e = SIPEndpoint(timers: Self.timers)
        try await e.start(group: MultiThreadedEventLoopGroup.singleton, host: "127.0.0.1", port: 0)
        let port = try #require(await e.localAddress?.port)
        return (e, port)
    }

    static func request(_ method: String, branch: String, port: Int, cseq: Int = 1) -> String {
        "\(method) sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:\(port);branch=\(branch);rport\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=ft\r\nTo: <sip:620@127.0.0.1>\r\n"
            + "Call-ID: \(branch)@test\r\nCSeq: \(cseq) \(method)\r\nContent-Length: 0\r\n\r\n"
    }

    @Test func aRetransmittedRequestGetsTheSameAnswer() async throws {
        let (e, port) = try await endpoint()
        let peer = try UDPSocket()
        let options = Self.request("OPTIONS", branch: "z9hG4bKopts1", port: peer.port)
        peer.send(options, to: port)
        let first = try #require(await peer.receiveText(timeout: .seconds(3)))
        peer.send(options, to: port)
        let second = try #require(await peer.receiveText(timeout: .seconds(3)))
        #expect(first.hasPrefix("SIP/2.0 200 OK\r\n"))
        #expect(first == second, "a new To tag means a new transaction")
        #expect(await e.serverTransactionCount == 1)
        // timer J (64·T1 = 3.2 s) ends it
        let deadline = ContinuousClock.now + .seconds(10)
        while await e.serverTransactionCount > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(await e.serverTransactionCount == 0)
        await e.stop()
    }

    @Test func anUnhandledInviteIsAnswered501UntilTheACK() async throws {
        let (e, port) = try await endpoint()
        let peer = try UDPSocket()
        peer.send(Self.request("INVITE", branch: "z9hG4bKinv1", port: peer.port), to: port)
        let first = try #require(await peer.receiveText(timeout: .seconds(3)))
        #expect(first.hasPrefix("SIP/2.0 501 Not Implemented\r\n"), "\(first)")
        // timer G: the same 501 again after T1, 2·T1 …
        let again = try #require(await peer.receiveText(timeout: .seconds(2)))
        #expect(again == first)
        let parsed = try SIPMessage(parsing: first)
        let to = try #require(parsed.value("To"))
        let ack = "ACK sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:\(peer.port);branch=z9hG4bKinv1;rport\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=ft\r\nTo: \(to)\r\nCall-ID: z9hG4bKinv1@test\r\nCSeq: 1 ACK\r\n"
            + "Content-Length: 0\r\n\r\n"
        peer.send(ack, to: port)
        // drain what was already in flight, then silence
        while await peer.receive(timeout: .milliseconds(150)) != nil {}
        #expect(await peer.receive(timeout: .milliseconds(800)) == nil, "501 retransmitted after the ACK")
        await e.stop()
    }

    @Test func aFailedInviteIsAcknowledged() async throws {
        let (e, _) = try await endpoint()
        let peer = try UDPSocket()
        let invite = Self.request("INVITE", branch: "z9hG4bKout1", port: 5060)
        let destination = try SocketAddress(ipAddress: "127.0.0.1", port: peer.port)
        async let outcome = e.request(Array(invite.utf8), branch: "z9hG4bKout1", method: "INVITE", to: destination)
        let received = try #require(await peer.receiveText(timeout: .seconds(3)))
        #expect(received.hasPrefix("INVITE "))
        let request = try SIPMessage(parsing: received)
        var busy = SIPMessageBuilder.response(to: request, code: 486, toTag: "busy1")
        busy.add("Content-Length", "0")
        peer.send(busy.serialize(), to: peer.lastSourcePort)
        let ack = try SIPMessage(parsing: try #require(await peer.receive(timeout: .seconds(3))))
        #expect(ack.method == "ACK")
        #expect(ack.requestURIText == "sip:620@127.0.0.1")
        #expect(try ack.topVia().branch == "z9hG4bKout1")
        #expect(try ack.to().tag == "busy1")
        #expect(try ack.cseq() == SIPCSeq(number: 1, method: "ACK"))
        #expect(try ack.callID() == "z9hG4bKout1@test")
        #expect((await outcome).response?.statusCode == 486)
        // the 486 again (our ACK "lost"): ACKed again, not delivered twice
        peer.send(busy.serialize(), to: peer.lastSourcePort)
        let second = try SIPMessage(parsing: try #require(await peer.receive(timeout: .seconds(3))))
        #expect(second.method == "ACK")
        await e.stop()
    }

    @Test func failureAckCopiesRoutesAndOnlyTheTopVia() throws {
        let invite = try SIPMessage(parsing: "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP c;branch=z9hG4bK2\r\n"
            + "Route: <sip:p1;lr>\r\nRoute: <sip:p2;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n"
            + "Call-ID: x\r\nCSeq: 9 INVITE\r\nContent-Length: 0\r\n\r\n")
        let response = try SIPMessage(parsing: "SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
            + "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 9 INVITE\r\nContent-Length: 0\r\n\r\n")
        let ack = try SIPMessage(parsing: try #require(FailureAck.build(invite: invite, response: response)))
        #expect(ack.values("Via") == ["SIP/2.0/UDP a;branch=z9hG4bK1"])
        #expect(ack.values("Route") == ["<sip:p1;lr>", "<sip:p2;lr>"])
        #expect(ack.value("To") == "<sip:b@h>;tag=2")
        #expect(ack.value("CSeq") == "9 ACK")
        _ = try ack.validate()
    }
}
