import Foundation
import TestKit
import Testing

/// Calls between the phone and baresip (an independent far-end phone) through Kamailio, with
/// real audio both ways: the phone's microphone plays 1 kHz, baresip's 440 Hz; each side's
/// recording must hold the other's tone for the call's length (GUIDE.md §10.1, §10.4), and
/// digits keyed on the phone arrive at baresip as telephone-events (RFC 4733).
@Suite(.serialized) struct BaresipCallTests {
    struct Setup {
        let kamailio: KamailioProcess
        let baresip: BaresipProcess
        let phone: CallAcceptanceTests.Phone

        static func start() async throws -> Setup {
            let kamailio = try await KamailioProcess.start(users: ["620": "pw620", "1002": "pw1002"])
            let dir = try TestSupport.temporaryDirectory("baresip-tone")
            let tone = dir + "/tone440.wav"
            try await Sox.tone(frequency: 440, seconds: 60, to: tone)
            let baresip = try await BaresipProcess.start(account: "sip:1002@127.0.0.1:\(kamailio.port)", password: "pw1002", play: tone)
            let phone = try await CallAcceptanceTests.Phone.start(peerPort: kamailio.port, extra: "proxy_register: 1\n")
            try await waitUntil("both phones are registered", timeout: .seconds(10)) {
                try await kamailio.registeredUsers() == ["620", "1002"]
            }
            return Setup(kamailio: kamailio, baresip: baresip, phone: phone)
        }

        func stop() {
            phone.stop()
            baresip.stop()
            kamailio.stop()
        }
    }

    @Test func thePhoneCallsBaresipWithAudioBothWaysAndDigits() async throws {
        let s = try await Setup.start()
        defer { s.stop() }
        // The media cannot start before the dialling does: the upper bound of the call's length
        // counts from here (on a loaded machine the test sees CALL_ESTABLISHED late).
        let dialled = ContinuousClock.now
        try await s.phone.test("test offhook", "test key 1002#")
        try await s.baresip.waitForEvent("CALL_ESTABLISHED")
        let established = ContinuousClock.now
        try await Task.sleep(for: .seconds(4))
        try await s.phone.test("test key 159#")
        try await waitUntil("baresip heard the four digits", timeout: .seconds(5)) {
            let digits = await s.baresip.events().filter { $0.hasPrefix("CALL_DTMF_START") }.map { $0.dropFirst(16) }
            return digits == ["1", "5", "9", "#"]
        }
        try await Task.sleep(for: .seconds(3))
        // The media surely flowed from `established` to here (the call was up all along), and
        // at most until CALL_CLOSED is seen; what the test itself takes to notice events on a
        // loaded machine only widens the upper bound, while a gap in the audio still fails.
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let up = seconds(ContinuousClock.now - established)
        try await s.phone.test("test onhook")
        try await s.baresip.waitForEvent("CALL_CLOSED")
        let call = seconds(ContinuousClock.now - dialled)
        _ = s.phone.daemon.stop()   // RECORD closed (stop waits for the process to exit)
        s.baresip.stop()            // baresip's recordings closed

        // baresip heard the phone's 1 kHz for the call, less the four digits (100 ms each).
        let heardByBaresip = try WAVAudio(path: try #require(s.baresip.recording("dec"), "no baresip recording"))
        let kHz = heardByBaresip.seconds(near: 1000)
        #expect(kHz >= 0.95 * up - 0.4 && kHz <= call + 0.5, "1 kHz for \(kHz) s of a call up \(up)–\(call) s")
        // The phone heard baresip's 440 Hz for the call.
        let heardByPhone = try WAVAudio(path: s.phone.record)
        let a440 = heardByPhone.seconds(near: 440)
        #expect(a440 >= 0.95 * up && a440 <= call + 0.5, "440 Hz for \(a440) s of a call up \(up)–\(call) s")
    }

    @Test func baresipCallsThePhoneWhichAnswersAndReturnsToIdleOnItsBye() async throws {
        let s = try await Setup.start()
        defer { s.stop() }
        s.baresip.command("dial", "sip:620@127.0.0.1:\(s.kamailio.port)")
        let ringing: String
        do { ringing = try await s.phone.waitForCall("RINGIN") } catch {
            Issue.record("\(error)\nbaresip: \(s.baresip.log)\nevents: \(await s.baresip.events())")
            return
        }
        #expect(ringing.contains("remote 1002"), "\(ringing)")
        try await s.phone.test("test offhook")
        try await s.baresip.waitForEvent("CALL_ESTABLISHED")
        _ = try await s.phone.waitForCall("CONNECTED")
        try await Task.sleep(for: .seconds(2))
        let during = try await s.phone.calls()
        #expect(!during.contains("received 0 "), "the phone hears baresip: \(during)")
        s.baresip.command("hangup")
        try await waitUntil("the phone is idle again", timeout: .seconds(10)) { try await s.phone.calls().contains("No calls") }
        try await s.baresip.waitForEvent("CALL_CLOSED")
    }
}
