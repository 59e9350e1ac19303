import Foundation
import SIPMessage
import Testing
import TestKit
@testable import SIPStack

#if canImport(Glibc)
import Glibc
#endif

/// A call through real peers on loopback: Kamailio (Tests/Peers/kamailio.cfg) as the outbound
/// proxy that record-routes the INVITE, SIPp (Tests/Peers/sipp-dialog-uas.xml) as the far end.
/// The dialog built from SIPp's answers has Kamailio in its route set; the ACK and the BYE it
/// builds reach SIPp only through Kamailio's loose routing, and SIPp exits 0 only if both came.
@Suite struct DialogInteropTests {
    @Test func callThroughARecordRoutingProxyToSIPp() async throws {
        let kamailio = try await KamailioProcess.start(users: ["nobody": "unused"])
        defer { kamailio.stop() }
        let sipp = try await SIPpProcess.start(scenario: "sipp-dialog-uas.xml", timeout: .seconds(120))
        defer { sipp.stop() }
        let phone = try UDPSocket()

        // The INVITE goes to Kamailio as outbound proxy: no Route, SIPp in the Request-URI.
        let callID = SIPIdentifiers.callID(host: "127.0.0.1")
        var builder = SIPMessageBuilder.request(method: "INVITE", uri: "sip:service@127.0.0.1:\(sipp.port)")
        builder.add("Via", "SIP/2.0/UDP 127.0.0.1:\(phone.port);branch=\(SIPIdentifiers.branch());rport")
        builder.add("Max-Forwards", "70")
        builder.add("From", "\"Deskphone\" <sip:620@127.0.0.1>;tag=\(SIPIdentifiers.tag())")
        builder.add("To", "<sip:service@127.0.0.1:\(sipp.port)>")
        builder.add("Call-ID", callID)
        builder.add("CSeq", "1 INVITE")
        builder.add("Contact", "<sip:620@127.0.0.1:\(phone.port)>")
        builder.add("Content-Type", "application/sdp")
        builder.body = Array("v=0\r\no=620 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n".utf8)
        let invite = try builder.build()

        let ringing = try await phone.exchange(invite.serialize(), to: kamailio.port, failure: { sipp.log + kamailio.log }) {
            $0.statusCode == 180
        }
        var dialog = try Dialog(sentRequest: invite, response: ringing)
        #expect(dialog.state == .early)
        let ok = try await phone.next(failure: { sipp.log }) { $0.statusCode == 200 && (try? $0.cseq().method) == "INVITE" }
        #expect(try dialog.receive(response: ok) == .confirmed)
        #expect(ok.body.count > 0)

        // Kamailio's Record-Route is the route set; SIPp's Contact the remote target.
        #expect(dialog.routeSet.count == 1)
        let route = try SIPURI(parsing: try #require(dialog.routeSet.first))
        #expect(route.host == "127.0.0.1" && route.port == kamailio.port && route.lr)
        let target = try SIPURI(parsing: dialog.remoteTarget)
        #expect(target.user == "service" && target.port == sipp.port)

        var ack = try dialog.ack(to: ok)
        ack.addVia("SIP/2.0/UDP 127.0.0.1:\(phone.port);branch=\(SIPIdentifiers.branch());rport")
        #expect(ack.cseq == 1)
        #expect(ack.nextHop.host == "127.0.0.1" && ack.nextHop.port == kamailio.port && ack.nextHop.transport == "udp")
        let ackBytes = ack.message.serialize()
        phone.send(ackBytes, to: try #require(ack.nextHop.port))
        // Kamailio's two workers may relay the ACK and the BYE out of order: the BYE leaves
        // once SIPp has logged the ACK (or after a while, if its log is not flushed).
        await sipp.waitForMessage("ACK sip:", timeout: .seconds(5))

        var bye = try dialog.bye()
        bye.addVia("SIP/2.0/UDP 127.0.0.1:\(phone.port);branch=\(SIPIdentifiers.branch());rport")
        let byeMessage = try bye.message.build()
        #expect(byeMessage.values("Route") == ["<\(route.text)>"])
        #expect(byeMessage.value("CSeq") == "2 BYE")
        #expect(byeMessage.requestURIText == dialog.remoteTarget)
        #expect(bye.nextHop == ack.nextHop)
        let byeOK = try await phone.exchange(byeMessage.serialize(), to: try #require(bye.nextHop.port), failure: { sipp.log + kamailio.log },
                                             ackBytes: ackBytes) {
            (try? $0.cseq()) == SIPCSeq(number: 2, method: "BYE")
        }
        #expect(byeOK.statusCode == 200)
        #expect(try dialog.receive(response: byeOK) == .unchanged)
        #expect(dialog.state == .terminated)

        let sippStatus = await sipp.exitCode(timeout: .seconds(60))
        #expect(sippStatus == 0, "SIPp: \(sipp.log)\n\(sipp.messages)")
    }
}

extension SIPpProcess {
    /// Waits until SIPp's message log holds `text`, or `timeout` passes.
    func waitForMessage(_ text: String, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while !messages.contains(text) && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

/// The phone's side of the interop test: TestKit's UDP socket, reading SIP messages.
extension UDPSocket {
    /// The next datagram that parses as a SIP message, nil when none arrives by `deadline`.
    func receive(until deadline: ContinuousClock.Instant) async -> SIPMessage? {
        repeat {
            guard let bytes = await receive(timeout: deadline - ContinuousClock.now) else { return nil }
            if let m = try? SIPMessage(parsing: bytes) { return m }
        } while ContinuousClock.now < deadline
        return nil
    }

    /// The next message `wanted` accepts, skipping others (100 Trying, retransmissions).
    func next(timeout: Duration = .seconds(30), failure: () -> String,
              _ wanted: (SIPMessage) -> Bool) async throws -> SIPMessage {
        let deadline = ContinuousClock.now + timeout
        while let m = await receive(until: deadline) {
            if wanted(m) { return m }
        }
        throw TestFailure("no awaited SIP message within \(timeout)\n\(failure())")
    }

    /// Sends `request` and resends it every second (T1 doubling is not needed on loopback)
    /// until a message `wanted` accepts arrives; a retransmitted 2xx to the INVITE in the
    /// meantime is acknowledged again with `ackBytes` (§13.2.2.4).
    func exchange(_ request: [UInt8], to port: Int, timeout: Duration = .seconds(30), failure: () -> String,
                  ackBytes: [UInt8]? = nil, _ wanted: (SIPMessage) -> Bool) async throws -> SIPMessage {
        let deadline = ContinuousClock.now + timeout
        var answered = false
        while ContinuousClock.now < deadline {
            if !answered { send(request, to: port) }
            let slice = min(deadline, ContinuousClock.now + .seconds(1))
            while let m = await receive(until: slice) {
                if wanted(m) { return m }
                if let status = m.statusCode, status < 200 { answered = true }   // it arrived: stop resending
                if let ackBytes, m.statusCode.map({ (200...299).contains($0) }) == true,
                   (try? m.cseq().method) == "INVITE" {
                    send(ackBytes, to: port)
                }
            }
        }
        throw TestFailure("no awaited answer within \(timeout)\n\(failure())")
    }
}
