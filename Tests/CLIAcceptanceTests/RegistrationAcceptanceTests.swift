import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestKit
import Testing

/// Six lines registering at a real Kamailio with digest authentication.
@Suite(.serialized) struct RegistrationAcceptanceTests {
    /// `make run`'s embedded configuration names proxy 127.0.0.1:5060, the phone's own SIP
    /// address: `register 1 1` must refuse instead of registering with itself (issue: it sent
    /// a REGISTER to its own port, answered itself 501 and retried for ever).
    @Test func registerRefusesAProxyAtThePhonesOwnAddress() async throws {
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let files = [
            "SIPDefault.cnf": "telnet_level: 2\nproxy1_address: 127.0.0.1\nproxy1_port: \(sipPort)\nproxy_register: 0\n"
                + "voip_control_port: \(sipPort)\n",
            "SIP0011AABBCC42.cnf": "line1_name: 620\nphone_password: s3cret\n",
        ]
        let daemon = try await DaemonUnderTest.start(files: files, arguments: ["--log-level", "debug"])
        let result = try await daemon.cli(["debug sip-messages", "register 1 1"], password: "s3cret")
        #expect(result.code == 1, "the script runner reports the error")
        #expect(result.output.contains("% Error:Proxy 127.0.0.1:\(sipPort) is this phone's own SIP address"), "\(result.output)")
        #expect(!result.output.contains("Registering line 1"))
        let table = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(table.contains("FAILED"), "\(table)")
        #expect(!result.output.contains("REGISTER sip:") && !daemon.log.contains("REGISTER sip:"), "no REGISTER was sent")
        _ = daemon.stop()
    }

    @Test func sixLinesRegisterAndAWrongPasswordFailsOnItsLineOnly() async throws {
        var users: [String: String] = [:]
        for n in 0..<6 { users["62\(n)"] = "pw62\(n)" }
        let kamailio = try await KamailioProcess.start(users: users)
        let sipPort = try Sockets.freeUDPAndTCPPort()
        var phoneFile = "phone_password: s3cret\n"
        for n in 1...6 {
            let user = "62\(n - 1)"
            phoneFile += "line\(n)_name: \(user)\nline\(n)_password: \(n == 4 ? "wrong" : "pw\(user)")\n"
        }
        let files = [
            "SIPDefault.cnf": """
                telnet_level: 2
                proxy1_address: 127.0.0.1
                proxy1_port: \(kamailio.port)
                proxy_register: 1
                voip_control_port: \(sipPort)
                timer_register_expires: 120

                """,
            "SIP0011AABBCC42.cnf": phoneFile,
        ]
        let daemon = try await DaemonUnderTest.start(files: files, arguments: ["--sip-address", "127.0.0.1"])
        let expected: Set<String> = ["620", "621", "622", "624", "625"]
        var registered: Set<String> = []
        try? await waitUntil("five lines are registered") {
            registered = try await kamailio.registeredUsers()
            return registered == expected
        }
        #expect(registered == expected, "kamailio: \(registered)\n\(daemon.log)")
        // line 4 fails once its second challenge is answered
        var table = ""
        try? await waitUntil("line 4 has failed") {
            table = try await daemon.cli(["show register"], password: "s3cret").output
            return table.contains("401: credentials refused")
        }
        let rows = table.split(separator: "\n").map(String.init)
        for n in [1, 2, 3, 5, 6] {
            #expect(rows.contains { $0.hasPrefix("\(n)     111  REGISTERED") && $0.hasSuffix("127.0.0.1:\(kamailio.port)") }, "line \(n):\n\(table)")
        }
        #expect(rows.contains { $0.hasPrefix("4     11x  FAILED") }, "\(table)")
        #expect(table.contains("401: credentials refused"))
        #expect(table.contains("Proxy Registration: ENABLED, state: REGISTERED"))

        // register 0 1 removes line 1's binding; register 1 1 brings it back
        let off = try await daemon.cli(["register 0 1"], password: "s3cret")
        #expect(off.output.contains("Unregistering line 1"))
        try await waitUntil("line 1's binding is removed", timeout: .seconds(5)) {
            !(try await kamailio.registeredUsers()).contains("620")
        }
        _ = try await daemon.cli(["register 1 1"], password: "s3cret")
        try await waitUntil("line 1 is registered again", timeout: .seconds(5)) {
            try await kamailio.registeredUsers().contains("620")
        }
        let bad = try await daemon.cli(["register 1 9"], password: "s3cret")
        #expect(bad.output.contains("% Error:Invalid Line"))

        // shutdown unregisters every line
        daemon.stop()
        #expect(try await kamailio.registeredUsers().isEmpty, "\(daemon.log)")
    }
}

/// Failover to proxy_backup, return to the primary, SRV through the phone's DNS server, and
/// garbage on the SIP port.
@Suite(.serialized) struct RegistrationFailoverTests {
    static func phone(proxy: String, port: Int?, sipPort: Int, extra: String = "") -> [String: String] {
        [
            "SIPDefault.cnf": """
                telnet_level: 2
                proxy1_address: \(proxy)
                \(port.map { "proxy1_port: \($0)" } ?? "")
                proxy_register: 1
                voip_control_port: \(sipPort)
                timer_register_expires: 10
                timer_register_delta: 2
                timer_t1: 50
                timer_t2: 400
                \(extra)

                """,
            "SIP0011AABBCC42.cnf": "phone_password: s3cret\nline1_name: 620\nline1_password: pw620\n",
        ]
    }

    /// A primary Kamailio on 127.0.0.1, a backup on 127.0.0.2 (same port), and a phone whose
    /// line 1 has registered at the primary.
    func primaryAndBackup() async throws -> (primary: KamailioProcess, backup: KamailioProcess, daemon: DaemonUnderTest) {
        let primary = try await KamailioProcess.start(users: ["620": "pw620"])
        let backup = try await KamailioProcess.start(users: ["620": "pw620"], address: "127.0.0.2", port: primary.port)
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(
            files: Self.phone(proxy: "127.0.0.1", port: primary.port, sipPort: sipPort,
                              extra: "proxy_backup: 127.0.0.2\nproxy_backup_port: \(primary.port)"),
            arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered at the primary") { try await primary.registeredUsers() == ["620"] }
        return (primary, backup, daemon)
    }

    @Test func primaryDownMeansBackupThenBackToThePrimary() async throws {
        let (primary, backup, daemon) = try await primaryAndBackup()

        primary.stop()   // the primary goes silent: timer F (64·T1 = 3.2 s), then the backup
        try await waitUntil("registered at the backup") { try await backup.registeredUsers() == ["620"] }
        let onBackup = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(onBackup.contains("127.0.0.2:\(primary.port)"), "\(onBackup)")

        // the primary comes back on the same port: the next probe returns the line to it
        let again = try await KamailioProcess.start(users: ["620": "pw620"], port: primary.port)
        try await waitUntil("back at the primary") { try await again.registeredUsers() == ["620"] }
        let back = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(back.contains("REGISTERED") && back.contains("127.0.0.1:\(primary.port)"), "\(back)\n\(daemon.log)")
    }

    @Test func registerOneBackupRegistersLineOneAtTheBackupToo() async throws {
        let (primary, backup, daemon) = try await primaryAndBackup()
        let before = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(before.contains("1-BU  ...  NONE           0           0           127.0.0.2:\(primary.port)"), "\(before)")
        let r = try await daemon.cli(["register 1 backup"], password: "s3cret")
        #expect(r.output.contains("Registering line 1 to backup proxy"), "\(r.output)")
        try await waitUntil("registered at the backup as well") { try await backup.registeredUsers() == ["620"] }
        #expect(try await primary.registeredUsers() == ["620"])
        let table = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("1-BU  111  REGISTERED") && $0.hasSuffix("127.0.0.2:\(primary.port)") },
                "\(table)")
        _ = try await daemon.cli(["register 0 backup"], password: "s3cret")
        try await waitUntil("removed from the backup") { try await backup.registeredUsers().isEmpty }
        #expect(try await primary.registeredUsers() == ["620"])
    }

    @Test func registerBackupWithoutABackupProxyIsRefused() async throws {
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(files: Self.phone(proxy: "127.0.0.1", port: 9, sipPort: sipPort),
                                                     arguments: ["--sip-address", "127.0.0.1"])
        let r = try await daemon.cli(["register 1 backup"], password: "s3cret")
        #expect(r.output.contains("Backup Proxy is invalid or not configured."), "\(r.output)")
    }

    @Test func srvThroughThePhonesOwnDNSServer() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let dns = try await DNSServerProcess.start(records: [
            "host-record=sip1.example.test,127.0.0.1",
            "srv-host=_sip._udp.example.test,sip1.example.test,\(kamailio.port),10,100",
        ])
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(
            files: Self.phone(proxy: "example.test", port: nil, sipPort: sipPort, extra: "dyn_dns_addr_1: \(dns.address)"),
            arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered through SRV") { try await kamailio.registeredUsers() == ["620"] }
        let table = try await daemon.cli(["show register"], password: "s3cret").output
        #expect(table.contains("example.test:\(kamailio.port)"), "\(table)")
    }

    @Test func garbageOnTheSIPPortDoesNotStopRegistration() async throws {
        let kamailio = try await KamailioProcess.start(users: ["620": "pw620"])
        let sipPort = try Sockets.freeUDPAndTCPPort()
        let daemon = try await DaemonUnderTest.start(files: Self.phone(proxy: "127.0.0.1", port: kamailio.port, sipPort: sipPort),
                                                     arguments: ["--sip-address", "127.0.0.1"])
        try await waitUntil("registered") { try await kamailio.registeredUsers() == ["620"] }
        // A burst: random bytes, oversized datagrams, truncated and malformed SIP.
        let sender = try UDPSocket()
        var rng = SystemRandomNumberGenerator()
        let samples: [[UInt8]] = [
            Array("INVITE sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nContent-Length: 99999\r\n\r\n".utf8),
            Array("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=nomatch\r\nCSeq: 1 REGISTER\r\n\r\n".utf8),
            Array("OPTIONS sip:x SIP/7.0\r\n\r\n".utf8),
            [UInt8](repeating: 0x41, count: 65000),
        ]
        for i in 0..<2000 {
            var bytes = samples[i % samples.count]
            if i % 5 == 4 { bytes = (0..<Int.random(in: 1...1400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            sender.send(bytes, to: sipPort)
        }
        // still alive, still registered, still refreshing (expires 10 s, refresh every 8 s)
        #expect(daemon.process.reap() == nil)
        let r = try await daemon.cli(["register 1 1"], password: "s3cret")
        #expect(r.code == 0)
        try await waitUntil("re-registered after the burst") {
            (try await daemon.cli(["show register"], password: "s3cret").output).contains("111  REGISTERED")
        }
        #expect(try await kamailio.registeredUsers() == ["620"])
    }
}
