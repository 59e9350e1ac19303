import Foundation
import TestKit
import Testing

/// Six lines registering at a real Kamailio with digest authentication.
@Suite(.serialized) struct RegistrationAcceptanceTests {
    @Test func sixLinesRegisterAndAWrongPasswordFailsOnItsLineOnly() async throws {
        var users: [String: String] = [:]
        for n in 0..<6 { users["62\(n)"] = "pw62\(n)" }
        let kamailio = try await KamailioProcess.start(users: users)
        let sipPort = try Sockets.freeUDPPort()
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
        let deadline = ContinuousClock.now + .seconds(20)
        var registered: Set<String> = []
        while ContinuousClock.now < deadline {
            registered = try await kamailio.registeredUsers()
            if registered == expected { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(registered == expected, "kamailio: \(registered)\n\(daemon.log)")
        // give line 4 time for its second challenge
        try await Task.sleep(for: .milliseconds(300))
        let table = try await daemon.cli(["show register"], password: "s3cret").output
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
        try await Task.sleep(for: .milliseconds(500))
        #expect(!(try await kamailio.registeredUsers()).contains("620"))
        _ = try await daemon.cli(["register 1 1"], password: "s3cret")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await kamailio.registeredUsers().contains("620"))
        let bad = try await daemon.cli(["register 1 9"], password: "s3cret")
        #expect(bad.output.contains("% Error:Invalid Line"))

        // shutdown unregisters every line
        daemon.stop()
        #expect(try await kamailio.registeredUsers().isEmpty, "\(daemon.log)")
    }
}
