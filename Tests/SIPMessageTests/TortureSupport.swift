import Testing
import SIPMessage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shared folder lies beside the repository: <root>/../shared (CI lays it out the same way).
enum SharedFiles {
    static var repositoryRoot: String {
        // #filePath = <root>/Tests/SIPMessageTests/TortureSupport.swift
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }
    static var tortureDirectory: String { repositoryRoot + "/../shared/torture/rfc4475" }
    static var corpusDirectory: String { repositoryRoot + "/../shared/bench/sip-corpus" }

    static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    static func list(_ dir: String, suffix: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(suffix) { names.append(name) }
        }
        return names.sorted()
    }

    /// A torture message by name (without ".dat"); records an issue saying where the files are expected.
    static func torture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8]? {
        let path = tortureDirectory + "/" + name + ".dat"
        guard let b = read(path) else {
            Issue.record("RFC 4475 torture message not found at \(path): the tests expect the shared folder beside the repository (../shared/torture/rfc4475/, as CI lays it out)", sourceLocation: sourceLocation)
            return nil
        }
        return b
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
