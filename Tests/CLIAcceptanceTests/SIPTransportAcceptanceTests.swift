import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestKit
import Testing

/// SIP over TCP, rport/received, NAT, the outbound proxy, malformed requests answered, and
/// moving to a new voip_control_port: the running daemon against real Kamailio instances.
@Suite(.serialized) struct SIPTransportAcceptanceTests {
    /// Line 620 at Kamailio on 127.0.0.1 (RegistrationFailoverTests' phone: short timers).
    static func phone(proxyPort: Int, sipPort: Int, extra: String = "") -> [String: String] {
        RegistrationFailoverTests.phone(proxy: "127.0.0.1", port: proxyPort, sipPort: sipPort, extra: extra)
    }

    /// The binding's Contact and Socket lines from Kamailio's location table.
    func binding(_ kamailio: KamailioProcess) async throws -> (contact: String, socket: String) {
        let dump = try await kamailio.dump()
        let lines = dump.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let contact = lines.first { $0.hasPrefix("Address: ") } ?? ""
        let socket = lines.first { $0.hasPrefix("Socket: ") } ?? ""
        return (contact, socket)
    }

    @Test func registersOverTCPWhenSipTransportIsTCP() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(
            files: Self.phone(proxyPort: kamailio.port, sipPort: sipPort, extra: "sip_transport: tcp"),
            arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered over TCP") { try await kamailio.registeredUsers() == ["620"] }
        let b = try await binding(kamailio)
        let dump = try await kamailio.dump()
        #expect(b.socket.contains("tcp:127.0.0.1:\(kamailio.port)"), "\(dump)")
        #expect(b.contact.contains("sip:620@127.0.0.1:\(sipPort);transport=tcp"), "\(b)")
        // unregistering over the same connection leaves no binding
        _ = try await daemon.cli(["register 0 1"], password: "s3cret")
        try await waitUntil("unregistered over TCP") { try await kamailio.registeredUsers().isEmpty }
    }

    @Test func anEndlessHeaderOverTCPIsCutOffAndRegistrationGoesOn() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(files: Self.phone(proxyPort: kamailio.port, sipPort: sipPort),
                                                     arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered") { try await kamailio.registeredUsers() == ["620"] }

        // Idle connections beyond the cap are refused; they do not stop anything else.
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<80 { if case .success(let fd) = Sockets.connect(port: sipPort) { idle.append(fd) } }

        let fd = try #require(try? Sockets.connect(port: sipPort).get())
        defer { close(fd) }
        let head = "INVITE sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKendless\r\n"
            + "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:620@127.0.0.1>\r\nCall-ID: endless@test\r\nCSeq: 1 INVITE\r\n"
            + "X-Endless: "
        var sent = 0
        var cutOff = false
        if Sockets.send(fd, Array(head.utf8)) {
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
            while sent < 8 * 1024 * 1024 {
                guard Sockets.send(fd, chunk) else { cutOff = true; break }
                sent += chunk.count
            }
        }
        let answer = String(decoding: await Sockets.receive(fd, timeout: .seconds(2)), as: UTF8.self)
        // The 64 KiB cap (plus what the socket buffers hold) ends it: the connection was closed
        // long before 8 MiB, or the answer is already there when the buffers are large.
        #expect(cutOff || answer.hasPrefix("SIP/2.0 513"), "sent \(sent) bytes, answer \(answer.prefix(200))")
        #expect(sent < 8 * 1024 * 1024)
        if !answer.isEmpty {
            #expect(answer.hasPrefix("SIP/2.0 513 Message Too Large\r\n"), "\(answer.prefix(300))")
            #expect(answer.contains("Call-ID: endless@test"))
        }
        #expect(daemon.process.reap() == nil)

        // An OPTIONS over TCP on a fresh connection (after the idle ones are gone) is answered,
        // and the line still (re-)registers.
        idle.forEach { close($0) }
        idle = []
        let options = "OPTIONS sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKopt1\r\n"
            + "From: <sip:x@127.0.0.1>;tag=2\r\nTo: <sip:620@127.0.0.1>\r\nCall-ID: opt@test\r\nCSeq: 7 OPTIONS\r\n"
            + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        var reply = ""
        // The phone sees the closes on its loop: a fresh connection is accepted once it has.
        try? await waitUntil("an OPTIONS over a fresh connection is answered", timeout: .seconds(5)) {
            guard let probe = try? Sockets.connect(port: sipPort).get() else { return false }
            defer { close(probe) }
            guard Sockets.send(probe, Array(options.utf8)) else { return false }
            reply = String(decoding: await Sockets.receive(probe, timeout: .seconds(1)), as: UTF8.self)
            return reply.hasPrefix("SIP/2.0 200 OK\r\n")
        }
        #expect(reply.hasPrefix("SIP/2.0 200 OK\r\n"), "\(reply)")
        #expect(reply.contains("CSeq: 7 OPTIONS"))
        _ = try await daemon.cli(["register 1 1"], password: "s3cret")
        try await waitUntil("registered again") {
            (try await daemon.cli(["show register"], password: "s3cret").output).contains("111  REGISTERED")
        }
        #expect(try await kamailio.registeredUsers() == ["620"])
    }

    @Test func malformedRequestsAreAnsweredWhereRFC3581Says() async throws {
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(files: Self.phone(proxyPort: 9, sipPort: sipPort, extra: "proxy_register: 0"),
                                                     arguments: ["--sip-address", "127.0.0.1"])
        // A broken Request-URI (RFC 4475 §3.1.2.10 style) with rport: 400 back to the source port.
        let broken = "INVITE sip:user@example.com; lr SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.99:5999;branch=z9hG4bKbad1;rport\r\n"
            + "From: <sip:x@127.0.0.1>;tag=9\r\nTo: <sip:620@127.0.0.1>\r\nCall-ID: bad1@test\r\nCSeq: 1 INVITE\r\n"
            + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        let (reply, localPort) = await Sockets.udpExchange(port: sipPort, Array(broken.utf8), timeout: .seconds(3))
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.hasPrefix("SIP/2.0 400 Bad Request\r\n"), "\(text)\n\(daemon.log.suffix(1500))")
        #expect(text.contains("Via: SIP/2.0/UDP 127.0.0.99:5999;branch=z9hG4bKbad1;rport=\(localPort);received=127.0.0.1")
                || text.contains("Via: SIP/2.0/UDP 127.0.0.99:5999;branch=z9hG4bKbad1;received=127.0.0.1;rport=\(localPort)"), "\(text)")
        #expect(text.contains("Warning: 399 "))
        #expect(text.contains("To: <sip:620@127.0.0.1>;tag="))
        // A wrong protocol version gets 505; a well-formed OPTIONS 200 with received/rport.
        let v7 = broken.replacingOccurrences(of: "example.com; lr SIP/2.0", with: "example.com SIP/7.0")
        let (r505, _) = await Sockets.udpExchange(port: sipPort, Array(v7.utf8), timeout: .seconds(3))
        #expect(String(decoding: r505, as: UTF8.self).hasPrefix("SIP/2.0 505 "), "\(String(decoding: r505, as: UTF8.self))")
        let options = "OPTIONS sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKok;rport\r\n"
            + "From: <sip:x@127.0.0.1>;tag=9\r\nTo: <sip:620@127.0.0.1>\r\nCall-ID: ok@test\r\nCSeq: 2 OPTIONS\r\n"
            + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        let (ok, okPort) = await Sockets.udpExchange(port: sipPort, Array(options.utf8), timeout: .seconds(3))
        let okText = String(decoding: ok, as: UTF8.self)
        #expect(okText.hasPrefix("SIP/2.0 200 OK\r\n"), "\(okText)")
        #expect(okText.contains("branch=z9hG4bKok;rport=\(okPort)\r\n"), "\(okText)")
        // A response that matches nothing and garbage without a Via get no answer.
        let (none, _) = await Sockets.udpExchange(port: sipPort, Array("GARBAGE\r\n\r\n".utf8), timeout: .milliseconds(500))
        #expect(none.isEmpty)
    }

    @Test func natAddressIsAdvertisedAndReceivedProcessingCorrectsIt() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let sipPort = try Sockets.freeUDPAndTCPPort()
        // nat_enable with a NAT address: Contact carries it.
        do {
            let daemon = try await DaemonUnderTest.start(
                files: Self.phone(proxyPort: kamailio.port, sipPort: sipPort, extra: "nat_enable: 1\nnat_address: 127.0.0.9"),
                arguments: ["--sip-address", "127.0.0.1"])
            try await waitUntil("registered behind the NAT") { try await kamailio.registeredUsers() == ["620"] }
            let b = try await binding(kamailio)
            let dump = try await kamailio.dump()
            #expect(b.contact.contains("sip:620@127.0.0.9:\(sipPort)"), "\(dump)")
            _ = daemon.stop()
            try await waitUntil("unregistered") { try await kamailio.registeredUsers().isEmpty }
        }
        // A wrong NAT address, corrected from received=/rport in the registrar's answers.
        let daemon = try await DaemonUnderTest.start(
            files: Self.phone(proxyPort: kamailio.port, sipPort: sipPort,
                              extra: "nat_enable: 1\nnat_address: 127.0.0.9\nnat_received_processing: 1"),
            arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered with the learned address") {
            try await binding(kamailio).contact.contains("sip:620@127.0.0.1:\(sipPort)")
        }
        let dump = try await kamailio.dump()
        #expect(!dump.contains("127.0.0.9"), "\(dump)\n\(daemon.log.suffix(3000))")
    }

    @Test func everyRequestGoesThroughTheOutboundProxy() async throws {
        let registrar = try await KamailioProcess.start(users: ["620": "pw620"])
        let outbound = try await KamailioProcess.start(users: ["nobody": "x"], address: "127.0.0.2", port: registrar.port)
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(
            files: Self.phone(proxyPort: registrar.port, sipPort: sipPort,
                              extra: "outbound_proxy: 127.0.0.2\noutbound_proxy_port: \(registrar.port)"),
            arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered through the outbound proxy") { try await registrar.registeredUsers() == ["620"] }
        let table = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(table.contains("127.0.0.1:\(registrar.port)"), "\(table)\n\(outbound.log)\n\(registrar.log)")
        #expect(outbound.log.contains("relay REGISTER sip:127.0.0.1:\(registrar.port) from 127.0.0.1:\(sipPort)"), "\(outbound.log)")
        #expect(try await outbound.registeredUsers().isEmpty)
    }

    @Test func aNewVoipControlPortAtResetMovesTheTransports() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let first = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(files: Self.phone(proxyPort: kamailio.port, sipPort: first),
                                                     arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered on the first port") {
            try await binding(kamailio).contact.contains("127.0.0.1:\(first)")
        }
        let second = try Sockets.freeUDPAndTCPPort()
        let files = Self.phone(proxyPort: kamailio.port, sipPort: second)
        for (name, text) in files { try text.write(toFile: daemon.directory + "/tftpboot/" + name, atomically: true, encoding: .utf8) }
        _ = try await daemon.cli(["reset"], password: "s3cret")
        try await waitUntil("registered on the new port") {
            let dump = try await kamailio.dump()
            return dump.contains("127.0.0.1:\(second)") && !dump.contains("127.0.0.1:\(first)")
        }
        #expect(Sockets.isUDPBound(port: second))
        #expect(!Sockets.isUDPBound(port: first))
    }
}
