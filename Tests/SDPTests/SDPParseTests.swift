import Testing
import SDP

/// Offers as the peers in PEERS.md write them (from their known output, not copied): libre's
/// sdp encoder (baresip 1.0), mediastreamer2 (linphonec), SIPp's built-in uac scenario (LF
/// line ends), and an RFC 2543-style hold re-INVITE.
enum Samples {
    static let baresip = """
    v=0\r
    o=- 1764742230 2830651237 IN IP4 127.0.0.1\r
    s=-\r
    c=IN IP4 127.0.0.1\r
    t=0 0\r
    a=tool:baresip 1.0.0\r
    m=audio 10100 RTP/AVP 0 8 101\r
    b=AS:87\r
    a=rtpmap:0 PCMU/8000\r
    a=rtpmap:8 PCMA/8000\r
    a=rtpmap:101 telephone-event/8000\r
    a=fmtp:101 0-15\r
    a=sendrecv\r
    a=label:1\r
    a=rtcp-rsize\r
    a=ssrc:3323616571 cname:b2a1c3d4-5e6f\r
    a=ptime:20\r

    """

    /// What Debian's baresip 1.0.0 sent in an INVITE on this machine (captured with a UDP
    /// listener, `baresip -e "/dial ..."`, audio_codecs PCMU and PCMA).
    static let baresipCaptured = "v=0\r\no=- 1819940312 95219490 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
        + "a=tool:baresip 1.0.0\r\nm=audio 36002 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        + "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\na=rtcp-rsize\r\n"
        + "a=ssrc:2040060299 cname:sip:1002@127.0.0.1\r\na=minptime:20\r\na=ptime:20\r\n"

    static let linphone = """
    v=0\r
    o=1002 3294 3497 IN IP4 127.0.0.1\r
    s=Talk\r
    c=IN IP4 127.0.0.1\r
    t=0 0\r
    a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r
    m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r
    a=rtpmap:96 opus/48000/2\r
    a=fmtp:96 useinbandfec=1\r
    a=rtpmap:97 speex/16000\r
    a=fmtp:97 vbr=on\r
    a=rtpmap:98 speex/8000\r
    a=fmtp:98 vbr=on\r
    a=fmtp:18 annexb=yes\r
    a=rtpmap:101 telephone-event/48000\r
    a=rtpmap:99 telephone-event/16000\r
    a=rtpmap:100 telephone-event/8000\r
    a=rtcp-fb:* trr-int 1000\r
    a=rtcp-fb:* ccm tmmbr\r
    m=video 9078 RTP/AVP 96 97\r
    a=rtpmap:96 VP8/90000\r
    a=rtpmap:97 H264/90000\r

    """

    static let sipp = """
    v=0
    o=user1 53655765 2353687637 IN IP4 127.0.0.1
    s=-
    c=IN IP4 127.0.0.1
    t=0 0
    m=audio 6000 RTP/AVP 0
    a=rtpmap:0 PCMU/8000

    """

    static let rfc2543Hold = """
    v=0\r
    o=gw 100 101 IN IP4 192.0.2.7\r
    s=SIP Call\r
    c=IN IP4 0.0.0.0\r
    t=0 0\r
    m=audio 20000 RTP/AVP 8 0\r

    """
}

@Suite struct SDPParseTests {
    @Test func baresipOffer() throws {
        let s = try SDPSession(parsing: Samples.baresip)
        #expect(s.origin.username == "-")
        #expect(s.origin.sessionVersion == 2_830_651_237)
        #expect(s.connection == SDPConnection(address: "127.0.0.1"))
        #expect(s.attributes == [SDPAttribute("tool", "baresip 1.0.0")])
        #expect(s.media.count == 1)
        let m = s.media[0]
        #expect(m.port == 10100 && m.proto == "RTP/AVP" && m.payloadTypes == [0, 8, 101])
        #expect(m.rtpmap(for: 101) == RTPMap(payloadType: 101, encoding: "telephone-event", clockRate: 8000))
        #expect(m.fmtp(for: 101) == "0-15")
        #expect(m.ptime == 20)
        #expect(m.direction == .sendrecv)
        #expect(m.bandwidths == ["AS:87"])
        #expect(m.attributes.map(\.name) == ["label", "rtcp-rsize", "ssrc"])
    }

    @Test func capturedBaresipOffer() throws {
        let s = try SDPSession(parsing: Samples.baresipCaptured)
        #expect(s.origin.sessionVersion == 95_219_490 && s.connection?.address == "192.0.2.2")
        #expect(s.media[0].payloadTypes == [0, 8, 101] && s.media[0].ptime == 20)
        #expect(s.media[0].attributes.map(\.name) == ["label", "rtcp-rsize", "ssrc", "minptime"])
        #expect(s.media[0].attributes[2].value == "2040060299 cname:sip:1002@127.0.0.1")
    }

    @Test func linphoneOfferWithSeveralStreamsAndRates() throws {
        let s = try SDPSession(parsing: Samples.linphone)
        #expect(s.media.count == 2)
        #expect(s.media[0].rtpmap(for: 96) == RTPMap(payloadType: 96, encoding: "opus", clockRate: 48000, channels: 2))
        #expect(s.media[0].rtpmap(for: 18)?.encoding == "G729")  // static, no rtpmap line
        #expect(s.media[0].fmtp(for: 18) == "annexb=yes")
        #expect(s.media[1].media == "video")
        #expect(s.connection(for: s.media[1])?.address == "127.0.0.1")
    }

    @Test func sippOfferWithBareLineFeeds() throws {
        let s = try SDPSession(parsing: Samples.sipp)
        #expect(s.origin.sessionID == "53655765")
        #expect(s.media[0].payloadTypes == [0])
        #expect(s.direction(for: s.media[0]) == .sendrecv)
    }

    @Test func mediaLevelConnectionAndDirectionOverrideSession() throws {
        let s = try SDPSession(parsing: "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\na=sendonly\nm=audio 4000 RTP/AVP 0\nc=IN IP4 10.0.0.2/127\na=inactive\nm=audio 4002 RTP/AVP 8\n")
        #expect(s.connection(for: s.media[0])?.address == "10.0.0.2")
        #expect(s.direction(for: s.media[0]) == .inactive)
        #expect(s.connection(for: s.media[1])?.address == "10.0.0.1")
        #expect(s.direction(for: s.media[1]) == .sendonly)
    }

    @Test func toleratesSpacesUnknownLinesAndMissingTime() throws {
        let s = try SDPSession(parsing: "v=0 \r\no=-  7  8 IN IP4 h.example\r\ni=info\r\nu=http://x\r\ne=a@b\r\nz=0 0\r\nk=clear:x\r\nx=unknown\r\nc=IN IP4 192.0.2.1\r\nm=audio 5004 RTP/AVP 0\r\na=ptime:abc\r\n\r\n\r\n")
        #expect(s.origin.address == "h.example")
        #expect(s.times.count == 1 && s.times[0].start == 0)
        #expect(s.media[0].ptime == nil)
    }

    @Test func serializesInRFCOrderAndRoundTrips() throws {
        for text in [Samples.baresip, Samples.baresipCaptured, Samples.linphone, Samples.sipp, Samples.rfc2543Hold] {
            let s = try SDPSession(parsing: text)
            let again = try SDPSession(parsing: s.text)
            #expect(again == s)
            #expect(s.text.hasPrefix("v=0\r\no="))
            #expect(!s.text.contains("\n\n") && s.text.hasSuffix("\r\n"))
        }
        let text = try SDPSession(parsing: Samples.baresip).text
        let order = ["v=", "o=", "s=", "c=", "t=", "a=tool", "m=", "b=", "a=rtpmap:0", "a=fmtp:101", "a=ptime", "a=label", "a=sendrecv"]
        let positions = order.map { key in text.firstRange(of: "\r\n" + key).map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? (key == "v=" ? -1 : Int.max) }
        #expect(positions == positions.sorted(), "\(text)")
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let text: String
        let kind: SDPError.Kind
        let line: Int
        var testDescription: String { "\(kind) line \(line)" }
    }

    static let malformed: [Malformed] = [
        Malformed(text: "", kind: .empty, line: 0),
        Malformed(text: "\r\n\r\n", kind: .empty, line: 0),
        Malformed(text: "o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", kind: .badVersion, line: 1),
        Malformed(text: "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n", kind: .badVersion, line: 1),
        Malformed(text: "v=0\r\ns=-\r\n", kind: .missingOrigin, line: 0),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4\r\n", kind: .badOrigin, line: 2),
        Malformed(text: "v=0\r\no=- x 1 IN IP4 1.2.3.4\r\n", kind: .badOrigin, line: 2),
        Malformed(text: "v=0\r\no=- 1 99999999999999999999999 IN IP4 1.2.3.4\r\n", kind: .badOrigin, line: 2),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4\r\n", kind: .badConnection, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 300.1.1.1\r\n", kind: .badConnection, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=XX IP4 1.1.1.1\r\n", kind: .badConnection, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IPX 1.1.1.1\r\n", kind: .badConnection, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0\r\n", kind: .badTime, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", kind: .badMedia, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio -1 RTP/AVP 0\r\n", kind: .badMedia, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000\r\n", kind: .badMedia, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0 128\r\n", kind: .badMedia, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP PCMU\r\n", kind: .badMedia, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000/x RTP/AVP 0\r\n", kind: .badMedia, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", kind: .badAttribute, line: 4),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n", kind: .badAttribute, line: 4),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", kind: .badAttribute, line: 4),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=fmtp:101\r\n", kind: .badAttribute, line: 4),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nno equals sign\r\n", kind: .badLine, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nA=upper\r\n", kind: .badLine, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=a\u{0}b\r\n", kind: .badLine, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", kind: .badVersion, line: 3),
        Malformed(text: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\no=- 1 1 IN IP4 1.2.3.4\r\n", kind: .badOrigin, line: 3),
    ]

    @Test(arguments: malformed) func malformedIsATypedErrorWithItsLine(_ c: Malformed) {
        #expect {
            try SDPSession(parsing: c.text)
        } throws: { error in
            guard let e = error as? SDPError else { return false }
            return e.kind == c.kind && e.line == c.line && e.statusCode == 400
        }
    }

    @Test func tooLargeAndTooManyStreams() {
        #expect(throws: SDPError.self) { try SDPSession(parsing: [UInt8](repeating: 0x61, count: SDPSession.maximumSize + 1)) }
        let many = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n" + String(repeating: "m=audio 4000 RTP/AVP 0\r\n", count: 17)
        #expect(throws: SDPError.self) { try SDPSession(parsing: many) }
    }

    /// Truncations and byte flips of every sample never trap (only typed errors or a value).
    @Test func mutationsNeverCrash() {
        var seed: UInt64 = 0x1234_5678
        func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
        var parsed = 0, refused = 0
        for sample in [Samples.baresip, Samples.baresipCaptured, Samples.linphone, Samples.sipp, Samples.rfc2543Hold] {
            let bytes = Array(sample.utf8)
            for cut in 0...bytes.count {
                if (try? SDPSession(parsing: bytes[..<cut])) != nil { parsed += 1 } else { refused += 1 }
            }
            for _ in 0..<2000 {
                var b = bytes
                for _ in 0..<(1 + Int(next() % 4)) { b[Int(next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: next()) }
                if let s = try? SDPSession(parsing: b) {
                    parsed += 1
                    _ = s.text
                    var oa = OfferAnswer(configuration: MediaConfiguration(), local: LocalMediaAddress(address: "127.0.0.1", port: 16384), sessionID: 1)
                    _ = try? oa.answer(offer: s)
                } else { refused += 1 }
            }
        }
        #expect(parsed > 100 && refused > 100)
    }
}
