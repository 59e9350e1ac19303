import Testing
import NIOCore
@testable import Phone
import Provisioning
import Scheduling
import SDP
import SIPMessage
import SIPStack
import TestKit

/// The phone's calls as `PhoneSIP` builds them, over a `ManualStack` (manual clock, recording
/// transport, the peer at 127.0.0.1:5070) and a `FakeAudio`: one account, line 1 user 620 at
/// the registrar 127.0.0.1:5070. No registration is started (`proxy_register: 0`).
@PhoneLoop
struct PhoneUnderTest {
    static let cnf = """
        line1_name: "620"
        line1_authname: "620"
        line1_password: "secret"
        proxy1_address: "127.0.0.1"
        proxy1_port: 5070
        proxy_register: 0

        """

    let stack: ManualStack
    let audio = FakeAudio()
    let registrations: RegistrationManager
    let calls: PhoneCalls
    let sip: SIPSettings

    init(extra: String = "", plan: DialTemplate? = nil) throws {
        var config = Configuration()
        let diagnostics = config.apply(Array((Self.cnf + extra).utf8), file: "SIP000000000001.cnf",
                                       as: .phoneFile("SIP000000000001.cnf"))
        precondition(diagnostics.isEmpty, "test configuration: \(diagnostics)")
        sip = SIPSettings(config)
        let media = CallSettings(config)
        stack = try ManualStack(settings: PhoneSIP.timers(sip))
        // As PhoneSIP.init and apply(_:calls:plan:) do it.
        registrations = RegistrationManager(endpoint: stack.endpoint, locator: ServerLocation(resolver: DNSResolver()),
                                            settings: PhoneSIP.registration(sip))
        calls = PhoneCalls(context: CallContext(endpoint: stack.endpoint, registrations: registrations, audio: audio,
                                                sip: sip, media: media))
        let accounts = LineAccounts.accounts(sip)
        registrations.configure(accounts, settings: PhoneSIP.registration(sip), dnsServers: sip.dnsServers)
        calls.configure(accounts: accounts, sip: sip, media: media, plan: DialPlanning(template: plan, line: 1))
    }

    var timers: ManualTimers { stack.timers }
    var sink: RecordingSink { stack.sink }
    var t1: Duration { .milliseconds(sip.t1Milliseconds) }

    /// Yields to the loop (the tasks CallSession starts to open streams) until `condition`
    /// holds; false when it still does not after `tries` yields.
    @discardableResult
    func settle(tries: Int = 100, until condition: () -> Bool) async -> Bool {
        for _ in 0..<tries {
            if condition() { return true }
            await Task.yield()
        }
        return condition()
    }

    /// Lets every pending task run (a fixed number of yields).
    func drain(_ yields: Int = 20) async {
        for _ in 0..<yields { await Task.yield() }
    }

    /// Responses sent with `status` to requests of `method`.
    func responses(_ status: Int, to method: String) -> [SIPMessage] {
        sink.responses(status).filter { (try? $0.cseq().method) == method }
    }

    /// An incoming INVITE (`incomingInvite()`), its stream opened, answered off hook: the To
    /// tag of the phone's 200.
    func answerIncomingCall() async throws -> String? {
        stack.receive(incomingInvite())
        #expect(await settle { audio.streams.count == 1 })
        calls.setOffHook(true)
        #expect(await settle { responses(200, to: "INVITE").count == 1 })
        return responses(200, to: "INVITE").first?.toTag
    }

    func press(_ text: String) throws {
        guard case .success(let keys) = PhoneKey.parse(text) else { throw KeysError(text: text) }
        for key in keys { calls.press(key) }
    }

    struct KeysError: Error { let text: String }
}

// MARK: the peer's messages

/// An SDP offer from 127.0.0.1:30000 with `formats` (`0` PCMU, `8` PCMA, `18` G729, `101`
/// telephone-event).
func offerSDP(_ formats: [Int] = [8, 0, 101], port: Int = 30000) -> String {
    let names = [0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 18: "G729/8000", 101: "telephone-event/8000"]
    var s = "v=0\r\no=bob 1000 1000 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    s += "m=audio \(port) RTP/AVP \(formats.map(String.init).joined(separator: " "))\r\n"
    for f in formats { s += "a=rtpmap:\(f) \(names[f] ?? "X/8000")\r\n" }
    if formats.contains(101) { s += "a=fmtp:101 0-15\r\n" }
    return s + "a=sendrecv\r\n"
}

/// An INVITE from bob at 127.0.0.1:5070 to 620.
func incomingInvite(branch: String = "z9hG4bK-in1", callID: String = "call-1@peer", fromTag: String = "bobtag",
                    user: String = "620", sdp: String? = offerSDP(), contentType: String = "application/sdp") -> String {
    var s = "INVITE sip:\(user)@127.0.0.1:5060 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=\(branch);rport\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Bob\" <sip:bob@127.0.0.1:5070>;tag=\(fromTag)\r\n"
        + "To: <sip:\(user)@127.0.0.1>\r\n"
        + "Call-ID: \(callID)\r\n"
        + "CSeq: 1 INVITE\r\n"
        + "Contact: <sip:bob@127.0.0.1:5070>\r\n"
    if let sdp {
        s += "Content-Type: \(contentType)\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n\(sdp)"
    } else {
        s += "Content-Length: 0\r\n\r\n"
    }
    return s
}

/// A request within bob's dialog (CSeq `cseq`), to the phone's tag `toTag`.
func inDialogRequest(_ method: String, branch: String, callID: String = "call-1@peer", fromTag: String = "bobtag",
                     toTag: String?, cseq: Int, body: String = "") -> String {
    "\(method) sip:620@127.0.0.1:5060 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=\(branch);rport\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Bob\" <sip:bob@127.0.0.1:5070>;tag=\(fromTag)\r\n"
        + "To: <sip:620@127.0.0.1>\(toTag.map { ";tag=\($0)" } ?? "")\r\n"
        + "Call-ID: \(callID)\r\n"
        + "CSeq: \(cseq) \(method)\r\n"
        + (body.isEmpty ? "" : "Content-Type: application/sdp\r\n")
        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

/// The CANCEL of `incomingInvite(branch:callID:)` (same branch, Request-URI, Call-ID, From, To, CSeq number).
func incomingCancel(branch: String = "z9hG4bK-in1", callID: String = "call-1@peer") -> String {
    "CANCEL sip:620@127.0.0.1:5060 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=\(branch);rport\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Bob\" <sip:bob@127.0.0.1:5070>;tag=bobtag\r\n"
        + "To: <sip:620@127.0.0.1>\r\n"
        + "Call-ID: \(callID)\r\n"
        + "CSeq: 1 CANCEL\r\n"
        + "Content-Length: 0\r\n\r\n"
}

/// The far end's response to the phone's `request`, with a To tag, a Contact, and an SDP body when given.
@PhoneLoop
func peerResponse(to request: SIPMessage, _ code: Int, reason: String? = nil, toTag: String? = "calleetag", sdp: String? = nil,
                  headers: [(String, String)] = []) -> SIPMessageBuilder {
    var r = SIPMessageBuilder.response(to: request, code: code, reason: reason, toTag: toTag)
    if code > 100 && code < 300 { r.add("Contact", "<sip:callee@127.0.0.1:5070>") }
    for (n, v) in headers { r.add(n, v) }
    if let sdp {
        r.add("Content-Type", "application/sdp")
        r.body = Array(sdp.utf8)
    }
    return r
}

/// An SDP answer from 127.0.0.1:30000 with one codec (and telephone-event).
func answerSDP(_ format: Int = 0, port: Int = 30000) -> String {
    offerSDP([format, 101], port: port)
}

extension SIPMessage {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var toTag: String? { try? to().tag }
    var fromTag: String? { try? from().tag }
    var topBranch: String? { try? topVia().branch }
    var callIDText: String? { try? callID() }
}
