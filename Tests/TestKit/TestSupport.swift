import Foundation

/// Helpers shared by the tests: temporary folders and the built executables.
public enum TestSupport {
    /// How long a peer (SIPp, Kamailio, in.tftpd, chronyd, dnsmasq) may take to start
    /// listening. The whole suite starts dozens of them at once on 2 cores; 20 s was seen to
    /// run out in a full run while a build ran beside it, and a peer that really fails to
    /// start usually exits, which is reported at once.
    public static let peerStartLimit: Duration = .seconds(60)

    /// The sanitizer the suite was built with, as `make test-asan` / `make test-tsan` say
    /// (`DESKPHONE_SANITIZER=address|thread`); nil in `make test`.
    public static let sanitizer: String? = ProcessInfo.processInfo.environment["DESKPHONE_SANITIZER"]

    /// The repository's root folder (from this file's place in it).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A new empty folder under the system temp folder, removed when the test process exits
    /// (a full run made about 5 GB of them: firmware slots hold copies of the daemon, the
    /// SIGKILL tests' recordings). `DESKPHONE_KEEP_TEMP=1` keeps them for a post-mortem.
    public static func temporaryDirectory(_ label: String = "deskphone") throws -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        TemporaryDirectories.shared.add(path)
        return path
    }

    /// The folder of the built products (the test binary lives beside deskphoned, deskphone
    /// and flash-writer, which `swift build --build-tests` builds).
    public static var productsDirectory: URL {
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                      ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        // swift-testing may run from inside the .xctest bundle folder on some layouts
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("deskphoned").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    public static func product(_ name: String) throws -> String {
        let p = productsDirectory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: p) else {
            throw TestFailure("\(name) is not built next to the tests; run `swift build --build-tests` (make test does)")
        }
        return p
    }

    public static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Polls `condition` every 100 ms until it holds; throws when `timeout` passes first.
public func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    // Once more at the deadline: on a loaded machine this task may not have run for most of
    // the timeout, and the condition may well hold by now.
    if try await condition() { return }
    throw TestFailure("timed out waiting until \(what)")
}

/// The folders `TestSupport.temporaryDirectory` made, removed at exit.
final class TemporaryDirectories: @unchecked Sendable {
    static let shared = TemporaryDirectories()
    private let lock = NSLock()
    private var paths: [String] = []
    private var registered = false

    func add(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        paths.append(path)
        if !registered, ProcessInfo.processInfo.environment["DESKPHONE_KEEP_TEMP"] != "1" {
            registered = true
            atexit { TemporaryDirectories.shared.removeAll() }
        }
    }

    func removeAll() {
        lock.lock()
        let all = paths
        paths.removeAll()
        lock.unlock()
        for p in all { try? FileManager.default.removeItem(atPath: p) }
    }
}
