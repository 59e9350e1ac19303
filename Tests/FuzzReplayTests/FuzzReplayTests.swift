import Foundation
import TestKit
import Testing

/// The fuzz harnesses of Fuzz/ (issue 17), in their ordinary build, replay their seeds — the
/// RFC 4475 torture messages, the benchmark corpus, Fuzz/seeds/ (where crashes found by
/// `make fuzz` are kept) — so that every input a harness has ever failed on runs in `make test`.
@Suite struct FuzzReplayTests {
    static let seeds: [(harness: String, folders: [String])] = [
        ("fuzz-sip", [SharedFiles.tortureDirectory, SharedFiles.corpusDirectory]),
    ] + ["sdp", "rtp", "cnf", "dialplan", "telnet", "tftp", "xml", "syncinfo", "image"].map {
        ("fuzz-" + $0, [TestSupport.repositoryRoot.path + "/Fuzz/seeds/" + $0])
    }

    @Test(arguments: seeds.map(\.harness)) func everySeedIsTakenWithoutACrash(_ harness: String) async throws {
        let folders = try #require(Self.seeds.first { $0.harness == harness }).folders
        let expected = folders.reduce(0) { $0 + ((try? FileManager.default.contentsOfDirectory(atPath: $1).count) ?? 0) }
        try #require(expected > 0, "no seeds for \(harness) in \(folders)")
        let dir = try TestSupport.temporaryDirectory(harness)
        let child = try ChildProcess(try TestSupport.product(harness), folders, stdout: dir + "/out", stderr: dir + "/err")
        let status = await child.wait(timeout: .seconds(60))
        let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "\(harness) exited \(String(describing: status)): \(out)")
        #expect(out.contains("\(expected) inputs"), "\(harness): \(out)")
    }
}
