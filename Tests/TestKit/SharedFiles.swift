// Swift Testing is only on the module path of test builds; `make bench` builds every target
// (TestKit too) in release without it.
#if canImport(Testing)
import Testing
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shared folder lies beside the repository: <root>/../shared (CI lays it out the same way).
/// A clone made elsewhere (a scratch CI check) finds it beside the local repository it was
/// cloned from; `DESKPHONE_SHARED` names it outright.
public enum SharedFiles {
    public static var repositoryRoot: String {
        // #filePath = <root>/Tests/TestKit/SharedFiles.swift
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    public static let sharedDirectory: String = {
        var candidates: [String] = []
        if let env = getenv("DESKPHONE_SHARED") { candidates.append(String(cString: env)) }
        candidates.append(repositoryRoot + "/../shared")
        if let origin = localOrigin() { candidates.append(origin + "/../shared") }
        return candidates.first { opendir($0).map { closedir($0); return true } ?? false } ?? repositoryRoot + "/../shared"
    }()

    /// The path of the `origin` remote when it is a local repository (a clone of a checkout).
    public static func localOrigin() -> String? {
        guard let config = read(repositoryRoot + "/.git/config") else { return nil }
        var inOrigin = false
        for raw in String(decoding: config, as: UTF8.self).split(separator: "\n") {
            let line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("[") { inOrigin = line.hasPrefix("[remote \"origin\"]"); continue }
            guard inOrigin, line.hasPrefix("url = ") else { continue }
            let url = String(line.dropFirst(6))
            return url.hasPrefix("/") ? url : nil
        }
        return nil
    }

    public static var tortureDirectory: String { sharedDirectory + "/torture/rfc4475" }
    public static var corpusDirectory: String { sharedDirectory + "/bench/sip-corpus" }

    public static func read(_ path: String) -> [UInt8]? {
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

    public static func list(_ dir: String, suffix: String) -> [String] {
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

    #if canImport(Testing)
    /// A torture message by name (without ".dat"); records an issue saying where the files are expected.
    public static func torture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8]? {
        let path = tortureDirectory + "/" + name + ".dat"
        guard let b = read(path) else {
            Issue.record("RFC 4475 torture message not found at \(path): the tests expect the shared folder beside the repository (../shared/torture/rfc4475/, as CI lays it out)", sourceLocation: sourceLocation)
            return nil
        }
        return b
    }
    #endif
}

public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
