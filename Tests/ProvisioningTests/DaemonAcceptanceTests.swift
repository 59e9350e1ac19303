import TestKit
import Foundation
import Testing
@testable import Provisioning

/// `deskphoned` and `deskphone` as a person runs them: real processes, a real tftpd-hpa on
/// loopback, the log read back.
@Suite(.serialized) struct DaemonAcceptanceTests {
    static let sipDefault = """
        # provisioned by the acceptance test
        proxy1_address: "127.0.0.1"
        timer_register_expires: 30000000   ; out of range
        tftp_cfg_dir: "./phones/"
        dial_template: plan
        time_zone: CET

        """
    static let phoneFile = "line1_name: 620\nline1_password: secret\nfavourite_colour: blue\n"
    static let plan = "<DIALTEMPLATE><TEMPLATE MATCH=\"6..\" Timeout=\"0\"/></DIALTEMPLATE>\n"

    /// Runs deskphoned until its boot completes, then stops it with SIGTERM; returns its log.
    func bootDaemon(_ args: [String], dir: String) async throws -> (log: String, status: Int32?) {
        let log = dir + "/daemon-\(UUID().uuidString).log"
        let daemon = try ChildProcess(try TestSupport.product("deskphoned"), args + ["--config", "/dev/null"], stderr: log)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("boot complete") || daemon.reap() != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let status = daemon.terminate()
        return ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "", status)
    }

    @Test func bootsFromTftpdThenFromFlashWhenTheServerIsDown() async throws {
        let server = try await TFTPServerProcess.start(files: [
            "SIPDefault.cnf": Array(Self.sipDefault.utf8),
            "plan.xml": Array(Self.plan.utf8),
        ])
        try FileManager.default.createDirectory(atPath: server.directory.path + "/phones", withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: server.directory.path + "/phones")
        let phonePath = server.directory.path + "/phones/SIP0011AABBCC42.cnf"
        try Data(Self.phoneFile.utf8).write(to: URL(fileURLWithPath: phonePath))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: phonePath)

        let dir = try TestSupport.temporaryDirectory("daemon")
        let flash = dir + "/flash"
        let args = ["--tftp", "127.0.0.1:\(server.port)", "--flash", flash, "--mac", "00-11-aa-bb-cc-42", "--model", "7940"]
        let (log, status) = try await bootDaemon(args, dir: dir)
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "clean exit on SIGTERM; log:\n\(log)")
        #expect(log.contains("MAC 00:11:AA:BB:CC:42 (option)"))
        #expect(log.contains("SIPDefault.cnf: fetched 176 bytes from tftp://127.0.0.1:\(server.port)"), "\(log)")
        #expect(log.contains("phones/SIP0011AABBCC42.cnf: fetched 62 bytes from tftp://127.0.0.1:\(server.port)"))
        #expect(log.contains("plan.xml: fetched"))
        #expect(log.contains("SIPDefault.cnf:3: timer_register_expires: 30000000 is out of range (valid: 1–3932100)"))
        #expect(log.contains("SIP0011AABBCC42.cnf:3: favourite_colour: unknown parameter"))
        #expect(log.contains("RINGLIST.DAT: not found on tftp://127.0.0.1:\(server.port)"))
        #expect(FileManager.default.fileExists(atPath: flash + "/config/SIP0011AABBCC42.cnf"))

        // The server goes away: the phone boots on its flash copies and says why.
        let port = server.port
        server.stop()
        let (log2, status2) = try await bootDaemon(args + ["--log-level", "info"], dir: dir)
        #expect(status2.flatMap(ChildProcess.exitCode) == 0)
        #expect(log2.contains("tftp://127.0.0.1:\(port) did not answer"), "\(log2)")
        #expect(log2.contains("SIPDefault.cnf: tftp://127.0.0.1:\(port) did not answer"))
        #expect(log2.contains("booting on the last good copy from flash"))
        #expect(log2.contains("phones/SIP0011AABBCC42.cnf: tftp://127.0.0.1:\(port) did not answer"))
        #expect(log2.contains("SIP0011AABBCC42.cnf:3: favourite_colour: unknown parameter"),
                "the flash copy is applied as the file was")
    }

    @Test func daemonRefusesBadOptionsWithAClearMessage() async throws {
        let dir = try TestSupport.temporaryDirectory("daemon")
        let err = dir + "/err.log"
        let p = try ChildProcess(try TestSupport.product("deskphoned"), ["--mac", "00:11:22", "--config", "/dev/null"], stderr: err)
        let status = await p.wait(timeout: .seconds(10))
        #expect(status.flatMap(ChildProcess.exitCode) == 64)
        let text = try String(contentsOfFile: err, encoding: .utf8)
        // The option's type rejects the value; the message and its help come from the declaration.
        #expect(text.contains("The value '00:11:22' is invalid for '--mac <mac>'"), "\(text)")
        #expect(text.contains("Help:  --mac <mac>  The phone's MAC address"), "\(text)")
    }

    @Test func aConfigFileNamedWithConfigMustExist() async throws {
        let dir = try TestSupport.temporaryDirectory("daemon")
        let err = dir + "/err.log"
        let p = try ChildProcess(try TestSupport.product("deskphoned"), ["--config", dir + "/missing.conf"], stderr: err)
        let status = await p.wait(timeout: .seconds(10))
        #expect(status.flatMap(ChildProcess.exitCode) == 64)
        let text = try String(contentsOfFile: err, encoding: .utf8)
        #expect(text.contains("--config \(dir)/missing.conf: cannot open: No such file or directory"), "\(text)")
    }

    @Test func aConfigFileValueIsCheckedByItsOptionsType() async throws {
        let dir = try TestSupport.temporaryDirectory("daemon")
        try TestSupport.write("flash = \(dir)/flash\nmodel = 7970\n", to: dir + "/deskphoned.conf")
        let err = dir + "/err.log"
        let p = try ChildProcess(try TestSupport.product("deskphoned"), ["--config", dir + "/deskphoned.conf"], stderr: err)
        let status = await p.wait(timeout: .seconds(10))
        #expect(status.flatMap(ChildProcess.exitCode) != 0)
        let text = try String(contentsOfFile: err, encoding: .utf8)
        #expect(text.contains("\(dir)/deskphoned.conf:2: model = 7970: expected 7960 or 7940"), "\(text)")
    }

    @Test func daemonConfigFileSuppliesOptionsAndTheCommandLineWins() async throws {
        let dir = try TestSupport.temporaryDirectory("daemon")
        let provision = dir + "/provision"
        try TestSupport.write("phone_label: FromFile\n", to: provision + "/SIPDefault.cnf")
        try TestSupport.write("""
            # deskphoned.conf
            flash = \(dir)/flash-from-file
            provision = \(provision)
            mac = 00:0D:BC:50:FC:D4
            model = 7940

            """, to: dir + "/deskphoned.conf")
        let log = dir + "/d.log"
        let p = try ChildProcess(try TestSupport.product("deskphoned"),
                                 ["--config", dir + "/deskphoned.conf", "--mac", "0011AABBCC42"], stderr: log)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline,
              !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("boot complete") {
            try await Task.sleep(for: .milliseconds(20))
        }
        p.terminate()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("model 7940, MAC 00:11:AA:BB:CC:42 (option), flash \(dir)/flash-from-file"), "\(text)")
        #expect(text.contains("SIPDefault.cnf: fetched 22 bytes from folder \(provision)"))
    }

    @Test func checkConfigReportsFileAndLineAndExitsNonZero() async throws {
        let dir = try TestSupport.temporaryDirectory("check")
        try TestSupport.write("proxy1_port: 5060\ntelnet_level: 7\nwhat_is_this: 1\n", to: dir + "/SIPDefault.cnf")
        try TestSupport.write("line1_name: 620\n", to: dir + "/SIP0011AABBCC42.cnf")
        let out = dir + "/out.txt"
        let p = try ChildProcess(try TestSupport.product("deskphone"),
                                 ["check-config", dir + "/SIPDefault.cnf", dir + "/SIP0011AABBCC42.cnf"], stdout: out)
        let status = await p.wait(timeout: .seconds(10))
        #expect(status.flatMap(ChildProcess.exitCode) == 1)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text == """
            \(dir)/SIPDefault.cnf:2: telnet_level: 7 is out of range (valid: 0–2)
            \(dir)/SIPDefault.cnf:3: what_is_this: unknown parameter
            2 files: 1 error, 1 warning

            """)

        let ok = try ChildProcess(try TestSupport.product("deskphone"), ["check-config", dir + "/SIP0011AABBCC42.cnf"], stdout: out)
        #expect(await ok.wait(timeout: .seconds(10)).flatMap(ChildProcess.exitCode) == 0)
    }
}
