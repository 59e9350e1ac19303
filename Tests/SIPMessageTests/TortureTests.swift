// RFC 4475 torture messages, read from ../shared/torture/rfc4475/ beside the repository.
// §3.1.1 valid messages must parse and validate, with the values the RFC names.
// §3.1.2 invalid messages must be rejected, with the status a user agent answers.
import Testing
import TestKit
import SIPMessage

/// Parses and validates as a phone receiving the message over UDP.
func receive(_ bytes: [UInt8]) throws(SIPParseError) -> (SIPMessage, SIPTypedHeaders) {
    let m = try SIPMessage(parsing: bytes, transport: .datagram)
    let t = try m.validate()
    return (m, t)
}

@Suite struct TortureValidTests {
    // §3.1.1.1 A short tortuous INVITE
    @Test func wsinv() throws {
        guard let b = SharedFiles.torture("wsinv") else { return }
        let (m, t) = try receive(b)
        #expect(m.method == "INVITE")
        let ruri = try #require(t.requestURI)
        #expect(ruri.user == "vivekg")
        #expect(ruri.host == "chair-dnrc.example.com")
        #expect(ruri.parameter("unknownparam") == .some(nil))
        #expect(t.to?.uri.user == "vivekg")
        #expect(t.to?.tag == "1918181833n")
        #expect(t.from?.displayName == "J Rosenberg \\\"")
        #expect(t.from?.tag == "98asjd8")
        #expect(t.maxForwards == 68)
        #expect(t.callID == "wsinv.ndaksdj@192.0.2.1")
        #expect(t.cseq == SIPCSeq(number: 9, method: "INVITE"))
        // Three Via entries: one folded line, then two comma-separated on the "v:" lines.
        #expect(t.vias.count == 3)
        #expect(t.vias[0].transport == "UDP")
        #expect(t.vias[0].host == "192.0.2.2")
        #expect(t.vias[0].branch == "390skdjuw")
        #expect(t.vias[1].transport == "TCP")
        #expect(t.vias[1].host == "spindle.example.com")
        #expect(t.vias[1].branch == "z9hG4bK9ikj8")
        #expect(t.vias[2].transport == "UDP")
        #expect(t.vias[2].host == "192.168.255.111")
        #expect(t.vias[2].branch == "z9hG4bK30239")
        // The empty Subject ("s :") and the folded extension header.
        #expect(m.value("Subject") == "")
        #expect(m.value("NewFangledHeader") == "newfangled value continued newfangled value")
        #expect(m.value("UnknownHeaderWithUnusualValue") == ";;,,;;,;")
        #expect(t.routes.count == 1)
        #expect(t.routes.first?.uri.host == "services.example.com")
        #expect(t.routes.first?.uri.lr == true)
        #expect(t.contacts.count == 1)
        #expect(t.contacts[0].displayName == "Quoted string \"\"")
        #expect(t.contacts[0].parameters["newparam"] == .some("newvalue"))
        #expect(t.contacts[0].parameters["secondparam"] == .some(nil))
        #expect(t.contacts[0].q == "0.33")
        #expect(t.contentType?.mediaType == "application/sdp")
        #expect(m.body.count == 150)
    }

    // §3.1.1.2 Wide range of valid characters
    @Test func intmeth() throws {
        guard let b = SharedFiles.torture("intmeth") else { return }
        let (m, t) = try receive(b)
        #expect(m.method == "!interesting-Method0123456789_*+`.%indeed'~")
        let ruri = try #require(t.requestURI)
        #expect(ruri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        #expect(ruri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        #expect(ruri.host == "example.com")
        #expect(t.vias.first?.branch == "z9hG4bK-.!%66*_+`'~")
        #expect(t.to?.displayName == "BEL:\u{07} NUL:\u{00} DEL:\u{7F}")
        #expect(t.to?.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        #expect(t.from?.displayName == "token1~` token2'+_ token3*%!.-")
        #expect(t.from?.tag == "_token~1'+`*%!-.")
        #expect(t.from?.parameters["fromParam''~+*_!.-%"] == .some("работающий"))
        #expect(t.callID == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        #expect(t.cseq?.method == m.method)
        #expect(t.cseq?.number == 139122385)
        #expect(t.maxForwards == 255)
        #expect(m.value("extensionHeader-!.%*+_`'~") == "\u{FEFF}\u{5927}\u{505C}\u{96FB}")
        #expect(!sipKnownMethods.contains(m.method ?? ""))  // a UA answers 501/405, not 400
    }

    // §3.1.1.3 Valid use of the % escaping mechanism
    @Test func esc01() throws {
        guard let b = SharedFiles.torture("esc01") else { return }
        let (_, t) = try receive(b)
        #expect(t.requestURI?.user == "sips:user@example.com")
        #expect(t.requestURI?.rawUser == "sips%3Auser%40example.com")
        #expect(t.requestURI?.host == "example.net")
        #expect(t.to?.uri.user == "user")
        #expect(t.from?.uri.user == "I have spaces")
        #expect(t.callID == "esc01.239409asdfakjkn23onasd0-3234")
        #expect(t.contentType?.mediaType == "application/sdp")  // compact "C:"
        let contact = try #require(t.contacts.first)
        #expect(contact.uri.user == "caller")
        #expect(contact.uri.parameter("lr") == .some(nil))
        #expect(contact.uri.parameter("name") == .some("value%41"))
    }

    // §3.1.1.4 Escaped nulls in URIs
    @Test func escnull() throws {
        guard let b = SharedFiles.torture("escnull") else { return }
        let (_, t) = try receive(b)
        #expect(t.to?.uri.userBytes == Array("null-".utf8) + [0] + Array("-null".utf8))
        #expect(t.from?.uri.user == "null-\u{0}-null")
        #expect(t.contacts.count == 2)
        #expect(t.contacts[0].uri.userBytes == [0])
        #expect(t.contacts[1].uri.userBytes == [0, 0])
        #expect(t.contentLength == 0)
    }

    // §3.1.1.5 Use of % when it is not an escape
    @Test func esc02() throws {
        guard let b = SharedFiles.torture("esc02") else { return }
        let (m, t) = try receive(b)
        #expect(m.method == "RE%47IST%45R")  // not REGISTER: methods are not unescaped
        #expect(!sipKnownMethods.contains(m.method ?? ""))
        #expect(t.to?.displayName == "%Z%45")
        #expect(t.vias.first?.branch == "z9hG4bK209%fzsnel234")
        #expect(t.contacts.count == 2)  // "C%6Fntact" is an extension header, not Contact
        #expect(m.value("C%6Fntact") == "<sip:alias2@host2.example.com>")
    }

    // §3.1.1.6 Message with no LWS between display name and <
    @Test func lwsdisp() throws {
        guard let b = SharedFiles.torture("lwsdisp") else { return }
        let (_, t) = try receive(b)
        #expect(t.from?.displayName == "caller")
        #expect(t.from?.uri.user == "caller")
        #expect(t.from?.tag == "323")
    }

    // §3.1.1.7 Long values in header fields
    @Test func longreq() throws {
        guard let b = SharedFiles.torture("longreq") else { return }
        let (m, t) = try receive(b)
        #expect(t.to?.displayName == "I have a user name of " + String(repeating: "extreme", count: 10) + " proportion")
        #expect(t.to?.uri.port == 6000)
        #expect(t.to?.uri.parameter("unknownparam1") == .some("very" + String(repeating: "long", count: 20) + "value"))
        #expect(t.to?.uri.parameter("longparam" + String(repeating: "name", count: 25)) == .some("shortvalue"))
        #expect(t.to?.uri.parameter("very" + String(repeating: "long", count: 25) + "ParameterNameWithNoValue") == .some(nil))
        #expect(t.from?.uri.user == String(repeating: "amazinglylongcallername", count: 5))
        #expect(t.from?.tag == "12" + String(repeating: "982", count: 50) + "424")
        #expect(t.from?.parameters["unknownheaderparam" + String(repeating: "name", count: 20)] == .some("unknowheaderparam" + String(repeating: "value", count: 15)))
        #expect(t.from?.parameters["unknownValuelessparamname" + String(repeating: "paramname", count: 9)] == .some(nil))
        #expect(t.callID == "longreq.one" + String(repeating: "really", count: 20) + "longcallid")
        #expect(t.vias.count == 34)
        #expect(t.vias[0].host == "sip33.example.com")
        #expect(t.vias[32].host == "sip1.example.com")
        #expect(t.vias[33].received == "192.0.2.5")
        #expect(t.vias[33].branch == "very" + String(repeating: "long", count: 50) + "branchvalue")
        #expect(t.contacts.first?.uri.user == String(repeating: "amazinglylongcallername", count: 5))
        #expect(m.body.count == 150)
    }

    // §3.1.1.8 Extra trailing octets in a UDP datagram
    @Test func dblreq() throws {
        guard let b = SharedFiles.torture("dblreq") else { return }
        let (m, t) = try receive(b)
        #expect(m.method == "REGISTER")
        #expect(m.body.isEmpty)
        #expect(t.callID == "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
        #expect(t.contacts.first?.uri.host == "host.example.com")
        #expect(m.bodyRange.upper < b.count)  // the INVITE after it is noise (RFC 3261 §18.3)
        // Over a stream, framing stops after the first message, too.
        #expect(SIPMessage.frame(b) == .complete(length: m.bodyRange.upper))
    }

    // §3.1.1.9 Semicolon-separated parameters in URI user part
    @Test func semiuri() throws {
        guard let b = SharedFiles.torture("semiuri") else { return }
        let (m, t) = try receive(b)
        #expect(t.requestURI?.user == "user;par=u@example.net")
        #expect(t.requestURI?.host == "example.com")
        #expect(t.requestURI?.hasParameters == false)
        #expect(t.accept.map(\.mediaType) == ["application/sdp", "application/pkcs7-mime", "multipart/mixed",
                                               "multipart/signed", "message/sip", "message/sipfrag"])
        #expect(m.values("Accept").count == 6)
    }

    // §3.1.1.10 Varied and unknown transport types
    @Test func transports() throws {
        guard let b = SharedFiles.torture("transports") else { return }
        let (_, t) = try receive(b)
        #expect(t.vias.map(\.transport) == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
        #expect(t.vias[3].host == "t4.example.com")
        #expect(t.vias[3].branch == "z9hG4bKasd0f3en")
    }

    // §3.1.1.11 Multipart MIME message
    @Test func mpart01() throws {
        guard let b = SharedFiles.torture("mpart01") else { return }
        let (m, t) = try receive(b)
        #expect(m.method == "MESSAGE")
        #expect(t.contentType?.mediaType == "multipart/mixed")
        #expect(t.contentType?.parameters["boundary"] == .some("7a9cbec02ceef655"))
        #expect(t.contentLength == 553)
        #expect(m.body.count == 553)
        #expect(m.body.starts(with: Array("--7a9cbec02ceef655\r\n".utf8)))
        #expect(t.date == SIPDate(day: 15, month: 10, year: 2005, hour: 4, minute: 44, second: 56))
        #expect(m.value("Content-Transfer-Encoding") == "binary")
    }

    // §3.1.1.12 Unusual reason phrase
    @Test func unreason() throws {
        guard let b = SharedFiles.torture("unreason") else { return }
        let (m, t) = try receive(b)
        #expect(m.statusCode == 200)
        #expect(m.reasonPhrase == "= 2**3 * 5**2 \u{043D}\u{043E} \u{0441}\u{0442}\u{043E} \u{0434}\u{0435}\u{0432}\u{044F}\u{043D}\u{043E}\u{0441}\u{0442}\u{043E} \u{0434}\u{0435}\u{0432}\u{044F}\u{0442}\u{044C} - \u{043F}\u{0440}\u{043E}\u{0441}\u{0442}\u{043E}\u{0435}")
        #expect(t.cseq == SIPCSeq(number: 35, method: "INVITE"))
        #expect(m.body.count == 154)
    }

    // §3.1.1.13 Empty reason phrase
    @Test func noreason() throws {
        guard let b = SharedFiles.torture("noreason") else { return }
        let (m, t) = try receive(b)
        #expect(m.statusCode == 100)
        #expect(m.reasonPhrase == "")
        #expect(t.to?.tag == "902jndnke3")
    }
}

/// What a phone does with each §3.1.2 message, per the RFC text of each section.
/// Status 0 means the message is a response and is dropped without an answer.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    let file: String
    let status: Int
    let why: String
    var testDescription: String { file }
}

let invalidCases: [InvalidCase] = [
    // §3.1.2.1 "should respond with 400": Via and Contact with empty ";;" / "," elements.
    InvalidCase(file: "badinv01", status: 400, why: "Via ;;,;,, and Contact ;;;; are not generic-params"),
    // §3.1.2.2 Content-Length larger than the body: over UDP "should respond with 400".
    InvalidCase(file: "clerr", status: 400, why: "Content-Length 9999 exceeds the datagram"),
    // §3.1.2.3 Negative Content-Length: "should respond with an error" (400); over TCP the connection closes.
    InvalidCase(file: "ncl", status: 400, why: "Content-Length -999"),
    // §3.1.2.4 "should respond with a 400 Bad Request due to the CSeq error" (also Max-Forwards 300, huge Expires).
    InvalidCase(file: "scalar02", status: 400, why: "CSeq number above 2**32-1"),
    // §3.1.2.5 A response with out-of-range values: "will simply discard it".
    InvalidCase(file: "scalarlg", status: 0, why: "response: CSeq above 2**32-1, huge Retry-After, 4-digit warn-code"),
    // §3.1.2.6 Unterminated quote in the To display name: "should return a 400".
    InvalidCase(file: "quotbal", status: 400, why: "unterminated quoted string"),
    // §3.1.2.7 Request-URI enclosed in <>: "should respond with 400".
    InvalidCase(file: "ltgtruri", status: 400, why: "Request-URI in angle brackets"),
    // §3.1.2.8 LWS inside the Request-URI: "should respond with 400".
    InvalidCase(file: "lwsruri", status: 400, why: "space inside the Request-URI"),
    // §3.1.2.9 Several SP between start-line elements: acceptable to reject; we are strict (400).
    InvalidCase(file: "lwsstart", status: 400, why: "two SP between Request-Line elements"),
    // §3.1.2.10 SP after SIP-Version: "reasonable ... to respond with 400"; we do not trim it.
    InvalidCase(file: "trws", status: 400, why: "trailing SP after SIP/2.0"),
    // §3.1.2.11 Escaped headers in the Request-URI: "acceptable to reject with 400"; a UA has no use for them.
    InvalidCase(file: "escruri", status: 400, why: "Request-URI with ?Route= header"),
    // §3.1.2.12 Date not in GMT: "acceptable to reject with 400"; the phone may set its clock from
    // Date (GUIDE.md §6), so it does not guess a time zone.
    InvalidCase(file: "baddate", status: 400, why: "Date in EST"),
    // §3.1.2.13 addr-spec with "?" outside <> in Contact: "reasonable ... to respond with 400".
    InvalidCase(file: "regbadct", status: 400, why: "Contact addr-spec with URI headers outside <>"),
    // §3.1.2.14 Spaces inside <> around the addr-spec: "reasonable ... to respond with 400".
    InvalidCase(file: "badaspec", status: 400, why: "space inside < > in To"),
    // §3.1.2.15 Unquoted display names with "," (non-token): "reasonable ... to respond with 400".
    InvalidCase(file: "baddn", status: 400, why: "unquoted display name with a comma"),
    // §3.1.2.16 SIP/7.0: "should respond ... with a 505 Version Not Supported".
    InvalidCase(file: "badvers", status: 505, why: "SIP/7.0"),
    // §3.1.2.17 Request-Line OPTIONS, CSeq INVITE: "should respond with a 400".
    InvalidCase(file: "mismatch01", status: 400, why: "CSeq method differs from the Request-Line"),
    // §3.1.2.18 Unknown method NEWMETHOD with CSeq INVITE: "should respond with 501" (400 acceptable).
    InvalidCase(file: "mismatch02", status: 501, why: "unknown method and CSeq mismatch"),
    // §3.1.2.19 Status code 4294967301: "should simply drop it".
    InvalidCase(file: "bigcode", status: 0, why: "response with a status code above 699"),
]

@Suite struct TortureInvalidTests {
    @Test(arguments: invalidCases)
    func rejected(_ c: InvalidCase) {
        guard let b = SharedFiles.torture(c.file) else { return }
        do {
            _ = try receive(b)
            Issue.record("\(c.file) was accepted; expected rejection (\(c.why))")
        } catch {
            #expect(rejectionStatus(error) == c.status, "\(c.file): \(error) (\(c.why))")
            if c.status == 0 { #expect(error.isResponse) }
        }
    }

    @Test func ncl_overStreamIsAFramingError() {
        guard let b = SharedFiles.torture("ncl") else { return }
        guard case .invalid(let e) = SIPMessage.frame(b) else { Issue.record("ncl framed"); return }
        #expect(e.kind == .invalidContentLength)
    }

    @Test func clerr_overStreamWaitsForMoreBytes() {
        guard let b = SharedFiles.torture("clerr") else { return }
        #expect(SIPMessage.frame(b) == .incomplete)
    }

    /// Every answered request gets a well-formed response built from its raw headers.
    @Test(arguments: invalidCases.filter { $0.status != 0 })
    func answerIsWellFormed(_ c: InvalidCase) throws {
        guard let b = SharedFiles.torture(c.file) else { return }
        guard case .failure(let e) = Result(catching: { () throws(SIPParseError) in try receive(b) }) else { return }
        // Only messages whose header index could be built are answered here; when the start
        // line itself is rejected (badvers, ltgtruri, lwsruri, lwsstart, trws) or the framing is
        // (clerr, ncl), building the answer needs a lenient header scan: left to SIPStack.
        let request = try? SIPMessage(parsing: b, transport: .datagram)
        guard let request else { return }
        let answer = SIPMessageBuilder.response(to: request, code: rejectionStatus(e), toTag: "x1").serialize()
        let parsed = try SIPMessage(parsing: answer)
        #expect(parsed.statusCode == rejectionStatus(e))
        #expect(parsed.fields(.via).count == request.fields(.via).count)
    }
}

/// The answer SIPStack sends: built by a lenient scan, so that even requests whose start line
/// or framing is broken (badvers, ltgtruri, lwsruri, lwsstart, trws, clerr, ncl) are answered.
@Suite struct TortureRejectionTests {
    @Test(arguments: invalidCases.filter { $0.status != 0 })
    func everyRejectedRequestIsAnswered(_ c: InvalidCase) throws {
        guard let b = SharedFiles.torture(c.file) else { return }
        guard case .failure(let e) = Result(catching: { () throws(SIPParseError) in try receive(b) }) else {
            Issue.record("\(c.file) accepted"); return
        }
        let answer = try #require(SIPMessageBuilder.rejection(of: b, error: e, toTag: "t1"), "\(c.file): nothing to answer")
        // Indexed, not validated: the answer repeats the request's (possibly malformed) headers.
        let parsed = try SIPMessage(parsing: answer.serialize())
        #expect(parsed.statusCode == c.status)
        #expect(parsed.value("To")?.contains(";tag=") == true)
        #expect(parsed.value("Warning")?.hasPrefix("399 deskphone \"") == true)
        let salvaged = try #require(SIPMessage.salvageResponseHeaders(b))
        #expect(parsed.value("Call-ID") == salvaged.first { $0.name == "Call-ID" }?.value)
        #expect(parsed.fields(.via).count == salvaged.filter { $0.name == "Via" }.count)
    }

    @Test(arguments: invalidCases.filter { $0.status == 0 })
    func responsesAreNeverAnswered(_ c: InvalidCase) {
        guard let b = SharedFiles.torture(c.file) else { return }
        #expect(SIPMessage.salvageResponseHeaders(b) == nil)
        #expect(SIPMessageBuilder.rejection(of: b, error: SIPParseError(.malformedHeader, reason: "x", isResponse: true),
                                            toTag: "t") == nil)
    }

    @Test func compactFormsFoldsAndMissingHeaders() throws {
        let before = "INVITE <sip:a@b> SIP/2.0\r\nv: SIP/2.0/UDP h1;branch=z9hG4bK1\r\nv: SIP/2.0/UDP h2\r\n ;branch=z9hG4bK2\r\n"
            + "f: <sip:x@y>;tag=a\r\nt: <sip:a@b>\r\n"
        let after = "CSeq: 1 INVITE\r\nX: \u{01}\r\n\r\nbody"
        let text = before + "i: c1\r\n" + after
        let h = try #require(SIPMessage.salvageResponseHeaders(Array(text.utf8)))
        #expect(h.map(\.name) == ["Via", "Via", "From", "To", "Call-ID", "CSeq"])
        #expect(h[1].value == "SIP/2.0/UDP h2 ;branch=z9hG4bK2")
        let noCallID = before + after
        #expect(SIPMessage.salvageResponseHeaders(Array(noCallID.utf8)) == nil)
        let error = SIPParseError(.malformedRequestURI, reason: "a \"quoted\" reason")
        let answer = try #require(SIPMessageBuilder.rejection(of: Array(text.utf8), error: error, toTag: "z"))
        let parsed = try SIPMessage(parsing: answer.serialize())
        #expect(parsed.statusCode == 400)
        #expect(parsed.value("Warning") == "399 deskphone \"a 'quoted' reason\"")
        #expect(parsed.value("To") == "<sip:a@b>;tag=z")
    }
}

/// The files the table of the torture README lists beyond §3.1 (transaction, application layer,
/// backward compatibility) parse without crashing; most are valid syntax.
@Suite struct TortureOtherTests {
    static let syntacticallyValid = ["badbranch", "insuf", "unkscm", "novelsc", "unksm2", "bext01", "invut", "regaut01",
                                     "bcast", "zeromf", "cparam01", "cparam02", "regescrt", "sdp01", "inv2543"]

    @Test(arguments: syntacticallyValid)
    func parses(_ name: String) {
        guard let b = SharedFiles.torture(name) else { return }
        do {
            let m = try SIPMessage(parsing: b)
            _ = try? m.validate()
        } catch {
            // insuf lacks mandatory headers only at the validation step; others must index.
            Issue.record("\(name): \(error)")
        }
    }

    // §3.3.9 Multiple Content-Length values (mcl01): "should respond with 400".
    @Test func mcl01_conflictingContentLengths() {
        guard let b = SharedFiles.torture("mcl01") else { return }
        do { _ = try receive(b); Issue.record("mcl01 accepted") } catch {
            #expect(error.kind == .invalidContentLength)
            #expect(rejectionStatus(error) == 400)
        }
    }

    // §3.3.8 Multiple values in single-value required fields (multi01): "respond with 400".
    @Test func multi01_duplicateSingleValueHeaders() {
        guard let b = SharedFiles.torture("multi01") else { return }
        do { _ = try receive(b); Issue.record("multi01 accepted") } catch {
            #expect(rejectionStatus(error) == 400)
        }
    }

    // §3.3.1 Missing required header fields (insuf: no To, From, Call-ID, Max-Forwards): 400.
    @Test func insuf_missingHeaders() {
        guard let b = SharedFiles.torture("insuf") else { return }
        do { _ = try receive(b); Issue.record("insuf accepted") } catch {
            #expect(error.kind == .missingHeader)
            #expect(rejectionStatus(error) == 400)
        }
    }

    @Test func inv2543_hasNoMagicCookie() throws {
        guard let b = SharedFiles.torture("inv2543") else { return }
        let m = try SIPMessage(parsing: b)
        let via = try m.topVia()
        #expect(!via.hasMagicCookie)
    }

    @Test func unkscm_keepsTheURIOpaque() throws {
        guard let b = SharedFiles.torture("unkscm") else { return }
        let m = try SIPMessage(parsing: b)
        let u = try #require(try m.requestURI())
        #expect(u.scheme == .other)
        #expect(u.schemeName == "nobodyKnowsThisScheme")
    }

    @Test func allTortureFilesAreAccountedFor() {
        let names = SharedFiles.list(SharedFiles.tortureDirectory, suffix: ".dat").map { String($0.dropLast(4)) }
        if names.isEmpty {
            Issue.record("no torture messages in \(SharedFiles.tortureDirectory): expected ../shared/torture/rfc4475/ beside the repository")
            return
        }
        let valid = ["wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq", "dblreq", "semiuri",
                     "transports", "mpart01", "unreason", "noreason"]
        let known = Set(valid + invalidCases.map(\.file) + Self.syntacticallyValid + ["mcl01", "multi01"])
        #expect(Set(names) == known)
        #expect(names.count == 49)
    }
}
