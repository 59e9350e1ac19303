import Testing
import SDP

let local = LocalMediaAddress(address: "192.0.2.50", port: 16384)

func phone(_ codecs: [Codec] = [.pcmu, .pcma], dtmf: UInt8? = 101) -> OfferAnswer {
    OfferAnswer(configuration: MediaConfiguration(codecs: codecs, telephoneEventPayloadType: dtmf), local: local, sessionID: 1234)
}

@Suite struct OfferTests {
    @Test func initialOfferIsTheGuidesShape() {
        var oa = phone()
        let text = oa.makeOffer().text
        #expect(text == """
        v=0\r
        o=CiscoSystemsSIP-IPPhone-UserAgent 1234 1234 IN IP4 192.0.2.50\r
        s=SIP Call\r
        c=IN IP4 192.0.2.50\r
        t=0 0\r
        m=audio 16384 RTP/AVP 0 8 101\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-15\r
        a=ptime:20\r
        a=sendrecv\r

        """)
    }

    @Test(arguments: [
        ("g711ulaw", [Codec.pcmu, .pcma], "0 8 101"),
        ("g711alaw", [Codec.pcmu, .pcma], "8 0 101"),
        ("g729a", [Codec.pcmu, .pcma], "0 8 101"),          // not available yet: ignored
        ("g729a", [Codec.pcmu, .pcma, .g729], "18 0 8 101"),
        ("G711ALAW", [Codec.pcmu, .pcma, .g729], "8 0 18 101"),
    ])
    func preferredCodecOrdersTheOffer(preferred: String, available: [Codec], formats: String) {
        var oa = phone(Codec.preferenceOrder(preferred: preferred, available: available))
        let m = oa.makeOffer().media[0]
        #expect(m.formats.joined(separator: " ") == formats)
        if available.contains(.g729) {
            #expect(m.fmtp(for: 18) == "annexb=no")
            #expect(m.rtpmap(for: 18)?.encoding == "G729")
        }
    }

    /// What the phone offers (CallContext uses the default list): G.729 after the G.711 pair
    /// as in GUIDE §9.5's `0 8 18 101`, first with `preferred_codec: g729a`.
    @Test(arguments: [
        ("g711ulaw", "0 8 18 101"),
        ("g711alaw", "8 0 18 101"),
        ("g729a", "18 0 8 101"),
        ("", "0 8 18 101"),
    ])
    func defaultCodecListOffersG729(preferred: String, formats: String) {
        var oa = phone(Codec.preferenceOrder(preferred: preferred))
        let m = oa.makeOffer().media[0]
        #expect(m.formats.joined(separator: " ") == formats)
        #expect(m.fmtp(for: 18) == "annexb=no")
        #expect(m.rtpmap(for: 18)?.encoding == "G729" && m.rtpmap(for: 18)?.clockRate == 8000)
    }

    @Test func dtmfPayloadTypeFollowsTheParameterOrIsLeftOut() {
        var a = phone(dtmf: 96)
        let m = a.makeOffer().media[0]
        #expect(m.payloadTypes == [0, 8, 96] && m.fmtp(for: 96) == "0-15")
        var b = phone(dtmf: nil)
        #expect(b.makeOffer().media[0].payloadTypes == [0, 8])
    }

    /// RFC 3264 §8: a changed description gets version + 1, an unchanged one keeps its version.
    @Test func reOffersForHoldAndResumeIncrementTheVersion() throws {
        var oa = phone()
        let first = oa.makeOffer()
        #expect(first.origin.sessionVersion == 1234)
        let same = oa.makeOffer()
        #expect(same.origin.sessionVersion == 1234)
        let hold = oa.makeOffer(hold: .sendonly)
        #expect(hold.origin.sessionVersion == 1235)
        #expect(hold.media[0].direction == .sendonly)
        let inactive = oa.makeOffer(hold: .inactive)
        #expect(inactive.origin.sessionVersion == 1236 && inactive.media[0].direction == .inactive)
        let zero = oa.makeOffer(hold: .zeroAddress)
        #expect(zero.origin.sessionVersion == 1237 && zero.connection?.address == "0.0.0.0")
        #expect(zero.origin.address == "192.0.2.50")
        let resume = oa.makeOffer()
        #expect(resume.origin.sessionVersion == 1238 && resume.connection?.address == "192.0.2.50"
                && resume.media[0].direction == .sendrecv)
        #expect(resume.origin.sessionID == first.origin.sessionID)
    }
}

@Suite struct AnswerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let offer: String
        let codecs: [Codec]
        let payloadType: UInt8
        let encoding: String
        let dtmf: UInt8?
        let direction: MediaDirection
        let answerDirection: MediaDirection
        let remote: String
        let port: UInt16
        let remoteHold: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "baresip PCMU first", offer: Samples.baresip, codecs: [.pcmu, .pcma], payloadType: 0, encoding: "PCMU",
             dtmf: 101, direction: .sendrecv, answerDirection: .sendrecv, remote: "127.0.0.1", port: 10100, remoteHold: false),
        // The offerer's order wins over preferred_codec (RFC 3264 §6.1).
        Case(name: "baresip 1.0.0 as captured", offer: Samples.baresipCaptured, codecs: [.pcmu, .pcma], payloadType: 0, encoding: "PCMU",
             dtmf: 101, direction: .sendrecv, answerDirection: .sendrecv, remote: "192.0.2.2", port: 36002, remoteHold: false),
        Case(name: "baresip, phone prefers PCMA", offer: Samples.baresip, codecs: [.pcma, .pcmu], payloadType: 0, encoding: "PCMU",
             dtmf: 101, direction: .sendrecv, answerDirection: .sendrecv, remote: "127.0.0.1", port: 10100, remoteHold: false),
        Case(name: "baresip, phone has only PCMA", offer: Samples.baresip, codecs: [.pcma], payloadType: 8, encoding: "PCMA",
             dtmf: 101, direction: .sendrecv, answerDirection: .sendrecv, remote: "127.0.0.1", port: 10100, remoteHold: false),
        // linphone: opus and speex skipped, PCMU chosen, telephone-event at 8000 Hz is 100.
        Case(name: "linphone", offer: Samples.linphone, codecs: [.pcmu, .pcma], payloadType: 0, encoding: "PCMU",
             dtmf: 100, direction: .sendrecv, answerDirection: .sendrecv, remote: "127.0.0.1", port: 7078, remoteHold: false),
        Case(name: "linphone with G.729 first for us", offer: Samples.linphone, codecs: [.g729, .pcma], payloadType: 8, encoding: "PCMA",
             dtmf: 100, direction: .sendrecv, answerDirection: .sendrecv, remote: "127.0.0.1", port: 7078, remoteHold: false),
        Case(name: "SIPp PCMU only, no telephone-event", offer: Samples.sipp, codecs: [.pcma, .pcmu], payloadType: 0, encoding: "PCMU",
             dtmf: nil, direction: .sendrecv, answerDirection: .sendrecv, remote: "127.0.0.1", port: 6000, remoteHold: false),
        Case(name: "RFC 2543 hold, c=0.0.0.0", offer: Samples.rfc2543Hold, codecs: [.pcmu, .pcma], payloadType: 8, encoding: "PCMA",
             dtmf: nil, direction: .recvonly, answerDirection: .recvonly, remote: "0.0.0.0", port: 20000, remoteHold: true),
        Case(name: "sendonly hold", offer: Samples.sipp.replacingFirst("a=rtpmap:0 PCMU/8000", with: "a=rtpmap:0 PCMU/8000\na=sendonly"),
             codecs: [.pcmu], payloadType: 0, encoding: "PCMU", dtmf: nil, direction: .recvonly, answerDirection: .recvonly,
             remote: "127.0.0.1", port: 6000, remoteHold: true),
        Case(name: "session-level sendonly", offer: Samples.sipp.replacingFirst("t=0 0", with: "t=0 0\na=sendonly"),
             codecs: [.pcmu], payloadType: 0, encoding: "PCMU", dtmf: nil, direction: .recvonly, answerDirection: .recvonly,
             remote: "127.0.0.1", port: 6000, remoteHold: true),
        Case(name: "inactive", offer: Samples.sipp.replacingFirst("t=0 0", with: "t=0 0\na=inactive"),
             codecs: [.pcmu], payloadType: 0, encoding: "PCMU", dtmf: nil, direction: .inactive, answerDirection: .inactive,
             remote: "127.0.0.1", port: 6000, remoteHold: true),
        Case(name: "recvonly offer", offer: Samples.sipp.replacingFirst("t=0 0", with: "t=0 0\na=recvonly"),
             codecs: [.pcmu], payloadType: 0, encoding: "PCMU", dtmf: nil, direction: .sendonly, answerDirection: .sendonly,
             remote: "127.0.0.1", port: 6000, remoteHold: false),
        // Static payload type without rtpmap; dynamic telephone-event number kept from the offer.
        Case(name: "no rtpmap, te 96, media-level c=", offer: "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 3000 RTP/AVP 8 96\r\nc=IN IP4 10.1.1.2\r\na=rtpmap:96 TELEPHONE-EVENT/8000\r\na=ptime:30\r\n",
             codecs: [.pcmu, .pcma], payloadType: 8, encoding: "PCMA", dtmf: 96, direction: .sendrecv, answerDirection: .sendrecv,
             remote: "10.1.1.2", port: 3000, remoteHold: false),
        // An SRTP stream first, then a plain one: the plain one is taken, the first rejected.
        Case(name: "SAVP then AVP", offer: "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 3000 RTP/SAVP 0\r\nm=audio 3002 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
             codecs: [.pcmu], payloadType: 0, encoding: "PCMU", dtmf: 101, direction: .sendrecv, answerDirection: .sendrecv,
             remote: "10.1.1.1", port: 3002, remoteHold: false),
    ]

    @Test(arguments: cases) func answersTheOffer(_ c: Case) throws {
        var oa = phone(c.codecs)
        let offer = try SDPSession(parsing: c.offer)
        let (answer, media) = try oa.answer(offer: offer)
        #expect(media.payloadType == c.payloadType)
        #expect(media.codec.encoding == c.encoding)
        #expect(media.dtmfPayloadType == c.dtmf)
        #expect(media.direction == c.direction)
        #expect(media.remoteAddress == c.remote && media.remotePort == c.port)
        #expect(media.remoteHold == c.remoteHold)
        // The answer: as many m= lines as the offer, ours with the chosen codec first.
        #expect(answer.media.count == offer.media.count)
        let ours = try #require(answer.media.first { $0.port != 0 })
        #expect(ours.port == 16384)
        #expect(ours.payloadTypes.first == c.payloadType)
        #expect(ours.payloadTypes == [c.payloadType] + (c.dtmf.map { [$0] } ?? []))
        #expect(ours.direction == c.answerDirection)
        #expect(answer.connection?.address == "192.0.2.50")
        if let te = c.dtmf { #expect(ours.fmtp(for: te) == "0-15") }
        for (o, a) in zip(offer.media, answer.media) where a.port == 0 {
            #expect(a.media == o.media && a.proto == o.proto && !a.formats.isEmpty)
        }
        // The answer is itself valid SDP that parses back the same.
        #expect(try SDPSession(parsing: answer.text) == answer)
    }

    @Test func g729AnsweredWithoutAnnexB() throws {
        var oa = phone([.g729, .pcmu])
        let offer = "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 3000 RTP/AVP 18 0\r\na=fmtp:18 annexb=yes\r\n"
        let (answer, m) = try oa.answer(offer: SDPSession(parsing: offer))
        #expect(m.codec == .g729 && m.payloadType == 18)
        #expect(answer.media[0].fmtp(for: 18) == "annexb=no")   // Annex B was offered, not accepted
    }

    @Test func ptimeOfTheOfferer() throws {
        var oa = phone()
        let (_, m) = try oa.answer(offer: SDPSession(parsing: Samples.sipp + "a=ptime:30\n"))
        #expect(m.ptime == 30)
        let (_, odd) = try oa.answer(offer: SDPSession(parsing: Samples.sipp + "a=ptime:25\n"))
        #expect(odd.ptime == 20)
    }

    @Test func noCommonCodecIs488With305Warning() throws {
        var oa = phone()
        let offer = try SDPSession(parsing: "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 3000 RTP/AVP 9 96\r\na=rtpmap:96 opus/48000/2\r\n")
        #expect {
            try oa.answer(offer: offer)
        } throws: { error in
            guard let e = error as? OfferAnswerError, case .noCommonCodec(let offered) = e else { return false }
            return e.statusCode == 488 && e.reasonPhrase == "Not Acceptable Here" && offered == ["G722/8000", "opus/48000"]
                && e.warningValue(agent: "192.0.2.50") == "305 192.0.2.50 \"Incompatible media format\""
        }
        #expect(oa.negotiated == nil)
    }

    @Test(arguments: [
        "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=video 3000 RTP/AVP 96\r\n",
        "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
        "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 3000 RTP/SAVP 0\r\n",
        "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nt=0 0\r\n",
    ])
    func noAudioStreamIs488With304Warning(_ text: String) throws {
        var oa = phone()
        #expect(throws: OfferAnswerError.noAudioStream) { try oa.answer(offer: SDPSession(parsing: text)) }
        #expect(OfferAnswerError.noAudioStream.warningValue(agent: "p") == "304 p \"Media type not available\"")
    }

    @Test func missingConnectionIs400() throws {
        var oa = phone()
        let offer = try SDPSession(parsing: "v=0\r\no=x 1 1 IN IP4 10.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 3000 RTP/AVP 0\r\n")
        #expect(throws: OfferAnswerError.noConnection) { try oa.answer(offer: offer) }
        #expect(OfferAnswerError.noConnection.statusCode == 400)
    }

    /// The phone holding the call answers a re-INVITE without giving up its hold.
    @Test func answerWhileHolding() throws {
        var oa = phone()
        let offer = try SDPSession(parsing: Samples.baresip)
        let (a1, m1) = try oa.answer(offer: offer, hold: .sendonly)
        #expect(a1.media[0].direction == .sendonly && m1.direction == .sendonly)
        let (a2, m2) = try oa.answer(offer: offer, hold: .inactive)
        #expect(a2.media[0].direction == .inactive && m2.direction == .inactive)
        #expect(a2.origin.sessionVersion == a1.origin.sessionVersion + 1)
        let (a3, _) = try oa.answer(offer: offer, hold: .inactive)
        #expect(a3.origin.sessionVersion == a2.origin.sessionVersion)   // unchanged answer
    }
}

@Suite struct AcceptAnswerTests {
    func answer(_ lines: String) throws -> SDPSession {
        try SDPSession(parsing: "v=0\r\no=far 9 9 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n" + lines)
    }

    @Test func firstFormatOfTheAnswerThatWeOffered() throws {
        var oa = phone()
        _ = oa.makeOffer()
        let m = try oa.accept(answer: answer("m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"))
        #expect(m.codec == .pcma && m.payloadType == 8 && m.dtmfPayloadType == 101)
        #expect(m.remoteAddress == "198.51.100.9" && m.remotePort == 40000)
        #expect(m.direction == .sendrecv && !m.remoteHold && m.ptime == 20)
        #expect(oa.negotiated == m)
    }

    @Test func answerersOwnTelephoneEventNumberIsUsedToSend() throws {
        var oa = phone()
        _ = oa.makeOffer()
        let m = try oa.accept(answer: answer("m=audio 40000 RTP/AVP 0 97\r\na=rtpmap:97 telephone-event/8000\r\n"))
        #expect(m.dtmfPayloadType == 97)
        var noDTMF = phone()
        _ = noDTMF.makeOffer()
        #expect(try noDTMF.accept(answer: answer("m=audio 40000 RTP/AVP 0\r\n")).dtmfPayloadType == nil)
    }

    @Test func holdOffersAndTheirAnswers() throws {
        var oa = phone()
        _ = oa.makeOffer()
        _ = try oa.accept(answer: answer("m=audio 40000 RTP/AVP 0\r\n"))
        _ = oa.makeOffer(hold: .sendonly)
        let held = try oa.accept(answer: answer("m=audio 40000 RTP/AVP 0\r\na=recvonly\r\n"))
        #expect(held.direction == .sendonly && !held.remoteHold)
        _ = oa.makeOffer(hold: .inactive)
        let inactive = try oa.accept(answer: answer("m=audio 40000 RTP/AVP 0\r\na=inactive\r\n"))
        #expect(inactive.direction == .inactive && !inactive.remoteHold)
        _ = oa.makeOffer()
        let zero = try oa.accept(answer: answer("m=audio 40000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n"))
        #expect(zero.direction == .recvonly && zero.remoteHold)
    }

    @Test func rejectedOrUnusableAnswers() throws {
        for lines in ["m=audio 0 RTP/AVP 0\r\n", "m=audio 4000 RTP/AVP 9\r\n", "m=video 4000 RTP/AVP 0\r\n", ""] {
            var oa = phone()
            _ = oa.makeOffer()
            #expect(throws: OfferAnswerError.self) { try oa.accept(answer: answer(lines)) }
            #expect(oa.pendingOffer == nil)
        }
        var none = phone()
        #expect(throws: OfferAnswerError.noOfferOutstanding) { try none.accept(answer: answer("m=audio 4000 RTP/AVP 0\r\n")) }
    }

    /// Our offer answered by our own answerer: the two sides agree.
    @Test func twoPhonesAgree() throws {
        var caller = phone([.pcma, .pcmu])
        var callee = OfferAnswer(configuration: MediaConfiguration(), local: LocalMediaAddress(address: "192.0.2.60", port: 20000), sessionID: 77)
        let offer = caller.makeOffer()
        let (answer, calleeMedia) = try callee.answer(offer: SDPSession(parsing: offer.bytes))
        let callerMedia = try caller.accept(answer: SDPSession(parsing: answer.bytes))
        #expect(callerMedia.codec == .pcma && calleeMedia.codec == .pcma)
        #expect(callerMedia.remotePort == 20000 && calleeMedia.remotePort == 16384)
        #expect(callerMedia.dtmfPayloadType == 101 && calleeMedia.dtmfPayloadType == 101)
    }
}

extension String {
    func replacingFirst(_ a: String, with b: String) -> String {
        guard let r = firstRange(of: a) else { return self }
        var copy = self
        copy.replaceSubrange(r, with: b)
        return copy
    }
}
