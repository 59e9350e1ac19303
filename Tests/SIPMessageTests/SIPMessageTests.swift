import Testing
import TestKit
import SIPMessage

let invite = """
INVITE sip:bob@example.org SIP/2.0\r
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r
Max-Forwards: 70\r
From: "Alice Liddell" <sip:alice@example.com>;tag=1928301774\r
To: Bob <sip:bob@example.org>\r
Call-ID: a84b4c76e66710@192.0.2.10\r
CSeq: 314159 INVITE\r
Contact: <sip:alice@192.0.2.10:5060;transport=udp>;expires=60;q=0.5\r
Content-Type: application/sdp; charset=utf-8\r
Content-Length: 4\r
\r
v=0\r
"""

@Suite struct ParsingTests {
    @Test func requestLineHeadersAndBody() throws {
        let m = try SIPMessage(parsing: invite)
        #expect(m.isRequest)
        #expect(m.method == "INVITE")
        #expect(m.requestURIText == "sip:bob@example.org")
        #expect(m.headers.count == 9)
        #expect(m.headers[0].name == .via)
        #expect(Array(m.body) == Array("v=0\r".utf8))
        #expect(m.declaredContentLength == 4)
    }

    @Test func statusLine() throws {
        let m = try SIPMessage(parsing: "SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n")
        #expect(m.statusCode == 486)
        #expect(m.reasonPhrase == "Busy Here")
        #expect(!m.isRequest)
    }

    @Test func compactFormsMapToFullNames() throws {
        let text = "OPTIONS sip:a@b SIP/2.0\r\ni: x@y\r\nm: <sip:c@d>\r\ne: gzip\r\nl: 0\r\nc: text/plain\r\nf: <sip:a@b>;tag=1\r\ns: hi\r\nk: timer\r\nt: <sip:a@b>\r\nv: SIP/2.0/UDP h\r\no: presence\r\nu: dialog\r\nr: <sip:x@y>\r\nb: <sip:z@y>\r\nx: 90\r\ny: abc\r\n\r\n"
        let m = try SIPMessage(parsing: text)
        #expect(m.headers.map(\.name) == [.callID, .contact, .contentEncoding, .contentLength, .contentType, .from, .subject,
                                          .supported, .to, .via, .event, .allowEvents, .referTo, .referredBy, .sessionExpires, .identity])
        #expect(SIPHeaderName("CALL-id") == .callID)
        #expect(SIPHeaderName("V") == .via)
        #expect(SIPHeaderName("X-Custom") == .extension)
        #expect(m.value("Call-ID") == "x@y")
        #expect(m.value("SUBJECT") == "hi")
    }

    @Test func foldedValuesAndCommaLists() throws {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nAllow: INVITE,\r\n  ACK , BYE\r\nAllow: CANCEL\r\nX-List: \"a, b\", <sip:c,d@e>, f\r\nl: 0\r\n\r\n"
        let m = try SIPMessage(parsing: text)
        #expect(m.values("Allow") == ["INVITE", "ACK", "BYE", "CANCEL"])
        #expect(m.values("x-list") == ["\"a, b\"", "<sip:c,d@e>", "f"])
        let allow = try #require(try m.tokenList(.allow))
        #expect(allow.tokens == ["INVITE", "ACK", "BYE", "CANCEL"])
        #expect(allow.contains("bye"))
    }

    @Test func leadingEmptyLinesAreIgnored() throws {
        let m = try SIPMessage(parsing: "\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n")
        #expect(m.method == "OPTIONS")
    }

    @Test func sizeCap() {
        let big = "OPTIONS sip:a@b SIP/2.0\r\nX: " + String(repeating: "a", count: 70_000) + "\r\nl: 0\r\n\r\n"
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: big) }
        do { _ = try SIPMessage(parsing: big) } catch {
            #expect(error.kind == .messageTooLarge)
            #expect(rejectionStatus(error) == 513)
        }
        let small = SIPMessage.Limits(maxMessageSize: 100)
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: Array(invite.utf8), limits: small) }
    }

    @Test func errorsAreValues() {
        let cases = ["", "garbage", "INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n", "INVITE sip:a@b SIP/2.0\r\nVia: x\r\n",
                     "SIP/2.0 99 Low\r\n\r\n", "SIP/2.0 200\r\n\r\n", "INVITE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nab"]
        for c in cases {
            #expect(throws: SIPParseError.self, "\(c.debugDescription)") { try SIPMessage(parsing: c).validate() }
        }
    }

    @Test func streamTransportRequiresContentLength() {
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: Array("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r\n".utf8), transport: .stream) }
    }
}

@Suite struct FramingTests {
    @Test func completeIncompleteAndLength() {
        let b = Array(invite.utf8)
        #expect(SIPMessage.frame(b) == .complete(length: b.count))
        #expect(SIPMessage.frame(Array(b.prefix(b.count - 1))) == .incomplete)
        #expect(SIPMessage.frame(Array(b.prefix(40))) == .incomplete)
        #expect(SIPMessage.frame(b + Array("INVITE sip:x".utf8)) == .complete(length: b.count))
        #expect(SIPMessage.frame(Array("\r\n\r\n".utf8)) == .keepAlive(length: 4))
    }

    @Test func endlessHeaderSectionIsRejected() {
        let limits = SIPMessage.Limits(maxMessageSize: 1024)
        let b = Array(("OPTIONS sip:a@b SIP/2.0\r\n" + String(repeating: "X-A: b\r\n", count: 200)).utf8)
        guard case .invalid(let e) = SIPMessage.frame(b, limits: limits) else { Issue.record("not rejected"); return }
        #expect(e.kind == .headerSectionTooLarge)
    }

    @Test func bodyBeyondCapIsRejected() {
        let b = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 100000\r\n\r\n".utf8)
        guard case .invalid(let e) = SIPMessage.frame(b) else { Issue.record("not rejected"); return }
        #expect(e.kind == .messageTooLarge)
    }

    @Test func foldedAndCompactContentLength() {
        let b = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n  3\r\n\r\nabcOPTIONS".utf8)
        #expect(SIPMessage.frame(b) == .complete(length: b.count - 7))
        let c = Array("OPTIONS sip:a@b SIP/2.0\r\nl: 2\r\n\r\nab".utf8)
        #expect(SIPMessage.frame(c) == .complete(length: c.count))
    }

    @Test func missingContentLengthOnStream() {
        guard case .invalid = SIPMessage.frame(Array("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r\n".utf8)) else { Issue.record("framed"); return }
    }
}

@Suite struct URITests {
    @Test func fullSIPURI() throws {
        let u = try SIPURI(parsing: "sips:alice:secret@[2001:db8::1]:5061;transport=tls;user=phone;method=INVITE;ttl=15;maddr=239.255.255.1;lr;x=y?Subject=hi%20there&Priority=urgent")
        #expect(u.scheme == .sips)
        #expect(u.user == "alice")
        #expect(u.password == "secret")
        #expect(u.host == "[2001:db8::1]")
        #expect(u.isIPv6Reference)
        #expect(u.port == 5061)
        #expect(u.transport == "tls")
        #expect(u.userParameter == "phone")
        #expect(u.methodParameter == "INVITE")
        #expect(u.ttl == 15)
        #expect(u.maddr == "239.255.255.1")
        #expect(u.lr)
        #expect(u.parameter("X") == .some("y"))
        #expect(u.headers.map(\.name) == ["Subject", "Priority"])
        #expect(u.headers.first?.value == "hi there")
    }

    @Test func hostsAndOpaqueSchemes() throws {
        #expect(try SIPURI(parsing: "sip:192.0.2.1").host == "192.0.2.1")
        #expect(try SIPURI(parsing: "sip:example.com:5060").port == 5060)
        let tel = try SIPURI(parsing: "tel:+1-201-555-0123")
        #expect(tel.scheme == .tel)
        #expect(tel.opaque == "+1-201-555-0123")
        #expect(try SIPURI(parsing: "mailto:a@b").scheme == .other)
    }

    @Test func rejectsBadURIs() {
        for bad in ["sip:", "sip:a@", "sip:a@b:99999", "sip:a%zz@b", "sip:a@b;=x", "sip:a@b c", "nocolon", "sip:a@[::1", "sip:a@b;ttl=300"] {
            #expect(throws: SIPParseError.self, "\(bad)") { try SIPURI(parsing: bad) }
        }
    }
}

@Suite struct HeaderValueTests {
    @Test func typedHeadersOfARequest() throws {
        let m = try SIPMessage(parsing: invite)
        let t = try m.validate()
        let via = try #require(t.vias.first)
        #expect(via.protocolName == "SIP")
        #expect(via.transport == "UDP")
        #expect(via.host == "192.0.2.10")
        #expect(via.port == 5060)
        #expect(via.branch == "z9hG4bK776asdhds")
        #expect(via.rport == .requested)
        #expect(via.hasMagicCookie)
        #expect(t.from?.displayName == "Alice Liddell")
        #expect(t.from?.tag == "1928301774")
        #expect(t.to?.displayName == "Bob")
        #expect(t.to?.tag == nil)
        #expect(t.cseq == SIPCSeq(number: 314159, method: "INVITE"))
        #expect(t.maxForwards == 70)
        #expect(t.contacts.first?.expires == 60)
        #expect(t.contacts.first?.q == "0.5")
        #expect(t.contacts.first?.uri.transport == "udp")
        #expect(t.contentType?.mediaType == "application/sdp")
        #expect(t.contentType?.parameters["charset"] == .some("utf-8"))
        #expect(try m.callID() == "a84b4c76e66710@192.0.2.10")
        #expect(try m.cseq().number == 314159)
    }

    @Test func viaParameters() throws {
        let m = try SIPMessage(parsing: "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKx;received=203.0.113.7;rport=5061;maddr=224.0.1.75;ttl=1, SIP/2.0/UDP h2\r\nl: 0\r\n\r\n")
        let v = try m.vias()
        #expect(v.count == 2)
        #expect(v[0].host == "[2001:db8::9]")
        #expect(v[0].port == 5070)
        #expect(v[0].received == "203.0.113.7")
        #expect(v[0].rport == .value(5061))
        #expect(v[0].maddr == "224.0.1.75")
        #expect(v[0].ttl == 1)
        #expect(v[1].host == "h2")
        #expect(v[1].rport == nil)
    }

    @Test func digestChallengeAndCredentials() throws {
        let m = try SIPMessage(parsing: "SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"example.com\", qop=\"auth,auth-int\", nonce=\"abc\\\"d\", opaque=\"\", algorithm=MD5, stale=TRUE\r\nProxy-Authorization: Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", response=\"0123\", cnonce=\"c\", nc=00000001, qop=auth\r\nl: 0\r\n\r\n")
        let c = try #require(try m.authValues(.wwwAuthenticate).first)
        #expect(c.isDigest)
        #expect(c.realm == "example.com")
        #expect(c.qop == "auth,auth-int")
        #expect(c.nonce == "abc\"d")
        #expect(c.opaque == "")
        #expect(c.algorithm == "MD5")
        #expect(c.stale)
        let a = try #require(try m.authValues(.proxyAuthorization).first)
        #expect(a.username == "bob")
        #expect(a.uri == "sip:a@b")
        #expect(a.nonceCount == "00000001")
        #expect(a.cnonce == "c")
        #expect(a.response == "0123")
    }

    @Test func contactStarRoutesEventsAndState() throws {
        let m = try SIPMessage(parsing: "NOTIFY sip:a@b SIP/2.0\r\nContact: *\r\nRoute: <sip:p1;lr>, <sip:p2;lr>\r\nRecord-Route: <sip:rr@p3;lr>\r\nEvent: dialog;id=42\r\nSubscription-State: active;expires=600\r\nSupported: replaces, 100rel\r\nRequire: timer\r\nExpires: 0\r\nl: 0\r\n\r\n")
        #expect(m.isWildcardContact)
        #expect(try m.contacts().isEmpty)
        #expect(try m.routes().map { $0.uri.host } == ["p1", "p2"])
        #expect(try m.recordRoutes().first?.uri.user == "rr")
        #expect(try m.event()?.value == "dialog")
        #expect(try m.event()?.id == "42")
        #expect(try m.subscriptionState()?.value == "active")
        #expect(try m.subscriptionState()?.expires == 600)
        #expect(try m.tokenList(.supported)?.tokens == ["replaces", "100rel"])
        #expect(try m.tokenList(.require)?.tokens == ["timer"])
        #expect(try m.expires() == 0)
    }

    @Test func nameAddrForms() throws {
        let a = try SIPNameAddr(parsing: "\"A \\\"quoted\\\" name\" <sip:a@b>;tag=x")
        #expect(a.displayName == "A \"quoted\" name")
        #expect(a.isNameAddr)
        let b = try SIPNameAddr(parsing: "Several Tokens Here <sip:a@b>")
        #expect(b.displayName == "Several Tokens Here")
        let c = try SIPNameAddr(parsing: "sip:a@b;tag=t")
        #expect(c.displayName == nil)
        #expect(c.tag == "t")
        #expect(c.uri.hasParameters == false)  // addr-spec: ;tag belongs to the header
        let d = try SIPNameAddr(parsing: "<sip:a@b;tag=t>")
        #expect(d.tag == nil)
        #expect(d.uri.parameter("tag") == .some("t"))
    }
}

@Suite struct SerializationTests {
    @Test func canonicalRoundTripIsByteIdentical() throws {
        let b = Array(invite.utf8)
        let m = try SIPMessage(parsing: b)
        #expect(m.serialize() == b)
    }

    @Test func corpusRoundTripsByteIdentical() throws {
        let names = SharedFiles.list(SharedFiles.corpusDirectory, suffix: ".sip")
        #expect(names.count == 6, "corpus expected at \(SharedFiles.corpusDirectory)")
        for n in names {
            let b = try #require(SharedFiles.read(SharedFiles.corpusDirectory + "/" + n))
            let m = try SIPMessage(parsing: b)
            #expect(m.serialize() == b, "\(n)")
        }
    }

    @Test func roundTripPreservesSemanticsOfValidTortureMessages() throws {
        for name in ["wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq", "dblreq", "semiuri",
                     "transports", "mpart01", "unreason", "noreason"] {
            guard let b = SharedFiles.torture(name) else { return }
            let m = try SIPMessage(parsing: b)
            let t = try m.validate()
            let again = try SIPMessage(parsing: m.serialize())
            let t2 = try again.validate()
            #expect(again.headers.count == m.headers.count, "\(name)")
            #expect(again.headers.map(\.name) == m.headers.map(\.name), "\(name)")
            #expect(Array(again.body) == Array(m.body), "\(name)")
            #expect(t2.vias.map(\.branch) == t.vias.map(\.branch), "\(name)")
            #expect(t2.from?.tag == t.from?.tag, "\(name)")
            #expect(t2.callID == t.callID, "\(name)")
            #expect(t2.cseq == t.cseq, "\(name)")
            #expect(again.reasonPhrase == m.reasonPhrase, "\(name)")
            #expect(again.method == m.method, "\(name)")
        }
    }

    @Test func builderWritesContentLength() throws {
        var b = SIPMessageBuilder.request(method: "MESSAGE", uri: "sip:bob@example.org")
        b.add("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1")
        b.add("From", "<sip:a@b>;tag=1")
        b.add("To", "<sip:bob@example.org>")
        b.add("Call-ID", "c1")
        b.add("CSeq", "1 MESSAGE")
        b.add("Max-Forwards", "70")
        b.add("Content-Length", "999")  // replaced by the real length
        b.add("Content-Type", "text/plain")
        b.body = Array("hello".utf8)
        let m = try b.build()
        try m.validate()
        #expect(m.declaredContentLength == 5)
        #expect(m.fields(.contentLength).count == 1)
        #expect(Array(m.body) == Array("hello".utf8))
        let text = String(decoding: b.serialize(), as: UTF8.self)
        #expect(text.hasPrefix("MESSAGE sip:bob@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"))
        #expect(text.hasSuffix("Content-Length: 5\r\n\r\nhello"))
    }

    @Test func responseToARequest() throws {
        let req = try SIPMessage(parsing: invite)
        let r = try SIPMessageBuilder.response(to: req, code: 180, toTag: "abc").build()
        #expect(r.statusCode == 180)
        #expect(r.reasonPhrase == "Ringing")
        #expect(try r.to().tag == "abc")
        #expect(try r.topVia().branch == "z9hG4bK776asdhds")
        #expect(try r.cseq() == SIPCSeq(number: 314159, method: "INVITE"))
        #expect(try r.callID() == "a84b4c76e66710@192.0.2.10")
    }

    @Test func serializeFixesContentLength() throws {
        let m = try SIPMessage(parsing: "OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\nxyz")
        let s = String(decoding: m.serialize(), as: UTF8.self)
        #expect(s == "OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\nContent-Length: 3\r\n\r\nxyz")
    }
}
