#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestKit
import Testing

/// The daemon as a UAS driven by SIPp (an independent implementation): OPTIONS answered 200
/// with rport filled in; an INVITE for a user none of its lines has answered 404 and the
/// transaction ended by SIPp's ACK.
@Suite(.serialized) struct SIPServerAcceptanceTests {
    @Test func sippsOptionsAndInviteAreAnswered() async throws {
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(
            files: ["SIPDefault.cnf": "voip_control_port: \(sipPort)\nproxy1_address: 127.0.0.1\n",
                    "SIP0011AABBCC42.cnf": "line1_name: 620\n"],
            arguments: ["--sip-address", "127.0.0.1"], waitForTelnet: false)
        let sipp = try await SIPpProcess.start(scenario: "sipp-uac-nobody.xml", timeout: .seconds(20),
                                               arguments: ["-s", "999", "127.0.0.1:\(sipPort)"])
        let code = await sipp.exitCode(timeout: .seconds(30))
        #expect(code == 0, "sipp: \(sipp.log)\n\(sipp.messages)\n\(daemon.log.suffix(2000))")
        #expect(sipp.messages.contains("SIP/2.0 404 Not Found"))
        #expect(daemon.process.reap() == nil)
    }
}

/// `debug sip-messages sip-reg-state sip-state` on a telnet session shows what the SIP layer
/// does: the REGISTER sent and its answers, the line's state changes, a request answered.
@Suite(.serialized) struct SIPDebugAcceptanceTests {
    /// Reads from a raw telnet connection until `marker` shows up (telnet option bytes and all).
    func read(_ fd: Int32, until marker: String, timeout: Duration = .seconds(5)) async -> String {
        var text = ""
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !text.contains(marker) {
            text += String(decoding: await Sockets.receive(fd, timeout: .milliseconds(100)), as: UTF8.self)
        }
        return text
    }

    @Test func debugCategoriesShowTheSIPLayerAtWork() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(
            files: ["SIPDefault.cnf": "telnet_level: 2\nproxy1_address: 127.0.0.1\nproxy1_port: \(kamailio.port)\n"
                        + "voip_control_port: \(sipPort)\nproxy_register: 0\n",
                    "SIP0011AABBCC42.cnf": "phone_password: s3cret\nline1_name: 620\nline1_password: pw620\n"],
            arguments: ["--sip-address", "127.0.0.1"])
        let telnet = try #require(daemon.telnetPort)
        let fd = try #require(try? Sockets.connect(port: telnet).get())
        defer { close(fd) }
        _ = await read(fd, until: "Password")
        #expect(Sockets.send(fd, Array("s3cret\r\n".utf8)))
        _ = await read(fd, until: ">")
        #expect(Sockets.send(fd, Array("debug sip-messages sip-reg-state sip-state\r\n".utf8)))
        _ = await read(fd, until: "sip-state debugging is on")
        #expect(Sockets.send(fd, Array("register 1 1\r\n".utf8)))
        let registering = await read(fd, until: "REGISTERED")
        #expect(registering.contains("sipTransportSendMessage:Sent SIP message to <127.0.0.1>:<\(kamailio.port)>"), "\(registering)")
        #expect(registering.contains("REGISTER sip:127.0.0.1:\(kamailio.port) SIP/2.0"))
        #expect(registering.contains("SIP/2.0 401 Unauthorized"))
        #expect(registering.contains("Authorization: Digest"))
        #expect(registering.contains("line 1: REGISTERED"))
        let (reply, _) = await Sockets.udpExchange(port: sipPort, Array(("OPTIONS sip:620@127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKdbg1;rport\r\nMax-Forwards: 70\r\nFrom: <sip:t@x>;tag=1\r\n"
            + "To: <sip:620@127.0.0.1>\r\nCall-ID: debug-options@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").utf8),
            timeout: .seconds(3))
        #expect(!reply.isEmpty)
        let answered = await read(fd, until: "answered 200")
        #expect(answered.contains("OPTIONS debug-options@test from 127.0.0.1:"), "\(answered)")
    }
}
