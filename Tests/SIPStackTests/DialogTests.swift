import SIPMessage
import Testing
@testable import SIPStack

/// Message texts for the dialog tests: lines joined with CRLF, the empty line added.
enum DialogMessages {
    static func parse(_ head: String, body: String = "") throws -> SIPMessage {
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return try SIPMessage(parsing: lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
    }

    /// Alice's INVITE to Bob, sent through her outbound proxy.
    static let invite = """
        INVITE sip:bob@biloxi.example.com SIP/2.0
        Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9
        Max-Forwards: 70
        To: Bob <sip:bob@biloxi.example.com>
        From: "Alice A." <sip:alice@atlanta.example.com>;tag=9fxced76sl
        Call-ID: 3848276298220188511@atlanta.example.com
        CSeq: 1 INVITE
        Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>
        Content-Length: 0
        """

    /// The INVITE as Bob receives it: two proxies record-routed (the later one on top).
    static let inviteAtBob = """
        INVITE sip:bob@client.biloxi.example.com SIP/2.0
        Via: SIP/2.0/UDP ss2.biloxi.example.com;branch=z9hG4bK721e4.1
        Via: SIP/2.0/UDP ss1.atlanta.example.com;branch=z9hG4bK2d4790.1;received=192.0.2.111
        Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9;received=192.0.2.101
        Record-Route: <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>
        Max-Forwards: 68
        To: Bob <sip:bob@biloxi.example.com>
        From: "Alice A." <sip:alice@atlanta.example.com>;tag=9fxced76sl
        Call-ID: 3848276298220188511@atlanta.example.com
        CSeq: 1 INVITE
        Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>
        Content-Length: 0
        """

    /// A response to `invite` with `extra` header lines (Record-Route, Contact ...).
    static func response(_ status: String, toTag: String? = "314159", cseq: String = "1 INVITE",
                         callID: String = "3848276298220188511@atlanta.example.com", _ extra: [String]) -> String {
        ([
            "SIP/2.0 \(status)",
            "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9;received=192.0.2.101",
            "From: \"Alice A.\" <sip:alice@atlanta.example.com>;tag=9fxced76sl",
            "To: Bob <sip:bob@biloxi.example.com>" + (toTag.map { ";tag=" + $0 } ?? ""),
            "Call-ID: \(callID)",
            "CSeq: \(cseq)",
        ] + extra + ["Content-Length: 0"]).joined(separator: "\n")
    }

    /// A request from Alice to Bob within the dialog, as Bob receives it.
    static func inDialogAtBob(_ method: String, cseq: UInt32, fromTag: String = "9fxced76sl", toTag: String = "314159",
                              _ extra: [String] = []) -> String {
        ([
            "\(method) sip:bob@client.biloxi.example.com SIP/2.0",
            "Via: SIP/2.0/UDP ss2.biloxi.example.com;branch=z9hG4bKin\(cseq)",
            "Max-Forwards: 69",
            "From: \"Alice A.\" <sip:alice@atlanta.example.com>;tag=\(fromTag)",
            "To: Bob <sip:bob@biloxi.example.com>;tag=\(toTag)",
            "Call-ID: 3848276298220188511@atlanta.example.com",
            "CSeq: \(cseq) \(method)",
        ] + extra + ["Content-Length: 0"]).joined(separator: "\n")
    }

    static let ringingWithoutRecordRoute = response("180 Ringing", ["Contact: <sip:bob@client.biloxi.example.com>"])
    static let okRecordRouted = response("200 OK", [
        "Record-Route: <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>",
        "Contact: <sip:bob@192.0.2.4>",
    ])
}

private typealias M = DialogMessages

@Suite struct DialogCreationTests {
    @Test func uacEarlyOnRingingThenConfirmedOnOK() throws {
        let invite = try M.parse(M.invite)
        var dialog = try Dialog(sentRequest: invite, response: try M.parse(M.ringingWithoutRecordRoute))
        #expect(dialog.state == .early)
        #expect(dialog.role == .uac)
        #expect(dialog.id == DialogID(callID: "3848276298220188511@atlanta.example.com", localTag: "9fxced76sl", remoteTag: "314159"))
        #expect(dialog.localURI == "\"Alice A.\" <sip:alice@atlanta.example.com>")
        #expect(dialog.remoteURI == "\"Bob\" <sip:bob@biloxi.example.com>")
        #expect(dialog.localCSeq == 2)
        #expect(dialog.remoteCSeq == nil)
        #expect(dialog.remoteTarget == "sip:bob@client.biloxi.example.com")
        #expect(dialog.routeSet.isEmpty)
        #expect(!dialog.secure)

        // §13.2.2.4: the 2xx confirms it and the route set is recomputed from the 2xx.
        let ok = try M.parse(M.okRecordRouted)
        #expect(try DialogID(receivedResponse: ok) == dialog.id)
        #expect(try dialog.receive(response: ok) == .confirmed)
        #expect(dialog.state == .confirmed)
        #expect(dialog.routeSet == ["sip:ss1.atlanta.example.com;lr", "sip:ss2.biloxi.example.com;lr"])
        #expect(dialog.remoteTarget == "sip:bob@192.0.2.4")
        #expect(dialog.localCSeq == 2)
        // a retransmitted 2xx changes nothing
        #expect(try dialog.receive(response: ok) == .unchanged)
    }

    @Test func uacRouteSetIsRecordRouteReversedAcrossLinesAndCommaLists() throws {
        let ok = try M.parse(M.response("200 OK", [
            "Record-Route: <sip:ss3.biloxi.example.com;lr>",
            "Record-Route: <sip:ss2.biloxi.example.com;lr;ftag=x1>,<sip:192.0.2.111:5070;lr>",
            "Contact: <sip:bob@192.0.2.4>",
        ]))
        let dialog = try Dialog(sentRequest: try M.parse(M.invite), response: ok)
        #expect(dialog.state == .confirmed)
        #expect(dialog.routeSet == ["sip:192.0.2.111:5070;lr", "sip:ss2.biloxi.example.com;lr;ftag=x1", "sip:ss3.biloxi.example.com;lr"])
    }

    @Test func uasRouteSetKeepsRecordRouteOrderAndRemoteCSeqIsTheRequests() throws {
        let invite = try M.parse(M.inviteAtBob)
        var dialog = try Dialog(receivedRequest: invite, localTag: "314159", localCSeq: 231)
        #expect(dialog.role == .uas)
        #expect(dialog.state == .early)
        #expect(dialog.id == DialogID(callID: "3848276298220188511@atlanta.example.com", localTag: "314159", remoteTag: "9fxced76sl"))
        #expect(dialog.routeSet == ["sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"])
        #expect(dialog.remoteTarget == "sip:alice@pc33.atlanta.example.com;transport=udp")
        #expect(dialog.remoteCSeq == 1)
        #expect(dialog.localCSeq == 231)
        #expect(dialog.localURI == "\"Bob\" <sip:bob@biloxi.example.com>")
        #expect(dialog.remoteURI == "\"Alice A.\" <sip:alice@atlanta.example.com>")

        // The answers carry the local tag; the 200 confirms the dialog.
        let ringing = try dialog.response(to: invite, status: 180).build()
        #expect(try ringing.to().tag == "314159")
        dialog.responded(with: 180, to: invite)
        #expect(dialog.state == .early)
        dialog.responded(with: 200, to: invite)
        #expect(dialog.state == .confirmed)
    }

    @Test func uasEarlyDialogEndsWhenTheInviteIsRejected() throws {
        let invite = try M.parse(M.inviteAtBob)
        var dialog = try Dialog(receivedRequest: invite, localTag: "314159")
        dialog.responded(with: 486, to: invite)
        #expect(dialog.state == .terminated)
    }

    @Test func uacEarlyDialogEndsOnAFinalNon2xx() throws {
        var dialog = try Dialog(sentRequest: try M.parse(M.invite), response: try M.parse(M.ringingWithoutRecordRoute))
        #expect(try dialog.receive(response: try M.parse(M.response("486 Busy Here", []))) == .terminated)
        #expect(dialog.state == .terminated)
        #expect(throws: DialogError.self) { _ = try dialog.request("INFO") }
    }

    @Test func secureOnlyForSipsOverTLS() throws {
        let sipsInvite = try M.parse(M.invite.replacingFirst("INVITE sip:bob@", "INVITE sips:bob@"))
        let ok = try M.parse(M.okRecordRouted)
        #expect(try Dialog(sentRequest: sipsInvite, response: ok, overTLS: true).secure)
        #expect(try !Dialog(sentRequest: sipsInvite, response: ok, overTLS: false).secure)
        #expect(try !Dialog(sentRequest: try M.parse(M.invite), response: ok, overTLS: true).secure)
    }

    @Test func subscribeCreatesADialog() throws {
        let subscribe = try M.parse(M.invite.replacingFirst("INVITE sip:", "SUBSCRIBE sip:").replacingFirst("1 INVITE", "1 SUBSCRIBE")
            + "\nEvent: dialog")
        let ok = try M.parse(M.response("200 OK", cseq: "1 SUBSCRIBE", ["Contact: <sip:bob@192.0.2.4>", "Expires: 600"]))
        let dialog = try Dialog(sentRequest: subscribe, response: ok)
        #expect(dialog.method == "SUBSCRIBE")
        #expect(dialog.state == .confirmed)
    }
}

@Suite struct DialogErrorTests {
    /// The kind of the DialogError `body` throws; nil when it throws nothing (or another error).
    func kind(_ body: () throws -> Void) -> DialogError.Kind? {
        do { try body(); return nil } catch let e as DialogError { return e.kind } catch { return nil }
    }

    @Test func aResponseWithoutToTagOrContactCreatesNoDialog() throws {
        let invite = try M.parse(M.invite)
        let noTag = try M.parse(M.response("180 Ringing", toTag: nil, ["Contact: <sip:bob@192.0.2.4>"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: noTag) } == .missingTag)
        let noContact = try M.parse(M.response("200 OK", []))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: noContact) } == .missingContact)
        let wildcard = try M.parse(M.response("200 OK", ["Contact: *"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: wildcard) } == .malformed)
        let telContact = try M.parse(M.response("200 OK", ["Contact: <tel:+15551234567>"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: telContact) } == .malformed)
    }

    @Test func responsesThatCreateNoDialog() throws {
        let invite = try M.parse(M.invite)
        let trying = try M.parse(M.response("100 Trying", ["Contact: <sip:bob@192.0.2.4>"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: trying) } == .notDialogCreating)
        let busy = try M.parse(M.response("486 Busy Here", ["Contact: <sip:bob@192.0.2.4>"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: busy) } == .notDialogCreating)
        let other = try M.parse(M.response("200 OK", callID: "another@atlanta.example.com", ["Contact: <sip:bob@192.0.2.4>"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: other) } == .mismatch)
        let otherCSeq = try M.parse(M.response("200 OK", cseq: "2 INVITE", ["Contact: <sip:bob@192.0.2.4>"]))
        #expect(kind { _ = try Dialog(sentRequest: invite, response: otherCSeq) } == .mismatch)
        let options = try M.parse(M.invite.replacingFirst("INVITE sip:", "OPTIONS sip:").replacingFirst("1 INVITE", "1 OPTIONS"))
        let ok = try M.parse(M.okRecordRouted)
        #expect(kind { _ = try Dialog(sentRequest: options, response: ok) } == .notDialogCreating)
    }

    @Test func malformedHeadersAreErrorsWithTheHeaderNamed() throws {
        let invite = try M.parse(M.invite)
        let badRR = try M.parse(M.response("200 OK", ["Record-Route: <sip:ss1.atlanta.example.com;lr", "Contact: <sip:bob@192.0.2.4>"]))
        do {
            _ = try Dialog(sentRequest: invite, response: badRR)
            Issue.record("a malformed Record-Route created a dialog")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.header == "Record-Route")
        }
        let noCallID = try M.parse(M.invite.replacingFirst("Call-ID: 3848276298220188511@atlanta.example.com\n", ""))
        #expect(kind { _ = try Dialog(receivedRequest: noCallID, localTag: "x") } == .malformed)
    }

    @Test func uasNeedsFromTagContactAndNoToTag() throws {
        let noContact = try M.parse(M.inviteAtBob.replacingFirst("Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>\n", ""))
        #expect(kind { _ = try Dialog(receivedRequest: noContact, localTag: "314159") } == .missingContact)
        let noFromTag = try M.parse(M.inviteAtBob.replacingFirst(";tag=9fxced76sl", ""))
        #expect(kind { _ = try Dialog(receivedRequest: noFromTag, localTag: "314159") } == .missingTag)
        let inDialog = try M.parse(M.inDialogAtBob("INVITE", cseq: 2, ["Contact: <sip:alice@192.0.2.101>"]))
        #expect(kind { _ = try Dialog(receivedRequest: inDialog, localTag: "314159") } == .notDialogCreating)
        let invite = try M.parse(M.inviteAtBob)
        #expect(kind { _ = try Dialog(receivedRequest: invite, localTag: "") } == .missingTag)
    }

    @Test func aResponseOfAnotherDialogIsAMismatch() throws {
        var dialog = try Dialog(sentRequest: try M.parse(M.invite), response: try M.parse(M.ringingWithoutRecordRoute))
        let forked = try M.parse(M.response("200 OK", toTag: "forked-2", ["Contact: <sip:bob@192.0.2.5>"]))
        #expect(kind { _ = try dialog.receive(response: forked) } == .mismatch)
        #expect(dialog.state == .early)
        // the fork is a dialog of its own (§13.2.2.4)
        let second = try Dialog(sentRequest: try M.parse(M.invite), response: forked)
        #expect(second.remoteTag == "forked-2" && second.state == .confirmed)
        #expect(second.id != dialog.id)
    }
}

@Suite struct DialogMatchingTests {
    @Test func identitiesFromRequestsAndResponses() throws {
        let request = try M.parse(M.inDialogAtBob("INFO", cseq: 2))
        #expect(try DialogID(receivedRequest: request) == DialogID(callID: "3848276298220188511@atlanta.example.com",
                                                                    localTag: "314159", remoteTag: "9fxced76sl"))
        let response = try M.parse(M.okRecordRouted)
        #expect(try DialogID(receivedResponse: response) == DialogID(callID: "3848276298220188511@atlanta.example.com",
                                                                      localTag: "9fxced76sl", remoteTag: "314159"))
        #expect(throws: DialogError(.missingTag, header: "To", reason: "no tag: the request is outside any dialog")) {
            try DialogID(receivedRequest: try M.parse(M.inviteAtBob))
        }
    }

    @Test func tableFindsTheDialogAndAnswers481ForUnknownOnes() throws {
        var table = DialogTable()
        let invite = try M.parse(M.inviteAtBob)
        var dialog = try Dialog(receivedRequest: invite, localTag: "314159")
        dialog.responded(with: 200, to: invite)
        table.insert(dialog)
        let info = try M.parse(M.inDialogAtBob("INFO", cseq: 2))
        #expect(table.id(forRequest: info) == dialog.id)
        #expect(table.receive(request: info) == .accept)
        #expect(table[dialog.id]?.remoteCSeq == 2)
        #expect(table.description == "INVITE dialog (uas) confirmed call-id 3848276298220188511@atlanta.example.com local-tag 314159 "
                + "remote-tag 9fxced76sl local-cseq 1 remote-cseq 2 target sip:alice@pc33.atlanta.example.com;transport=udp "
                + "route <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>")
        let stranger = try M.parse(M.inDialogAtBob("INFO", cseq: 3, toTag: "not-ours"))
        #expect(table.id(forRequest: stranger) == nil)
        #expect(table.receive(request: stranger) == .reject(status: 481, reason: "Call/Transaction Does Not Exist"))
        #expect(table.id(forResponse: try M.parse(M.okRecordRouted)) == nil)   // Bob holds the UAS side only

        #expect(table.receive(request: try M.parse(M.inDialogAtBob("BYE", cseq: 3))) == .accept)
        #expect(table[dialog.id]?.state == .terminated)
        #expect(table.removeTerminated() == [dialog.id])
        #expect(table.isEmpty)
    }
}

extension String {
    /// The text with the first occurrence of `target` replaced (a test must fail if it is absent).
    func replacingFirst(_ target: String, _ replacement: String) -> String {
        guard let r = firstRange(of: target) else {
            Issue.record("\"\(target)\" is not in the message text")
            return self
        }
        var s = self
        s.replaceSubrange(r, with: replacement)
        return s
    }
}
