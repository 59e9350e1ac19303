import Foundation
import TestKit
import Testing

/// A call negotiated to G.729 (`preferred_codec: g729a`) through the phone's RTP stream:
/// SIPp answers with payload 18 alone and echoes the phone's RTP, so the handset hears its
/// own microphone's 1 kHz after a G.729 encode and decode.
@Suite(.serialized) struct G729CallTests {
    @Test func aG729CallCarriesTheTone() async throws {
        let uas = try String(contentsOfFile: TestSupport.repositoryRoot.path + "/Tests/Peers/sipp-dialog-uas.xml", encoding: .utf8)
        let g729 = uas.replacingOccurrences(of: "m=audio [media_port] RTP/AVP 0", with: "m=audio [media_port] RTP/AVP 18")
            .replacingOccurrences(of: "a=rtpmap:0 PCMU/8000", with: "a=rtpmap:18 G729/8000\n      a=fmtp:18 annexb=no")
        try #require(g729 != uas)
        let scenario = try TestSupport.temporaryDirectory("sipp-g729") + "/sipp-dialog-uas-g729.xml"
        try TestSupport.write(g729, to: scenario)
        let peer = try await SIPpProcess.start(scenario: scenario, timeout: .seconds(30), arguments: ["-rtp_echo"])
        let phone = try await CallAcceptanceTests.Phone.start(peerPort: peer.port, extra: "preferred_codec: g729a\n")
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("CONNECTED")
        try await Task.sleep(for: .seconds(3))
        let during = try await phone.calls()
        #expect(during.contains("codec G729/8000"), "\(during)")
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "SIPp: \(peer.log)")
        _ = phone.daemon.stop()   // the RECORD file is closed
        let heard = try WAVAudio(path: phone.record)
        let f = heard.frequency(from: 0.5, to: heard.seconds - 0.5)
        let level = heard.rms(from: 0.5, to: heard.seconds - 0.5)
        print("G.729 call through SIPp's echo: heard \(f) Hz, RMS \(level), audible \(heard.audibleSeconds()) s of \(heard.seconds) s")
        #expect(abs(f - 1000) < 50, "heard \(f) Hz over \(heard.seconds) s")
        #expect(heard.audibleSeconds() > 2.5, "audible \(heard.audibleSeconds()) s")
    }
}
