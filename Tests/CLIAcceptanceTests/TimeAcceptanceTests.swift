import Foundation
import TestKit
import Testing

/// The daemon keeps its own time by SNTP from a real chrony, and the CLI shows it.
@Suite(.serialized) struct TimeAcceptanceTests {
    @Test func daemonSyncsWithChronyAndShowsItsTime() async throws {
        let dir = try TestSupport.temporaryDirectory("chrony")
        let port = try Sockets.freeUDPPort()
        let chrony = try await ChronyProcess(port: port, directory: dir)
        var files = CLIFiles.files()
        files["SIPDefault.cnf", default: ""] += "sntp_mode: unicast\nsntp_server: 127.0.0.1:\(port)\n"
            + GuideExamples.relativeDST + "date_format: D/M/Y\n"
        let daemon = try await DaemonUnderTest.start(files: files, arguments: ["--log-level", "debug"])
        // The first request goes out at start; wait for the sync.
        var out = ""
        try? await waitUntil("SNTP has synchronised", timeout: .seconds(15)) {
            out = try await daemon.cli(["show sntp", "show time"], password: "s3cret").output
            return out.contains("Source:    SNTP")
        }
        #expect(out.contains("Source:    SNTP"), "\(out)\n\(daemon.log)")
        #expect(out.contains("127.0.0.1:\(port)"))
        #expect(out.contains("stratum: 8  refid: 127.127.1.1"), "\(out)")
        #expect(out.contains("CET"))
        // day-first display (date_format D/M/Y): "Display:   DD/MM/YY HH:MM" with today's date
        let local = out.split(separator: "\n").first { $0.hasPrefix("Local:") } ?? ""
        let date = local.dropFirst("Local:     ".count).prefix(10)   // YYYY-MM-DD
        let parts = date.split(separator: "-")
        if parts.count == 3 {
            #expect(out.contains("Display:   \(parts[2])/\(parts[1])/\(parts[0].suffix(2)) "), "\(out)")
        } else {
            Issue.record("no local time in \(out)")
        }
        chrony.stop()
        #expect(daemon.process.reap() == nil)
    }
}
