import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestKit
import Testing

/// The phone-farm mode (`deskphoned --farm N`): N phones in one process, each provisioned with
/// its own SIP<MAC>.cnf, registering its line at a real Kamailio with digest authentication.
@Suite(.serialized) struct FarmAcceptanceTests {
    static let phones = 20
    /// The farm's first MAC; phone n has it + n − 1.
    static let firstMAC = "00:11:AA:BB:CC:F8"

    /// Phone n's MAC in the file-name form (00:11:AA:BB:CC:F8 + n − 1, carrying into CD).
    static func mac(_ n: Int) -> String {
        let value = 0x0011_AABB_CCF8 + n - 1
        return String(format: "%012llX", UInt64(value))
    }

    @Test func twentyPhonesRegisterEachWithItsOwnFilesAndFlash() async throws {
        var users: [String: String] = [:]
        for n in 1...Self.phones { users["\(3000 + n)"] = "pw\(3000 + n)" }
        let kamailio = try await KamailioProcess.start(users: users)
        let dir = try TestSupport.temporaryDirectory("farm")
        try TestSupport.write("""
            telnet_level: 2
            phone_password: s3cret
            proxy1_address: 127.0.0.1
            proxy1_port: \(kamailio.port)
            proxy_register: 1
            timer_register_expires: 120

            """, to: dir + "/tftpboot/SIPDefault.cnf")
        for n in 1...Self.phones {
            try TestSupport.write("line1_name: \(3000 + n)\nline1_password: pw\(3000 + n)\n",
                                  to: dir + "/tftpboot/SIP\(Self.mac(n)).cnf")
        }
        let sipPort = try Sockets.freeUDPAndTCPPorts(count: Self.phones)
        let daemon = try await DaemonUnderTest.launch(
            ["--farm", "\(Self.phones)", "--farm-sip-port", "\(sipPort)", "--mac", Self.firstMAC,
             "--provision", dir + "/tftpboot", "--flash", dir + "/flash", "--telnet", "127.0.0.1:0",
             "--sip-address", "127.0.0.1", "--config", "/dev/null"],
            in: dir, waitFor: "farm: all \(Self.phones) lines of \(Self.phones) phones registered")
        defer { daemon.stop() }
        #expect(daemon.log.contains("farm: \(Self.phones) phones booted"), "\(daemon.log)")

        // Kamailio's view: every phone's user, each at its own phone's port.
        let expected = Set((1...Self.phones).map { "\(3000 + $0)" })
        var registered: Set<String> = []
        try? await waitUntil("every phone's line is registered at Kamailio") {
            registered = try await kamailio.registeredUsers()
            return registered == expected
        }
        #expect(registered == expected, "kamailio: \(registered)")
        let dump = try await kamailio.dump()
        for n in 1...Self.phones {
            #expect(dump.contains("127.0.0.1:\(sipPort + n - 1)"), "phone \(n)'s contact at port \(sipPort + n - 1):\n\(dump)")
        }

        // Each phone's own flash folder holds its own file's last good copy, and no other's.
        for n in 1...Self.phones {
            let flash = dir + "/flash/phone-\(Self.mac(n))/config"
            let own = try? String(contentsOfFile: flash + "/SIP\(Self.mac(n)).cnf", encoding: .utf8)
            #expect(own?.contains("line1_name: \(3000 + n)") == true, "phone \(n)'s flash: \(flash)")
            #expect(!FileManager.default.fileExists(atPath: flash + "/SIP\(Self.mac(n % Self.phones + 1)).cnf"))
            #expect(FileManager.default.fileExists(atPath: flash + "/SIPDefault.cnf"))
        }

        // The CLI is phone 1's; reset hard (it would restart every phone) is refused.
        let show = try await daemon.cli(["show version", "show register"], password: "s3cret")
        #expect(show.output.contains("MAC address:    \(Self.firstMAC) (farm phone 1 of \(Self.phones))"), "\(show.output)")
        #expect(show.output.contains("1     111  REGISTERED"), "\(show.output)")
        #expect(show.output.contains("2     ...  NONE"), "phone 1 has one line: \(show.output)")
        let hard = try await daemon.cli(["reset hard"], password: "s3cret")
        #expect((hard.output + hard.errors).contains("all \(Self.phones) phones of the farm"), "\(hard.output)\(hard.errors)")
        #expect(daemon.process.reap() == nil, "the farm runs on")

        // At the stop every phone removes its binding.
        daemon.stop()
        try await waitUntil("every binding is removed", timeout: .seconds(10)) {
            try await kamailio.registeredUsers().isEmpty
        }
    }

    @Test(arguments: [
        (["--farm", "0"], "--farm 0: a farm has 1 to 4000 phones"),
        (["--farm", "100000"], "--farm 100000: a farm has 1 to 4000 phones"),
        (["--farm", "1000", "--farm-sip-port", "65000"], "the phones' SIP ports 65000-65999 do not fit in 1-65535"),
    ])
    func badFarmsAreRefusedAtStart(_ arguments: [String], _ message: String) async throws {
        let dir = try TestSupport.temporaryDirectory("farm-bad")
        let err = dir + "/stderr"
        let p = try ChildProcess(try TestSupport.product("deskphoned"),
                                 arguments + ["--mac", Self.firstMAC, "--flash", dir + "/flash", "--console", "none",
                                              "--config", "/dev/null"], stderr: err)
        let status = await p.wait(timeout: .seconds(20))
        #expect(status.flatMap(ChildProcess.exitCode) != 0 && status != nil)
        let text = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        #expect(text.contains(message), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/flash"), "nothing was started")
    }
}
