import Commands
import Console
import Foundation
import Phone
import Provisioning
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The provisioning files the CLI tests boot the daemon on.
enum CLIFiles {
    static func files(telnetLevel: Int = 2) -> [String: String] {
        [
            "SIPDefault.cnf": "proxy1_address: 127.0.0.1\ntelnet_level: \(telnetLevel)\n",
            "SIP0011AABBCC42.cnf": "line1_name: 620\nphone_password: s3cret\n",
        ]
    }

    /// Commands and a piece of the output each must give: run in memory and over telnet.
    static let script: [(command: String, expected: String)] = [
        ("show version", "Deskphone \(DeskphoneVersion.version)"),
        ("sh ver", "MAC address:    00:11:AA:BB:CC:42 (option)"),
        ("show config", "line1_name "),
        ("show network", "Interface: "),
        ("show tftp", "SIP0011AABBCC42.cnf"),
        ("show flash", "config/SIPDefault.cnf"),
        ("show status", "W350 unprovisioned proxy_backup"),
        ("debug tftp", "tftp debugging is on"),
        ("show debug", "Debugging on for this session: tftp"),
        ("undebug all", "All possible debugging has been turned off"),
        ("tty mon 1", "Terminal monitor on"),
        ("ping 127.0.0.1 count 1", "1 packets transmitted, 1 received"),
        ("help", "show network"),
    ]
}

@Suite(.serialized) struct CLIAcceptanceTests {
    @Test func theSameScriptInMemoryAndOverTelnet() async throws {
        // in memory, on a phone runtime booted from the same files
        let dir = try TestSupport.temporaryDirectory("inmem")
        for (n, t) in CLIFiles.files() { try TestSupport.write(t, to: dir + "/tftpboot/" + n) }
        let phone = PhoneRuntime(flash: try FlashStore(root: dir + "/flash"),
                                 identity: PhoneIdentity(mac: MACAddress(DaemonUnderTest.mac)!, macOrigin: "option",
                                                         model: .cp7960, source: "folder"),
                                 source: LocalFolderSource(root: dir + "/tftpboot"), restart: {})
        await phone.boot()
        let session = CLISession(configuration: SessionConfiguration(
            prompt: { "SIP Phone> " }, password: nil, privilege: .privileged, commands: PhoneCommands.tree,
            context: phone), peer: "memory")
        let memory = await MemoryTerminal.run(session, lines: CLIFiles.script.map(\.command))
        for (i, (command, expected)) in CLIFiles.script.enumerated() {
            #expect(memory[i].contains(expected), "in memory: \(command) → \(memory[i])")
        }

        // over telnet, against the real daemon
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let (code, output, errors) = try await daemon.cli(CLIFiles.script.map(\.command), password: "s3cret")
        #expect(code == 0, "\(errors)")
        var rest = Substring(output)
        for (command, expected) in CLIFiles.script {
            guard let r = rest.range(of: expected) else {
                Issue.record("over telnet: \(command) lacks '\(expected)' in:\n\(rest)"); break
            }
            rest = rest[r.upperBound...]
        }
        #expect(daemon.log.contains("telnet listening on"))
    }

    /// The same script through Debian's telnet client, driven by expect, as a person would type it.
    @Test func theSameScriptThroughDebianTelnetAndExpect() async throws {
        for tool in ["/usr/bin/telnet", "/usr/bin/expect"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: run `scripts/install-deps.sh test`")
            return
        }
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let port = try #require(daemon.telnetPort)
        var script = """
            set timeout 10
            log_user 1
            spawn telnet 127.0.0.1 \(port)
            expect timeout { exit 2 } "Password :"
            send "s3cret\\r"
            expect timeout { exit 3 } "SIP Phone> "

            """
        for (i, (command, expected)) in CLIFiles.script.enumerated() {
            script += """
                send "\(command)\\r"
                expect timeout { exit \(10 + i) } -exact "\(expected)"
                expect timeout { exit \(40 + i) } "SIP Phone> "

                """
        }
        script += "send \"exit\\r\"\nexpect timeout { exit 99 } eof\nexit 0\n"
        try script.write(toFile: daemon.directory + "/script.exp", atomically: true, encoding: .utf8)
        let child = try ChildProcess("/usr/bin/expect", ["-f", daemon.directory + "/script.exp"],
                                     stdout: daemon.directory + "/expect.out", stderr: daemon.directory + "/expect.err",
                                     environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=dumb", "HOME=" + daemon.directory])
        let status = await child.wait(timeout: .seconds(60))
        child.terminate()
        let transcript = (try? String(contentsOfFile: daemon.directory + "/expect.out", encoding: .utf8)) ?? ""
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "expect stopped (exit code marks the step):\n\(transcript)")
        #expect(transcript.contains("Password :******"))
        #expect(!transcript.contains("s3cret"))
    }

    @Test func aFailingCommandStopsTheScriptWithExitOne() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let r = try await daemon.cli(["show version", "show bogus", "show flash"], password: "s3cret")
        #expect(r.code == 1)
        #expect(r.output.contains("Deskphone"))
        #expect(r.output.contains("% Invalid input detected at '^' marker: 'bogus' is not a show keyword"))
        #expect(!r.output.contains("config/SIPDefault.cnf"))
        #expect(r.errors.contains("'show bogus' failed"))
        let wrong = try await daemon.cli(["show version"], password: "nope")
        #expect(wrong.code == 2)
        #expect(wrong.errors.contains("login failed"))
    }

    @Test func telnetLevelOneRefusesPrivilegedCommands() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files(telnetLevel: 1))
        let r = try await daemon.cli(["show version", "debug sip-messages"], password: "s3cret")
        #expect(r.code == 1)
        #expect(r.output.contains("% Not permitted at this access level: 'debug' needs privileged access"))
        let reset = try await daemon.cli(["reset"], password: "s3cret")
        #expect(reset.output.contains("% Not permitted"))
    }

    @Test func telnetLevelZeroKeepsThePortClosed() async throws {
        let port = try Sockets.freeTCPPort()
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files(telnetLevel: 0),
                                                     arguments: ["--telnet", "127.0.0.1:\(port)"], waitForTelnet: false)
        #expect(!daemon.log.contains("telnet listening"))
        guard case .failure(let e) = Sockets.connect(port: port) else { Issue.record("port \(port) is open"); return }
        #expect(e.description == "Connection refused")
    }

    @Test func eightConcurrentSessionsRunShowNetwork() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let commands = Array(repeating: "show network", count: 20)
        try await withThrowingTaskGroup(of: (Int32?, String).self) { group in
            for _ in 0..<8 {
                group.addTask { let r = try await daemon.cli(commands, password: "s3cret"); return (r.code, r.output) }
            }
            for try await (code, output) in group {
                #expect(code == 0)
                #expect(output.components(separatedBy: "Interface: ").count == 21)
            }
        }
    }
}
