import Foundation
import Provisioning
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The CLI over SSH (issue 17) against the real daemon, with Debian's OpenSSH client: keys and
/// passwords, refusals, the host key across a restart, a bad authorized_keys line. Nothing of
/// ~/.ssh is read or written: `-F /dev/null`, a scratch known_hosts and HOME.
@Suite(.serialized) struct SSHAcceptanceTests {
    static let tools = ["/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/ssh-keyscan", "/usr/bin/expect"]

    /// A phone folder with keys made by ssh-keygen: `alice` (Ed25519) and `bob` (ECDSA P-256)
    /// authorized, `mallory` (Ed25519) not; the authorized_keys file has a garbage line first.
    struct Phone {
        let dir: String
        var flash: String { dir + "/flash" }
        var knownHosts: String { dir + "/known_hosts" }

        static func make(telnetLevel: Int = 2) async throws -> Phone {
            let dir = try TestSupport.temporaryDirectory("ssh")
            for (name, text) in CLIFiles.files(telnetLevel: telnetLevel) { try TestSupport.write(text, to: dir + "/tftpboot/" + name) }
            let phone = Phone(dir: dir)
            for (name, type) in [("alice", ["-t", "ed25519"]), ("bob", ["-t", "ecdsa", "-b", "256"]), ("mallory", ["-t", "ed25519"])] {
                let code = try await run("/usr/bin/ssh-keygen", ["-q", "-N", "", "-C", name + "@test", "-f", dir + "/" + name] + type, in: dir).code
                guard code == 0 else { throw TestFailure("ssh-keygen \(name) exited \(String(describing: code))") }
            }
            let alice = try String(contentsOfFile: dir + "/alice.pub", encoding: .utf8)
            let bob = try String(contentsOfFile: dir + "/bob.pub", encoding: .utf8)
            try TestSupport.write("this line is garbage\n# a comment\n\(alice)\(bob)", to: phone.flash + "/ssh/authorized_keys")
            return phone
        }

        func launch(_ extra: [String] = [], ssh: String = "127.0.0.1:0", waitFor: String = "ssh listening on") async throws -> DaemonUnderTest {
            try await DaemonUnderTest.launch(
                ["--provision", dir + "/tftpboot", "--flash", flash, "--mac", DaemonUnderTest.mac, "--telnet", "127.0.0.1:0",
                 "--ssh", ssh, "--config", "/dev/null"] + extra,
                in: dir, waitFor: waitFor)
        }

        /// The options every ssh here gets: no config file, no agent, a scratch known_hosts in
        /// which the phone's key is filed under one name whatever port the daemon got.
        func sshOptions(port: Int, strict: Bool = false) -> [String] {
            ["-F", "/dev/null", "-p", "\(port)", "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "HostKeyAlias=deskphone-under-test",
             "-o", "StrictHostKeyChecking=\(strict ? "yes" : "accept-new")", "-o", "IdentityAgent=none",
             "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-o", "ServerAliveInterval=0"]
        }

        /// `ssh -i KEY admin@127.0.0.1 COMMAND`, keys only.
        func sshWithKey(_ key: String, port: Int, command: String, strict: Bool = false) async throws -> (code: Int32?, output: String, errors: String) {
            try await Self.run("/usr/bin/ssh", sshOptions(port: port, strict: strict) + [
                "-o", "BatchMode=yes", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
                "-i", dir + "/" + key, "admin@127.0.0.1", command], in: dir)
        }

        /// `ssh admin@127.0.0.1 COMMAND` with the password an SSH_ASKPASS script answers.
        func sshWithPassword(_ password: String, port: Int, command: String, prompts: Int = 1) async throws -> (code: Int32?, output: String, errors: String) {
            let askpass = dir + "/askpass-\(UUID().uuidString).sh"
            try "#!/bin/sh\necho '\(password)'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
            chmod(askpass, 0o700)
            return try await Self.run("/usr/bin/ssh", sshOptions(port: port) + [
                "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=\(prompts)",
                "admin@127.0.0.1", command], in: dir,
                extraEnvironment: ["SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"])
        }

        static func run(_ tool: String, _ arguments: [String], in dir: String,
                        extraEnvironment: [String] = []) async throws -> (code: Int32?, output: String, errors: String) {
            let out = dir + "/run-\(UUID().uuidString).out", err = out + ".err"
            let child = try ChildProcess(tool, arguments, stdout: out, stderr: err,
                                         environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "TERM=dumb"] + extraEnvironment)
            let status = await child.wait(timeout: .seconds(60))
            if status == nil { _ = child.terminate() }
            return (status.flatMap(ChildProcess.exitCode), (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                    (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        }
    }

    /// The port from `ssh listening on [IPv4]127.0.0.1/127.0.0.1:PORT (host key SHA256:…)`.
    static func sshPort(_ daemon: DaemonUnderTest) throws -> Int {
        let line = try #require(daemon.log.split(separator: "\n").last { $0.contains("ssh listening on") })
        let address = try #require(line.split(separator: " ").first { $0.contains("127.0.0.1:") })
        return try #require(Int(address.split(separator: ":").last ?? ""))
    }

    /// The pid of the last `deskphone-ssh … started (pid N)`.
    static func serverPID(_ daemon: DaemonUnderTest) -> pid_t? {
        guard let line = daemon.log.split(separator: "\n").last(where: { $0.contains("deskphone-ssh started (pid ") }),
              let range = line.range(of: "(pid ") else { return nil }
        return pid_t(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// Whether `pid` is gone (or a zombie nobody reaped yet: it serves nothing either).
    static func isGone(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    static func fingerprintInLog(_ daemon: DaemonUnderTest) -> String? {
        guard let line = daemon.log.split(separator: "\n").last(where: { $0.contains("ssh listening on") }),
              let range = line.range(of: "SHA256:") else { return nil }
        return String(line[range.lowerBound...].prefix { $0 != ")" })
    }

    /// SIGTERM and an asynchronous wait (DaemonUnderTest.stop waits in usleep, holding one of
    /// the test runner's few threads for the daemon's shutdown of a second or two).
    static func stop(_ daemon: DaemonUnderTest) async {
        kill(daemon.process.pid, SIGTERM)
        if await daemon.process.wait(timeout: .seconds(10)) == nil { daemon.stop() }
    }

    static func toolsMissing() -> Bool {
        for tool in tools where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: run `scripts/install-deps.sh test`")
            return true
        }
        return false
    }

    @Test(.timeLimit(.minutes(3))) func keyLoginsRunCommandsAndAWrongKeyIsRefused() async throws {
        if Self.toolsMissing() { return }
        let phone = try await Phone.make()
        let daemon = try await phone.launch()
        defer { daemon.stop() }
        let port = try Self.sshPort(daemon)

        // The garbage line is logged with its place, the two good keys are loaded.
        #expect(daemon.log.contains("ssh/authorized_keys:1: not a public key"), "\(daemon.log)")
        #expect(daemon.log.contains("ssh: 2 authorized keys"), "\(daemon.log)")

        let alice = try await phone.sshWithKey("alice", port: port, command: "show version")
        #expect(alice.code == 0, "\(alice)")
        #expect(alice.output.contains("Deskphone \(DeskphoneVersion.version)"), "\(alice.output)")
        #expect(alice.output.contains("MAC address:    00:11:AA:BB:CC:42"), "\(alice.output)")

        let bob = try await phone.sshWithKey("bob", port: port, command: "show config")
        #expect(bob.code == 0, "\(bob)")
        #expect(bob.output.contains("line1_name "), "\(bob.output)")

        // `show sessions` lists SSH sessions beside telnet's: this one, with its level.
        let sessions = try await phone.sshWithKey("alice", port: port, command: "show sessions")
        #expect(sessions.code == 0, "\(sessions)")
        let mine = sessions.output.split(separator: "\n").first { $0.contains("(this session)") }
        #expect(mine?.hasPrefix("ssh        127.0.0.1:") == true, "\(sessions.output)")
        #expect(mine?.contains("privileged") == true, "\(sessions.output)")

        // A command the CLI rejects: its error, and exit status 1.
        let typo = try await phone.sshWithKey("alice", port: port, command: "show nonsense")
        #expect(typo.code == 1, "\(typo)")
        #expect(typo.output.contains("% Invalid input detected"), "\(typo.output)")

        let mallory = try await phone.sshWithKey("mallory", port: port, command: "show version")
        #expect(mallory.code == 255, "\(mallory)")
        #expect(mallory.errors.contains("Permission denied"), "\(mallory.errors)")
        #expect(!mallory.output.contains("Deskphone"))

        let log = daemon.log
        #expect(log.contains("logged in with key alice@test"), "\(log)")
        #expect(log.contains("logged in with key bob@test"), "\(log)")
        #expect(log.contains("is not authorized"), "\(log)")
        await Self.stop(daemon)
    }

    @Test(.timeLimit(.minutes(3))) func passwordLoginsWithAskpassAndExpectAndAWrongPasswordIsRefused() async throws {
        if Self.toolsMissing() { return }
        let phone = try await Phone.make()
        let daemon = try await phone.launch()
        defer { daemon.stop() }
        let port = try Self.sshPort(daemon)

        let right = try await phone.sshWithPassword("s3cret", port: port, command: "show version")
        #expect(right.code == 0, "\(right)")
        #expect(right.output.contains("Deskphone \(DeskphoneVersion.version)"), "\(right.output)")

        let wrong = try await phone.sshWithPassword("guess", port: port, command: "show version")
        #expect(wrong.code == 255, "\(wrong)")
        #expect(wrong.errors.contains("Permission denied"), "\(wrong.errors)")
        #expect(!wrong.output.contains("Deskphone"))
        #expect(daemon.log.contains("ssh: login: wrong password from 127.0.0.1:"), "\(daemon.log)")
        // One back-off for both doors: telnet's next wrong password from the same address is
        // that address's second.
        _ = try await daemon.cli(["show version"], password: "guess")
        #expect(daemon.log.contains("(1 on this connection, 2 from 127.0.0.1)"), "\(daemon.log)")

        // An interactive session on a pty, as a person has it: the telnet session's prompt,
        // line editing and commands after SSH's own password prompt.
        let options = phone.sshOptions(port: port).map { "{\($0)}" }.joined(separator: " ")
        let script = """
            set timeout 20
            log_user 1
            spawn ssh -tt \(options) -o PubkeyAuthentication=no -o PreferredAuthentications=password admin@127.0.0.1
            expect timeout { exit 2 } "password:"
            send "s3cret\\r"
            expect timeout { exit 3 } "SIP Phone> "
            send "sh ver\\r"
            expect timeout { exit 4 } "Deskphone "
            expect timeout { exit 5 } "SIP Phone> "
            send "exit\\r"
            expect timeout { exit 6 } eof
            exit 0
            """
        try script.write(toFile: phone.dir + "/shell.exp", atomically: true, encoding: .utf8)
        let shell = try await Phone.run("/usr/bin/expect", ["-f", phone.dir + "/shell.exp"], in: phone.dir)
        #expect(shell.code == 0, "expect stopped (exit code marks the step):\n\(shell.output)\n\(shell.errors)")
        #expect(shell.output.contains("MAC address:"), "\(shell.output)")
        #expect(daemon.log.contains("logged in with the password"), "\(daemon.log)")

        // Telnet's lock-out: the third wrong password on one connection closes it.
        let three = try await phone.sshWithPassword("guess", port: port, command: "show version", prompts: 3)
        #expect(three.code == 255, "\(three)")
        #expect(!three.output.contains("Deskphone"))
        #expect(daemon.log.contains("(3 on this connection, 3 from 127.0.0.1)"), "\(daemon.log)")
        #expect(daemon.log.contains("3 wrong passwords, closing the connection"), "\(daemon.log)")
        await Self.stop(daemon)
    }

    /// One rule for telnet and SSH (telnet_level): 1 allows the non-privileged commands only,
    /// 0 refuses the login.
    @Test(.timeLimit(.minutes(3))) func telnetLevelDecidesWhatAnSSHSessionMayDo() async throws {
        if Self.toolsMissing() { return }
        let user = try await Phone.make(telnetLevel: 1)
        let daemon = try await user.launch()
        let port = try Self.sshPort(daemon)
        let sessions = try await user.sshWithKey("alice", port: port, command: "show sessions")
        #expect(sessions.code == 0, "\(sessions)")
        #expect(sessions.output.contains("non-privileged"), "\(sessions.output)")
        let reset = try await user.sshWithKey("alice", port: port, command: "erase protflash")
        #expect(reset.code == 1, "\(reset)")
        #expect(reset.output.contains("% Not permitted at this access level"), "\(reset.output)")
        #expect(try String(contentsOfFile: user.flash + "/config/SIPDefault.cnf", encoding: .utf8).contains("telnet_level"))
        await Self.stop(daemon)

        let closed = try await Phone.make(telnetLevel: 0)
        let closedDaemon = try await closed.launch()
        defer { closedDaemon.stop() }
        let refused = try await closed.sshWithKey("alice", port: try Self.sshPort(closedDaemon), command: "show version")
        #expect(refused.code == 255, "\(refused)")
        #expect(!refused.output.contains("Deskphone"))
        #expect(closedDaemon.log.contains("refused: telnet_level is 0"), "\(closedDaemon.log)")
        await Self.stop(closedDaemon)
    }

    @Test(.timeLimit(.minutes(3))) func theHostKeyIsMadeOnceAndKeptAcrossARestart() async throws {
        if Self.toolsMissing() { return }
        let phone = try await Phone.make()
        var daemon = try await phone.launch()
        let first = try #require(Self.fingerprintInLog(daemon))
        #expect(daemon.log.contains("ssh: new host key \(first)"), "\(daemon.log)")
        let port1 = try Self.sshPort(daemon)
        let scan1 = try await Phone.run("/usr/bin/ssh-keyscan", ["-t", "ed25519", "-p", "\(port1)", "127.0.0.1"], in: phone.dir)
        // The client learns the key on the first login (accept-new)...
        let login1 = try await phone.sshWithKey("alice", port: port1, command: "show version")
        #expect(login1.code == 0, "\(login1)")
        // ...and the fingerprint the daemon logs is the one ssh-keygen computes from the .pub.
        let keygen = try await Phone.run("/usr/bin/ssh-keygen", ["-l", "-f", phone.flash + "/ssh/host_ed25519_key.pub"], in: phone.dir)
        #expect(keygen.output.contains(first), "\(keygen)")
        await Self.stop(daemon)

        daemon = try await phone.launch()
        defer { daemon.stop() }
        let port2 = try Self.sshPort(daemon)
        #expect(Self.fingerprintInLog(daemon) == first)
        #expect(!daemon.log.contains("new host key"), "the stored key is reused")
        let scan2 = try await Phone.run("/usr/bin/ssh-keyscan", ["-t", "ed25519", "-p", "\(port2)", "127.0.0.1"], in: phone.dir)
        let key1 = scan1.output.split(separator: " ").dropFirst().joined(separator: " ")
        let key2 = scan2.output.split(separator: " ").dropFirst().joined(separator: " ")
        #expect(key1.hasPrefix("ssh-ed25519 AAAA"), "\(scan1)")
        #expect(key1 == key2)
        // The key the first run's client filed, insisted on: StrictHostKeyChecking=yes fails on
        // any other key (and on none).
        let known = try String(contentsOfFile: phone.knownHosts, encoding: .utf8)
        #expect(known.hasPrefix("deskphone-under-test ssh-ed25519 "), "\(known)")
        let login2 = try await phone.sshWithKey("alice", port: port2, command: "show version", strict: true)
        #expect(login2.code == 0, "\(login2)")
        #expect(login2.output.contains("Deskphone "), "\(login2.output)")
        await Self.stop(daemon)
    }

    /// deskphone-ssh is a child of the daemon (issue 16): killed, it is logged and started
    /// again, and SSH logins work as before; the daemon itself never noticed.
    @Test(.timeLimit(.minutes(3))) func aKilledSSHServerIsLoggedAndRestartedWhileTheDaemonStaysUp() async throws {
        if Self.toolsMissing() { return }
        let phone = try await Phone.make()
        let daemon = try await phone.launch()
        defer { daemon.stop() }
        let first = try #require(Self.serverPID(daemon), "\(daemon.log)")
        let before = try await phone.sshWithKey("alice", port: try Self.sshPort(daemon), command: "show version")
        #expect(before.code == 0, "\(before)")

        #expect(kill(first, SIGKILL) == 0)
        try await daemon.waitFor("deskphone-ssh (pid \(first)) was killed by signal 9 (SIGKILL)")
        try await daemon.waitFor("ssh listening on", count: 2)
        #expect(daemon.log.contains("ssh: restarting "), "\(daemon.log)")
        let second = try #require(Self.serverPID(daemon))
        #expect(second != first)

        let after = try await phone.sshWithKey("alice", port: try Self.sshPort(daemon), command: "show sessions")
        #expect(after.code == 0, "\(after)")
        #expect(after.output.contains("ssh        127.0.0.1:"), "\(after.output)")
        // The same daemon, telnet and all.
        #expect(daemon.process.reap() == nil)
        #expect(daemon.occurrences("deskphoned starting") == 1)
        let telnet = try await daemon.cli(["show version"], password: "s3cret")
        #expect(telnet.output.contains("Deskphone \(DeskphoneVersion.version)"), "\(telnet)")

        // A daemon that is killed takes its SSH server with it.
        kill(daemon.process.pid, SIGKILL)
        try await waitUntil("deskphone-ssh \(second) exits with the daemon", timeout: .seconds(10)) { Self.isGone(second) }
    }

    /// A missing --ssh-server program is logged and tried again later; the phone runs on.
    @Test(.timeLimit(.minutes(3))) func aMissingSSHServerProgramIsLoggedAndThePhoneRunsOn() async throws {
        if Self.toolsMissing() { return }
        let phone = try await Phone.make()
        let daemon = try await phone.launch(["--ssh-server", phone.dir + "/no-such-program"], waitFor: "telnet listening on")
        defer { daemon.stop() }
        try await daemon.waitFor("ssh: cannot start \(phone.dir)/no-such-program: No such file or directory")
        let telnet = try await daemon.cli(["show version"], password: "s3cret")
        #expect(telnet.output.contains("Deskphone \(DeskphoneVersion.version)"), "\(telnet)")
        await Self.stop(daemon)
    }

    /// `reset hard` execs the loader in place of the daemon: its deskphone-ssh is stopped and
    /// reaped first (no zombie, and the port is free at once for the new image's).
    @Test(.timeLimit(.minutes(3))) func aRestartStopsTheSSHServerFirstAndTheNewImageListensOnTheSamePort() async throws {
        if Self.toolsMissing() { return }
        let phone = try await Phone.make()
        let port = try Sockets.freeTCPPort()
        let daemon = try await phone.launch(ssh: "127.0.0.1:\(port)")
        defer { daemon.stop() }
        let first = try #require(Self.serverPID(daemon))
        _ = try await daemon.cli(["reset hard"], password: "s3cret")
        try await daemon.waitFor("ssh listening on", count: 2)
        #expect(daemon.log.contains("deskphone-ssh (pid \(first)) stopped"), "\(daemon.log)")
        // (SIP's port 5060 may be another test's: only SSH's lines count)
        #expect(!daemon.log.split(separator: "\n").contains { $0.contains("ssh") && $0.contains("Address already in use") },
                "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(first)"), "the old deskphone-ssh was reaped (no zombie of the new image)")
        #expect(try Self.sshPort(daemon) == port)
        let login = try await phone.sshWithKey("alice", port: port, command: "show version")
        #expect(login.code == 0, "\(login)")
        #expect(daemon.occurrences("deskphoned starting: pid \(daemon.process.pid)") == 2)
        await Self.stop(daemon)
    }
}
