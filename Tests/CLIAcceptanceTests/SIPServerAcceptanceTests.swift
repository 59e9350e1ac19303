import Foundation
import TestKit
import Testing

/// The daemon as a UAS for requests it has no handler for yet, driven by SIPp (an independent
/// implementation): OPTIONS answered 200 with rport filled in; INVITE answered 501 and the
/// transaction ended by SIPp's ACK.
@Suite(.serialized) struct SIPServerAcceptanceTests {
    @Test func sippsOptionsAndInviteAreAnswered() async throws {
        let sipPort = try Sockets.freeUDPPort()
        let daemon = try await DaemonUnderTest.start(
            files: ["SIPDefault.cnf": "voip_control_port: \(sipPort)\nproxy1_address: 127.0.0.1\n",
                    "SIP0011AABBCC42.cnf": "line1_name: 620\n"],
            arguments: ["--sip-address", "127.0.0.1"], waitForTelnet: false)
        let sipp = try await SIPpProcess.start(scenario: "sipp-uac-unhandled.xml", timeout: .seconds(20),
                                               arguments: ["-s", "620", "127.0.0.1:\(sipPort)"])
        let code = await sipp.exitCode(timeout: .seconds(30))
        #expect(code == 0, "sipp: \(sipp.log)\n\(sipp.messages)\n\(daemon.log.suffix(2000))")
        #expect(sipp.messages.contains("SIP/2.0 501 Not Implemented"))
        #expect(daemon.process.reap() == nil)
    }
}
