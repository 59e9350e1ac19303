import Firmware
import Foundation
import Provisioning
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The upgrade of a real deskphoned from a real tftpd-hpa on 127.0.0.1 (issue 15): to a newly
/// built and signed image and back, every refusal, and the rollbacks. The images' executable is
/// a two-line shell script that execs the deskphoned under test (the format carries any
/// executable), so the image is small and the upgraded phone is the real program.
@Suite(.serialized) struct UpgradeAcceptanceTests {
    static let key = ImageSigningKey.generate()
    static let mac = "00:11:AA:BB:CC:42"

    struct Bench {
        let server: TFTPServerProcess
        let dir: String
        let keys: String

        var flash: String { dir + "/flash" }

        func arguments(_ extra: [String] = [], telnetPort: Int = 0) -> [String] {
            ["--tftp", "127.0.0.1:\(server.port)", "--flash", flash, "--mac", UpgradeAcceptanceTests.mac,
             "--telnet", "127.0.0.1:\(telnetPort)", "--config", "/dev/null", "--image-keys", keys, "--model", "7960", "--sip-address", "127.0.0.1"] + extra
        }

        /// SIPDefault.cnf: telnet on, SIP on a free port of 127.0.0.1 unless `lines` name one.
        func configure(_ lines: String) throws {
            let port = lines.contains("voip_control_port") ? "" : "voip_control_port: \(try Sockets.freeUDPAndTCPPort())\n"
            try server.put("SIPDefault.cnf", Array(("telnet_level: 2\n" + port + lines).utf8))
        }
    }

    static func bench(files: [String: [UInt8]] = [:]) async throws -> Bench {
        let server = try await TFTPServerProcess.start(files: files)
        let dir = try TestSupport.temporaryDirectory("upgrade")
        let keys = dir + "/keys"
        try TestSupport.write(key.publicKey.fileText, to: keys + "/test.pub")
        // A file that is not a key is reported and skipped, not fatal.
        try TestSupport.write("not a key\n", to: keys + "/broken.pub")
        return Bench(server: server, dir: dir, keys: keys)
    }

    /// An image whose executable runs the deskphoned under test.
    /// `padding` bytes of comment after the exec line (never read by the shell) make an image
    /// larger than the 1 MB a configuration file may be.
    static func runnable(_ version: String, padding: Int = 0) throws -> [UInt8] {
        let pad = padding == 0 ? "" : String(repeating: "# " + String(repeating: "x", count: 97) + "\n", count: padding / 100)
        return try image(version, payload: "#!/bin/sh\nexec '\(try TestSupport.product("deskphoned"))' \"$@\"\n" + pad)
    }

    static func image(_ version: String, payload: String, models: [PhoneModel] = [.cp7960, .cp7940],
                      key: ImageSigningKey = UpgradeAcceptanceTests.key) throws -> [UInt8] {
        try FirmwareImage.build(payload: Array(payload.utf8), version: #require(ImageVersion(version)), models: models)
            .signed(with: key).bytes
    }

    @Test func upgradesToANewSignedImageAndBack() async throws {
        let b = try await Self.bench()
        try b.server.put("P0S3-08-12-00.sb2", try Self.runnable("08-12-00", padding: 3_000_000))
        try b.configure("image_version: P0S3-08-12-00\n")
        // A fixed telnet port, as an installed phone has: each restart (an exec) must free it.
        let telnetPort = try Sockets.freeUDPAndTCPPort()
        let phone = try await DaemonUnderTest.launch(b.arguments(["--upgrade-health-timeout", "120"], telnetPort: telnetPort),
                                                     in: b.dir, waitFor: "deskphoned starting")
        defer { phone.stopAll() }
        try await phone.waitFor("trial: P0S3-08-12-00 is healthy", count: 1)
        try await phone.waitFor("telnet listening on", count: 2)
        let log = phone.log
        #expect(log.contains("upgrade: image_version P0S3-08-12-00 differs from the running built-in; fetching P0S3-08-12-00.sb2"), "\(log)")
        #expect(log.contains("image keys: trusting \(Self.key.publicKey.keyIDText)"))
        #expect(log.contains("/broken.pub: a public key file has one line"), "\(log)")
        #expect(log.contains("upgrade: P0S3-08-12-00 written to slot a"))
        #expect(log.contains("restarting into P0S3-08-12-00"))
        #expect(log.contains("loader: starting P0S3-08-12-00 from slot a on trial (start 1)"))
        #expect(log.contains("image P0S3-08-12-00, model 7960"))
        // The same process, exec'd: the pid the test started is the phone's.
        #expect(phone.process.reap() == nil)
        #expect(phone.loggedPIDs.first == phone.process.pid)
        // The trial's watchdog exits once the image is healthy, and the phone reaps it (a
        // zombie would still answer kill 0).
        let watchdog = try #require(phone.loggedPIDs.last)
        #expect(watchdog != phone.process.pid)
        try await waitUntil("the watchdog \(watchdog) is gone", timeout: .seconds(15)) { kill(watchdog, 0) != 0 }

        var show = try await phone.cli(["show image"])
        #expect(show.output.contains("Running image:  P0S3-08-12-00"), "\(show)")
        #expect(show.output.contains("Slot a:         P0S3-08-12-00 (7960, 7940, 300"), "a 3 MB image: \(show)")
        #expect(show.output.contains("[active]"))
        #expect(show.output.contains("P0S3-08-12-00 in slot a (from built-in): confirmed: CLI up"), "\(show)")
        #expect(!show.output.contains("On trial"))
        let status = try await phone.cli(["show status", "show version"])
        #expect(status.output.contains("image: running P0S3-08-12-00"), "\(status)")
        #expect(status.output.contains("Running image:  P0S3-08-12-00\nimage_version:  P0S3-08-12-00"), "\(status)")

        // And back, to another image: written to slot b.
        try b.server.put("P0S3-08-11-00.sb2", try Self.runnable("08-11-00"))
        try b.configure("image_version: P0S3-08-11-00\n")
        _ = try await phone.cli(["reset"])
        try await phone.waitFor("trial: P0S3-08-11-00 is healthy", count: 1)
        try await phone.waitFor("telnet listening on", count: 3)
        show = try await phone.cli(["show image"])
        #expect(show.output.contains("Running image:  P0S3-08-11-00"), "\(show)")
        #expect(show.output.contains("Slot b:         P0S3-08-11-00 (7960, 7940, "), "\(show)")
        #expect(show.output.contains("Slot a:         P0S3-08-12-00"))
        #expect(phone.log.contains("P0S3-08-11-00 differs from the running P0S3-08-12-00; fetching P0S3-08-11-00.sb2"))

        // Again to 08-12-00: the inactive slot holds it, nothing is fetched.
        try b.configure("image_version: P0S3-08-12-00\n")
        _ = try await phone.cli(["reset"])
        try await phone.waitFor("trial: P0S3-08-12-00 is healthy", count: 2)
        #expect(phone.log.contains("P0S3-08-12-00 differs from the running P0S3-08-11-00; the inactive slot holds it already"), "\(phone.log)")
        #expect(phone.occurrences("fetching P0S3-08-12-00.sb2") == 1)
        #expect(phone.process.reap() == nil)

        // reset hard restarts through the loader, which starts the active slot (no trial now).
        try await phone.waitFor("telnet listening on", count: 4)
        let started = ContinuousClock.now
        _ = try await phone.cli(["reset hard"])
        #expect(ContinuousClock.now - started < .seconds(10), "the restart closes the CLI connection (no inherited socket)")
        try await phone.waitFor("telnet listening on", count: 5)
        #expect(!phone.log.contains("Address already in use"), "\(phone.log)")
        #expect(phone.occurrences("telnet listening on [IPv4]127.0.0.1/127.0.0.1:\(telnetPort)") == 5)
        #expect(phone.log.contains("loader: starting slot a\n") || phone.log.contains("loader: starting slot a"), "\(phone.log)")
        show = try await phone.cli(["show image"])
        #expect(show.output.contains("Running image:  P0S3-08-12-00"), "\(show)")
        #expect(phone.occurrences("deskphoned starting: pid \(phone.process.pid), image P0S3-08-12-00") == 3)
        #expect(phone.process.reap() == nil)
    }

    /// Each bad image is refused with its reason in the log, `show image` and `show status`;
    /// the built-in image keeps running.
    @Test func refusesBadImagesAndKeepsRunning() async throws {
        let b = try await Self.bench()
        let good = try Self.image("08-12-01", payload: "#!/bin/sh\nexit 0\n")
        var badSignature = good
        badSignature[badSignature.count - 1] ^= 0x01
        let other = ImageSigningKey.generate()
        let unknownKey = try Self.image("08-12-02", payload: "#!/bin/sh\nexit 0\n", key: other)
        let truncated = Array(try Self.image("08-12-03", payload: String(repeating: "# padding\n", count: 100)).dropLast(200))
        var wrongHash = try Self.image("08-12-04", payload: "#!/bin/sh\nexit 0\n")
        let header = try FirmwareImage.parseManifest(wrongHash).headerSize
        wrongHash[header + 3] ^= 0x20
        let otherModel = try Self.image("08-12-06", payload: "#!/bin/sh\nexit 0\n", models: [.cp7940])
        try b.server.put("P0S3-08-12-01.sb2", badSignature)
        try b.server.put("P0S3-08-12-02.sb2", unknownKey)
        try b.server.put("P0S3-08-12-03.sb2", truncated)
        try b.server.put("P0S3-08-12-04.sb2", wrongHash)
        try b.server.put("P0S3-08-12-06.sb2", otherModel)
        try b.configure("")
        let phone = try await DaemonUnderTest.launch(b.arguments(), in: b.dir)
        defer { phone.stopAll() }

        let cases: [(String, String)] = [
            ("P0S3-08-12-01", "wrong signature: it does not match the image for key \(Self.key.publicKey.keyIDText)"),
            ("P0S3-08-12-02", "signed by unknown key \(other.publicKey.keyIDText) (not among the trusted public keys)"),
            ("P0S3-08-12-03", "truncated: the header announces"),
            ("P0S3-08-12-04", "wrong hash: the payload's SHA-256 is"),
            ("P0S3-08-12-05", "missing file: P0S3-08-12-05.sb2"),
            ("P0S3-08-12-06", "image is for model 7940, not for this 7960"),
        ]
        for (n, (name, reason)) in cases.enumerated() {
            try b.configure("image_version: \(name)\n")
            // The `debug image` category shows the upgrade to the session that asked
            // (`ping … count 2` keeps the session open a moment after the reset).
            let debug = try await phone.cli(["debug image", "reset", "ping 127.0.0.1 count 2"])
            #expect(debug.output.contains("image: upgrade: image_version \(name) differs from the running built-in; fetching \(name).sb2"),
                    "case \(n): \(debug.output)")
            try await phone.waitFor("upgrade to \(name) refused: ", count: 1)
            let line = phone.log.split(separator: "\n").first { $0.contains("upgrade to \(name) refused: ") } ?? ""
            #expect(line.contains(reason) && line.contains("the running image keeps running"), "case \(n): \(line)")
            let show = try await phone.cli(["show image"])
            #expect(show.output.contains("Running image:  built-in"), "\(show)")
            #expect(show.output.contains("\(name) in slot a (from built-in): refused: ") && show.output.contains(reason), "case \(n): \(show.output)")
            #expect(show.output.contains("Slot a:         empty"), "nothing written: \(show.output)")
            let status = try await phone.cli(["show status"])
            #expect(status.output.contains("image: ") && status.output.contains("\(name): refused: "), "\(status.output)")
        }
        #expect(phone.process.reap() == nil, "the phone kept running")
        #expect(!phone.log.contains("restarting into"))
        #expect(phone.occurrences("deskphoned starting") == 1)
    }

    /// An image whose executable exits at once: the watchdog rolls back to the built-in image
    /// and takes over as the phone; the image is not retried.
    @Test func rollsBackAnImageThatCrashesOnStart() async throws {
        let b = try await Self.bench()
        try b.server.put("P0S3-09-0-00.sb2", try Self.image("09-0-00", payload: "#!/bin/sh\necho crashing >&2\nexit 3\n"))
        try b.configure("image_version: P0S3-09-0-00\n")
        let phone = try await DaemonUnderTest.launch(b.arguments(["--upgrade-health-timeout", "120"]), in: b.dir,
                                                     waitFor: "deskphoned starting")
        defer { phone.stopAll() }
        try await phone.waitFor("not retried: it was rolled back", count: 1, survivingExit: true)
        try await phone.waitFor("telnet listening on", count: 2, survivingExit: true)
        let status = await phone.process.wait(timeout: .seconds(10))
        #expect(status.flatMap(ChildProcess.exitCode) == 3, "the image's own exit status")
        let log = phone.log
        #expect(log.contains("watchdog: P0S3-09-0-00 exited before it became healthy (crashed on start?); rolling back"), "\(log)")
        #expect(phone.occurrences("deskphoned starting") == 2)
        let show = try await phone.cli(["show image"])
        #expect(show.output.contains("Running image:  built-in"), "\(show)")
        #expect(show.output.contains("Active slot:    none"), "\(show)")
        #expect(show.output.contains("built-in in slot b (from P0S3-09-0-00): rolled-back: P0S3-09-0-00 exited before it became healthy"), "\(show)")
    }

    /// An image that runs but never registers its line: rolled back at the health deadline.
    @Test func rollsBackAnImageThatNeverRegisters() async throws {
        let b = try await Self.bench()
        try b.server.put("P0S3-09-1-00.sb2", try Self.runnable("09-1-00"))
        let deadProxy = try Sockets.freeUDPPort()
        let sipPort = try Sockets.freeUDPPort()
        try b.configure("""
            image_version: P0S3-09-1-00
            voip_control_port: \(sipPort)
            proxy1_address: 127.0.0.1
            proxy1_port: \(deadProxy)
            line1_name: 1001
            proxy_register: 1

            """)
        let phone = try await DaemonUnderTest.launch(b.arguments(["--upgrade-health-timeout", "8"]),
                                                     in: b.dir, waitFor: "deskphoned starting")
        defer { phone.stopAll() }
        try await phone.waitFor("trial: P0S3-09-1-00 not yet healthy: line 1 not registered", count: 1)
        try await phone.waitFor("not retried: it was rolled back", count: 1, survivingExit: true)
        try await phone.waitFor("telnet listening on", count: 3, survivingExit: true)
        let log = phone.log
        #expect(log.contains("watchdog: P0S3-09-1-00 was not healthy within 8 s: line 1 not registered; stopping pid \(phone.process.pid)"), "\(log)")
        let show = try await phone.cli(["show image"])
        #expect(show.output.contains("Running image:  built-in"), "\(show)")
        #expect(show.output.contains("rolled-back: P0S3-09-1-00 was not healthy within 8 s: line 1 not registered"), "\(show)")
        #expect(show.output.contains("Slot a:         P0S3-09-1-00"), "the image stays in its slot: \(show)")
    }
}
