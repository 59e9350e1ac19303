import Foundation
import TestKit
import Testing

/// The fuzz harnesses of Fuzz/ (issue 17), in their ordinary build, replay their seeds — the
/// RFC 4475 torture messages, the benchmark corpus, Fuzz/seeds/ (where crashes found by
/// `make fuzz` are kept) — so that every input a harness has ever failed on runs in `make test`.
@Suite struct FuzzReplayTests {
    static let seeds: [(harness: String, folders: [String])] = [
        ("fuzz-sip", [SharedFiles.tortureDirectory, SharedFiles.corpusDirectory]),
    ] + ["sdp", "rtp", "cnf", "dialplan", "telnet", "tftp", "xml", "syncinfo", "image", "relay"].map {
        ("fuzz-" + $0, [TestSupport.repositoryRoot.path + "/Fuzz/seeds/" + $0])
    }

    /// Not under ThreadSanitizer: the harnesses are single-threaded parsers (nothing for it to
    /// find), and TSan's runtime faults inside its own Swift-access hook when a harness runs as
    /// an executable (SEGV in __tsan::MemoryAccess from RTPSession.init's inout generator, seen
    /// with Swift 6.3.1; the same code passes under TSan in RTPTests). ASan replays them
    /// (`make test-asan`), and `make fuzz` runs them under ASan too.
    @Test(.disabled(if: TestSupport.sanitizer == "thread", "single-threaded harnesses; see above"),
          arguments: seeds.map(\.harness)) func everySeedIsTakenWithoutACrash(_ harness: String) async throws {
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
