import Foundation
import TestKit
import Testing

/// `deskphone image keygen | build | sign | verify`, run as the built tool.
@Suite struct ImageToolTests {
    struct Run { let code: Int32?; let out: String; let err: String }

    func tool(_ arguments: [String], in dir: String) async throws -> Run {
        let out = dir + "/out-\(UUID().uuidString).txt", err = dir + "/err-\(UUID().uuidString).txt"
        let p = try ChildProcess(try TestSupport.product("deskphone"), ["image"] + arguments, stdout: out, stderr: err)
        let status = await p.wait(timeout: .seconds(20))
        return Run(code: status.flatMap(ChildProcess.exitCode),
                   out: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                   err: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// A folder with a key pair, a stranger's key pair, a payload, and the signed image of it.
    func prepared() async throws -> String {
        let dir = try TestSupport.temporaryDirectory("image-tool")
        // The payload: the deskphoned the tests were built with.
        try FileManager.default.copyItem(atPath: try TestSupport.product("deskphoned"), toPath: dir + "/deskphoned")
        #expect(try await tool(["keygen", dir + "/vendor"], in: dir).code == 0)
        #expect(try await tool(["keygen", dir + "/stranger"], in: dir).code == 0)
        let build = try await tool(["build", dir + "/deskphoned", "--image-version", "08-12-00", "--model", "7960",
                                    "--model", "7940", "--output", dir + "/P0S3-08-12-00.bin"], in: dir)
        #expect(build.code == 0, "\(build.out)\(build.err)")
        let sign = try await tool(["sign", dir + "/P0S3-08-12-00.bin", "--key", dir + "/vendor.key"], in: dir)
        #expect(sign.code == 0, "\(sign.out)\(sign.err)")
        #expect(sign.out.hasPrefix("\(dir)/P0S3-08-12-00.sb2: P0S3-08-12-00, signed by key "))
        return dir
    }

    @Test func keygenBuildSignVerify() async throws {
        let dir = try await prepared()
        let key = try String(contentsOfFile: dir + "/vendor.key", encoding: .utf8)
        #expect(key.hasPrefix("deskphone-ed25519-private "))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/vendor.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let v = try await tool(["verify", dir + "/P0S3-08-12-00.sb2", "--key", dir + "/stranger.pub",
                                "--key", dir + "/vendor.pub", "--model", "7940"], in: dir)
        #expect(v.code == 0, "\(v.out)\(v.err)")
        let lines = v.out.split(separator: "\n").map { $0.replacingOccurrences(of: dir + "/P0S3-08-12-00.sb2: ", with: "") }
        #expect(lines.count == 6, "\(v.out)")
        #expect(lines.first == "image P0S3-08-12-00, version 08-12-00, for 7960, 7940")
        #expect(lines[1].hasPrefix("size: ") && lines[1].hasSuffix(" bytes, as the header says"))
        #expect(lines[2].hasPrefix("sha-256: ") && lines[2].hasSuffix(", matches"))
        #expect(lines[3].hasPrefix("signature: Ed25519 by trusted key ") && lines[3].hasSuffix(", valid"))
        #expect(lines[4] == "model: 7940, listed")
        #expect(lines[5] == "OK, P0S3-08-12-00 may be installed on a 7940")
        // keygen does not overwrite a key.
        let again = try await tool(["keygen", dir + "/vendor"], in: dir)
        #expect(again.code == 1)
        #expect(again.out == "\(dir)/vendor.key: cannot create: File exists\n")
    }

    func refused(_ image: String, key: String = "vendor.pub", model: String = "7960", in dir: String) async throws -> String {
        let v = try await tool(["verify", image, "--key", dir + "/" + key, "--model", model], in: dir)
        #expect(v.code == 1, "\(v.out)")
        return String(v.out.split(separator: "\n").last ?? "")
    }

    @Test func eachRefusalSaysWhy() async throws {
        let dir = try await prepared()
        let image = dir + "/P0S3-08-12-00.sb2"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))

        #expect(try await refused(image, key: "stranger.pub", in: dir).hasPrefix("\(image): refused: signed by unknown key "))

        var badSignature = bytes
        badSignature[badSignature.count - 5] ^= 0x40
        try badSignature.write(to: URL(fileURLWithPath: dir + "/badsig.sb2"))
        #expect(try await refused(dir + "/badsig.sb2", in: dir).hasPrefix("\(dir)/badsig.sb2: refused: wrong signature: "))

        var badHash = bytes
        badHash[badHash.count - 1000] ^= 0x01
        try badHash.write(to: URL(fileURLWithPath: dir + "/badhash.sb2"))
        #expect(try await refused(dir + "/badhash.sb2", in: dir).hasPrefix("\(dir)/badhash.sb2: refused: wrong hash: "))

        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/short.sb2"))
        #expect(try await refused(dir + "/short.sb2", in: dir)
                == "\(dir)/short.sb2: refused: truncated: the header announces \(bytes.count - 76) bytes, the file has \(bytes.count / 2)")

        let build7940 = try await tool(["build", dir + "/deskphoned", "--image-version", "8.12.1", "--model", "7940",
                                        "--output", dir + "/only7940.bin"], in: dir)
        #expect(build7940.out.contains("P0S3-08-12-01, unsigned, for 7940"), "\(build7940.out)")
        #expect(try await tool(["sign", dir + "/only7940.bin", "--key", dir + "/vendor.key", "--output", dir + "/only7940.sb2"],
                               in: dir).code == 0)
        #expect(try await refused(dir + "/only7940.sb2", in: dir)
                == "\(dir)/only7940.sb2: refused: image is for model 7940, not for this 7960")

        #expect(try await refused(dir + "/P0S3-08-12-00.bin", in: dir).hasSuffix("refused: not signed (an image from 'deskphone image build' needs 'deskphone image sign')"))

        #expect(try await refused(dir + "/missing.sb2", in: dir) == "\(dir)/missing.sb2: cannot read: No such file or directory")
        #expect(try await refused(image, key: "missing.pub", in: dir) == "\(dir)/missing.pub: cannot read: No such file or directory")
        #expect(try await refused(image, key: "vendor.key", in: dir)
                == "\(dir)/vendor.key: not a public key file (it starts with 'deskphone-ed25519-private')")
    }

    @Test func buildChecksItsArguments() async throws {
        let dir = try TestSupport.temporaryDirectory("image-tool")
        let bad = try await tool(["build", "x", "--image-version", "8-12", "--model", "7960"], in: dir)
        #expect(bad.code == 64)
        #expect(bad.err.contains("'8-12' is not an image version: write xx-y-zz, e.g. 08-12-00"), "\(bad.err)")
        let noModel = try await tool(["build", "x", "--image-version", "08-12-00"], in: dir)
        #expect(noModel.code == 64)
        #expect(noModel.err.contains("name at least one --model"), "\(noModel.err)")
        let missing = try await tool(["build", dir + "/nothing", "--image-version", "08-12-00", "--model", "7960",
                                      "--output", dir + "/x.bin"], in: dir)
        #expect(missing.code == 1)
        #expect(missing.out == "\(dir)/nothing: cannot read: No such file or directory\n")
    }
}
