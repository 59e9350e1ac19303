import SIPMessage
import Testing
@testable import SIPStack

private typealias M = DialogMessages

/// The confirmed dialog Alice holds after `invite` and `okRecordRouted`.
private func aliceDialog() throws -> Dialog {
    try Dialog(sentRequest: try M.parse(M.invite), response: try M.parse(M.okRecordRouted))
}

/// A built request with a Via on top, parsed back and validated as a UA would (§8.2).
private func parsed(_ r: DialogRequest) throws -> SIPMessage {
    var r = r
    r.addVia("SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKtest\(r.cseq)\(r.method)")
    let m = try r.message.build()
    try m.validate()
    return m
}

@Suite struct DialogRequestTests {
    @Test func looseRoutingKeepsTheRemoteTargetAsRequestURIAndListsTheRouteSet() throws {
        var dialog = try aliceDialog()
        let bye = try dialog.bye()
        let m = try parsed(bye)
        #expect(m.method == "BYE")
        #expect(m.requestURIText == "sip:bob@192.0.2.4")
        #expect(m.values("Route") == ["<sip:ss1.atlanta.example.com;lr>", "<sip:ss2.biloxi.example.com;lr>"])
        #expect(m.value("Max-Forwards") == "70")
        #expect(m.value("From") == "\"Alice A.\" <sip:alice@atlanta.example.com>;tag=9fxced76sl")
        #expect(m.value("To") == "\"Bob\" <sip:bob@biloxi.example.com>;tag=314159")
        #expect(m.value("Call-ID") == "3848276298220188511@atlanta.example.com")
        #expect(m.value("CSeq") == "2 BYE")
        #expect(m.headers.first?.name == .via)
        #expect(bye.nextHop == NextHop(uri: "sip:ss1.atlanta.example.com;lr", host: "ss1.atlanta.example.com", port: nil, transport: "udp"))
        #expect(bye.nextHop.portOrDefault == 5060)
    }

    @Test func strictRoutingPutsTheFirstRouteInTheRequestURIAndTheTargetLast() throws {
        // The proxy next to Alice is an RFC 2543 strict router (no lr); its URI carries a method
        // parameter, which a Request-URI may not (§19.1.1).
        let ok = try M.parse(M.response("200 OK", [
            "Record-Route: <sip:ss2.biloxi.example.com;lr>",
            "Record-Route: <sip:ss1.atlanta.example.com:5070;transport=TCP;method=INVITE>",
            "Contact: <sip:bob@192.0.2.4;transport=tcp>",
        ]))
        var dialog = try Dialog(sentRequest: try M.parse(M.invite), response: ok)
        #expect(dialog.routeSet == ["sip:ss1.atlanta.example.com:5070;transport=TCP;method=INVITE", "sip:ss2.biloxi.example.com;lr"])
        let info = try dialog.request("INFO")
        let m = try parsed(info)
        #expect(m.requestURIText == "sip:ss1.atlanta.example.com:5070;transport=TCP")
        #expect(m.values("Route") == ["<sip:ss2.biloxi.example.com;lr>", "<sip:bob@192.0.2.4;transport=tcp>"])
        #expect(m.value("CSeq") == "2 INFO")
        #expect(info.nextHop.host == "ss1.atlanta.example.com")
        #expect(info.nextHop.port == 5070)
        #expect(info.nextHop.transport == "tcp")
    }

    @Test func withoutRouteSetTheRequestGoesToTheRemoteTargetAndItsMaddr() throws {
        let ok = try M.parse(M.response("200 OK", ["Contact: <sips:bob@client.biloxi.example.com;maddr=192.0.2.44?Subject=x>"]))
        var dialog = try Dialog(sentRequest: try M.parse(M.invite), response: ok)
        let m = try parsed(try dialog.request("OPTIONS"))
        #expect(m.requestURIText == "sips:bob@client.biloxi.example.com;maddr=192.0.2.44")
        #expect(m.values("Route").isEmpty)
        let hop = try dialog.request("OPTIONS").nextHop
        #expect(hop == NextHop(uri: "sips:bob@client.biloxi.example.com;maddr=192.0.2.44?Subject=x", host: "192.0.2.44",
                               port: nil, transport: "tls"))
        #expect(hop.portOrDefault == 5061)
    }

    @Test func ackUsesTheInviteCSeqAndByeTheNextOne() throws {
        var dialog = try aliceDialog()
        let ok = try M.parse(M.okRecordRouted)
        let ack = try dialog.ack(to: ok)
        let a = try parsed(ack)
        #expect(a.method == "ACK")
        #expect(a.value("CSeq") == "1 ACK")
        #expect(a.requestURIText == "sip:bob@192.0.2.4")
        #expect(a.values("Route") == ["<sip:ss1.atlanta.example.com;lr>", "<sip:ss2.biloxi.example.com;lr>"])
        #expect(dialog.localCSeq == 2)   // the ACK takes no number

        let b = try parsed(try dialog.bye())
        #expect(b.value("CSeq") == "2 BYE")
        #expect(dialog.localCSeq == 3)
        #expect(dialog.state == .terminated)   // §15.1.1: ended as the BYE is handed over
        #expect(throws: DialogError.self) { try dialog.request("INFO") }
        // the 200 for the BYE belongs to the dialog and leaves it ended
        let byeOK = try M.parse(M.response("200 OK", cseq: "2 BYE", []))
        #expect(try dialog.receive(response: byeOK) == .unchanged)
        #expect(dialog.state == .terminated)
        // a late 2xx still gets its ACK
        #expect(try dialog.ack(inviteCSeq: 1).cseq == 1)
    }

    @Test func ackIsOnlyForA2xxToAnInviteOfThisDialog() throws {
        let dialog = try aliceDialog()
        #expect(throws: DialogError.self) { try dialog.ack(to: try M.parse(M.response("486 Busy Here", []))) }
        #expect(throws: DialogError.self) { try dialog.ack(to: try M.parse(M.response("200 OK", cseq: "2 BYE", []))) }
        #expect(throws: DialogError.self) { try dialog.ack(to: try M.parse(M.response("200 OK", toTag: "other", []))) }
    }

    @Test func methodsTheDialogDoesNotBuild() throws {
        var dialog = try aliceDialog()
        for method in ["ACK", "CANCEL", "", "BAD METHOD"] {
            do {
                _ = try dialog.request(method)
                Issue.record("\(method) was built")
            } catch {
                #expect(error.kind == .unsupportedMethod)
            }
        }
        #expect(dialog.localCSeq == 2)
    }

    @Test func uacTargetRefreshOn2xxToReInviteKeepsTheRouteSet() throws {
        var dialog = try aliceDialog()
        let reinvite = try dialog.request("INVITE")
        #expect(reinvite.cseq == 2)
        let ok = try M.parse(M.response("200 OK", cseq: "2 INVITE", [
            "Record-Route: <sip:elsewhere.example.com;lr>",
            "Contact: <sip:bob@192.0.2.99>",
        ]))
        #expect(try dialog.receive(response: ok) == .targetRefreshed)
        #expect(dialog.remoteTarget == "sip:bob@192.0.2.99")
        #expect(dialog.routeSet == ["sip:ss1.atlanta.example.com;lr", "sip:ss2.biloxi.example.com;lr"])
        #expect(try dialog.ack(to: ok).cseq == 2)
        // a 2xx to a request that refreshes nothing leaves the target
        _ = try dialog.request("INFO")
        let infoOK = try M.parse(M.response("200 OK", cseq: "3 INFO", ["Contact: <sip:bob@192.0.2.100>"]))
        #expect(try dialog.receive(response: infoOK) == .unchanged)
        #expect(dialog.remoteTarget == "sip:bob@192.0.2.99")
    }

    @Test func a481Or408ToARequestInTheDialogEndsIt() throws {
        for status in ["481 Call/Transaction Does Not Exist", "408 Request Timeout"] {
            var dialog = try aliceDialog()
            _ = try dialog.request("INFO")
            #expect(try dialog.receive(response: try M.parse(M.response(status, cseq: "2 INFO", []))) == .terminated)
            #expect(dialog.state == .terminated)
        }
    }
}

@Suite struct DialogReceivedRequestTests {
    /// Bob's confirmed dialog (UAS side).
    func bobDialog() throws -> Dialog {
        let invite = try M.parse(M.inviteAtBob)
        var d = try Dialog(receivedRequest: invite, localTag: "314159", localCSeq: 231)
        d.responded(with: 200, to: invite)
        return d
    }

    @Test func outOfOrderCSeqIsAnswered500AndTheRemoteCSeqFollowsTheRest() throws {
        var dialog = try bobDialog()
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("INFO", cseq: 5))) == .accept)
        #expect(dialog.remoteCSeq == 5)
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("INFO", cseq: 3))) == .reject(status: 500, reason: "CSeq Out Of Order"))
        #expect(dialog.remoteCSeq == 5)
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("INFO", cseq: 6))) == .accept)
        #expect(dialog.remoteCSeq == 6)
        // the ACK carries its INVITE's (lower) CSeq: no check, no change
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("ACK", cseq: 1))) == .accept)
        #expect(dialog.remoteCSeq == 6)
    }

    @Test func requestsOfOtherDialogsOrMalformedOnesAreRejected() throws {
        var dialog = try bobDialog()
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("INFO", cseq: 2, fromTag: "someone-else")))
                == .reject(status: 481, reason: "Call/Transaction Does Not Exist"))
        let mismatch = try M.parse(M.inDialogAtBob("INFO", cseq: 2).replacingFirst("CSeq: 2 INFO", "CSeq: 2 BYE"))
        #expect(dialog.receive(request: mismatch) == .reject(status: 400, reason: "CSeq Method Mismatch"))
        let badContact = try M.parse(M.inDialogAtBob("INVITE", cseq: 2, ["Contact: <sip:alice@>"]))
        #expect(dialog.receive(request: badContact) == .reject(status: 400, reason: "Bad Contact"))
        #expect(dialog.remoteCSeq == 1)
        #expect(dialog.state == .confirmed)
    }

    @Test func uasTargetRefreshAppliesOnlyOnSuccess() throws {
        var dialog = try bobDialog()
        let reinvite = try M.parse(M.inDialogAtBob("INVITE", cseq: 7, ["Contact: <sip:alice@192.0.2.200>"]))
        #expect(dialog.receive(request: reinvite) == .accept)
        #expect(dialog.remoteTarget == "sip:alice@pc33.atlanta.example.com;transport=udp")
        dialog.responded(with: 200, to: reinvite)
        #expect(dialog.remoteTarget == "sip:alice@192.0.2.200")

        let refused = try M.parse(M.inDialogAtBob("UPDATE", cseq: 8, ["Contact: <sip:alice@192.0.2.201>"]))
        #expect(dialog.receive(request: refused) == .accept)
        dialog.responded(with: 488, to: refused)
        #expect(dialog.remoteTarget == "sip:alice@192.0.2.200")
        // a 2xx after the refusal has nothing left to apply
        dialog.responded(with: 200, to: refused)
        #expect(dialog.remoteTarget == "sip:alice@192.0.2.200")
        #expect(dialog.remoteCSeq == 8)
    }

    @Test func byeEndsTheDialogAndLaterRequestsGet481() throws {
        var dialog = try bobDialog()
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("BYE", cseq: 2))) == .accept)
        #expect(dialog.state == .terminated)
        #expect(dialog.receive(request: try M.parse(M.inDialogAtBob("INFO", cseq: 3)))
                == .reject(status: 481, reason: "Call/Transaction Does Not Exist"))
    }

    @Test func uasRequestsUseItsOwnCSeqSpaceAndTheRouteSetInOrder() throws {
        var dialog = try bobDialog()
        let bye = try dialog.bye()
        let m = try parsed(bye)
        #expect(m.requestURIText == "sip:alice@pc33.atlanta.example.com;transport=udp")
        #expect(m.values("Route") == ["<sip:ss2.biloxi.example.com;lr>", "<sip:ss1.atlanta.example.com;lr>"])
        #expect(m.value("From") == "\"Bob\" <sip:bob@biloxi.example.com>;tag=314159")
        #expect(m.value("To") == "\"Alice A.\" <sip:alice@atlanta.example.com>;tag=9fxced76sl")
        #expect(m.value("CSeq") == "231 BYE")
        #expect(bye.nextHop.host == "ss2.biloxi.example.com")
    }
}

/// The call of RFC 3261 §24.2 (Alice calls Bob through atlanta.com's and biloxi.com's proxies,
/// which do not record-route): the ACK goes straight to Bob's Contact, and Bob's BYE straight
/// to Alice's, with the CSeq numbers of the example (314159 and 231).
@Suite struct DialogRFC3261ExampleTests {
    static let f1 = """
        INVITE sip:bob@biloxi.com SIP/2.0
        Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8
        Max-Forwards: 70
        To: Bob <sip:bob@biloxi.com>
        From: Alice <sip:alice@atlanta.com>;tag=1928301774
        Call-ID: a84b4c76e66710
        CSeq: 314159 INVITE
        Contact: <sip:alice@pc33.atlanta.com>
        Content-Type: application/sdp
        Content-Length: 0
        """
    static let f9 = """
        SIP/2.0 200 OK
        Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1
        To: Bob <sip:bob@biloxi.com>;tag=a6c85cf
        From: Alice <sip:alice@atlanta.com>;tag=1928301774
        Call-ID: a84b4c76e66710
        CSeq: 314159 INVITE
        Contact: <sip:bob@192.0.2.4>
        Content-Type: application/sdp
        Content-Length: 0
        """
    static let f13 = """
        BYE sip:alice@pc33.atlanta.com SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10
        Max-Forwards: 70
        From: Bob <sip:bob@biloxi.com>;tag=a6c85cf
        To: Alice <sip:alice@atlanta.com>;tag=1928301774
        Call-ID: a84b4c76e66710
        CSeq: 231 BYE
        Content-Length: 0
        """

    @Test func aliceAcksBobDirectlyAndAcceptsHisBye() throws {
        var alice = try Dialog(sentRequest: try M.parse(Self.f1), response: try M.parse(Self.f9))
        #expect(alice.state == .confirmed && alice.routeSet.isEmpty)
        let ack = try alice.ack(to: try M.parse(Self.f9))
        let f11 = try parsed(ack)
        #expect(f11.requestURIText == "sip:bob@192.0.2.4")
        #expect(f11.value("CSeq") == "314159 ACK")
        #expect(try f11.to().tag == "a6c85cf" && f11.to().uri.text == "sip:bob@biloxi.com")
        #expect(try f11.from().tag == "1928301774")
        #expect(f11.value("Call-ID") == "a84b4c76e66710")
        #expect(ack.nextHop == NextHop(uri: "sip:bob@192.0.2.4", host: "192.0.2.4", port: nil, transport: "udp"))

        #expect(alice.receive(request: try M.parse(Self.f13)) == .accept)
        #expect(alice.remoteCSeq == 231)
        #expect(alice.state == .terminated)
    }

    @Test func bobsByeHasTheExamplesHeaders() throws {
        var bob = try Dialog(receivedRequest: try M.parse(Self.f1), localTag: "a6c85cf", localCSeq: 231)
        bob.responded(with: 200, to: try M.parse(Self.f1))
        let bye = try bob.bye()
        var withVia = bye
        withVia.addVia("SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10")
        let ours = try withVia.message.build()
        let f13 = try M.parse(Self.f13)
        #expect(ours.requestURIText == f13.requestURIText)
        for header in ["Via", "Max-Forwards", "Call-ID", "CSeq"] {
            #expect(ours.value(header) == f13.value(header), "\(header)")
        }
        for (a, b) in [(try ours.from(), try f13.from()), (try ours.to(), try f13.to())] {
            #expect(a.uri.text == b.uri.text && a.tag == b.tag && a.displayName == b.displayName)
        }
        #expect(bye.nextHop.host == "pc33.atlanta.com")
    }
}
