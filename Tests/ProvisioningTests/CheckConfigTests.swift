import Foundation
import TestKit
import Testing

/// `deskphone check-config` on the cases it used to miss (issue 14 item 7), run as the tool.
@Suite struct CheckConfigTests {
    /// Runs `deskphone check-config ARGS`; exit code, standard output, standard error.
    func checkConfig(_ arguments: [String]) async throws -> (code: Int32?, out: String, err: String) {
        let dir = try TestSupport.temporaryDirectory("check")
        let out = dir + "/out.txt", err = dir + "/err.txt"
        let p = try ChildProcess(try TestSupport.product("deskphone"), ["check-config"] + arguments, stdout: out, stderr: err)
        let status = await p.wait(timeout: .seconds(10))
        return (status.flatMap(ChildProcess.exitCode),
                (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    @Test func aDirectoryGivenAsAFileIsAnError() async throws {
        let dir = try TestSupport.temporaryDirectory("check")
        let (code, out, _) = try await checkConfig([dir])
        #expect(code == 1)
        #expect(out == "\(dir): is a directory, not a file\n1 file: 1 error, 0 warnings\n")
    }

    @Test func anEmptyValueIsFlagged() async throws {
        let dir = try TestSupport.temporaryDirectory("check")
        try TestSupport.write("line1_name:\nline2_name: \"\"\nline3_name: UNPROVISIONED\nproxy1_address: ; comment\n",
                              to: dir + "/SIP0011AABBCC42.cnf")
        let (code, out, _) = try await checkConfig([dir + "/SIP0011AABBCC42.cnf"])
        #expect(code == 0, "a warning does not change the exit status")
        // The bare colons only: "" and UNPROVISIONED are the guide's ways to clear on purpose.
        #expect(out == """
            \(dir)/SIP0011AABBCC42.cnf:1: line1_name: empty value: cleared (write "" or UNPROVISIONED to clear it on purpose)
            \(dir)/SIP0011AABBCC42.cnf:4: proxy1_address: empty value: cleared (write "" or UNPROVISIONED to clear it on purpose)
            1 file: 0 errors, 2 warnings

            """)
    }

    @Test func showMasksPasswordsAsShowConfigDoes() async throws {
        let dir = try TestSupport.temporaryDirectory("check")
        try TestSupport.write("line1_name: 620\nline1_password: hunter2\nphone_password: s3cret\n", to: dir + "/SIP0011AABBCC42.cnf")
        let (code, out, _) = try await checkConfig(["--show", dir + "/SIP0011AABBCC42.cnf"])
        #expect(code == 0)
        #expect(!out.contains("hunter2") && !out.contains("s3cret"), "\(out)")
        #expect(out.contains("line1_password: **********  [SIP0011AABBCC42.cnf"), "\(out)")
        #expect(out.contains("phone_password: **********  ["), "\(out)")
        #expect(out.contains("line2_password: UNPROVISIONED"), "an unset password is shown as unset")
        #expect(out.contains("line1_name: 620  ["))
    }

    @Test func aBadModelShowsCheckConfigsUsage() async throws {
        let (code, _, err) = try await checkConfig(["--model", "7970", "x.cnf"])
        #expect(code == 64)
        #expect(err.contains("The value '7970' is invalid for '--model <model>'"), "\(err)")
        #expect(err.contains("Usage: deskphone check-config"), "\(err)")
    }
}
