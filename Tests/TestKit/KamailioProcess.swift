import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Kamailio as registrar and proxy with digest authentication (Tests/Peers/kamailio.cfg) on
/// 127.0.0.1 and a free port, users from the test (PEERS.md).
public final class KamailioProcess: @unchecked Sendable {
    public static let executable = "/usr/sbin/kamailio"
    public let port: Int
    public let directory: String
    let process: ChildProcess

    /// Starts Kamailio; with no fixed port, a port taken between choosing it and Kamailio's
    /// bind (UDP and TCP both) is retried on another one.
    public static func start(users: [String: String], realm: String = "deskphone.test", address: String = "127.0.0.1",
                             port fixedPort: Int? = nil) async throws -> KamailioProcess {
        var attempt = 1
        while true {
            do {
                return try await startOnce(users: users, realm: realm, address: address, port: fixedPort)
            } catch let failure as TestFailure where fixedPort == nil && attempt < 3 && failure.description.contains("exited") {
                attempt += 1
            }
        }
    }

    static func startOnce(users: [String: String], realm: String, address: String,
                          port fixedPort: Int?) async throws -> KamailioProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("kamailio is not installed: run scripts/install-deps.sh test")
        }
        let dir = try TestSupport.temporaryDirectory("kamailio")
        let port = try fixedPort ?? Sockets.freeUDPAndTCPPort()
        let template = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Tests/Peers/kamailio.cfg"),
                                  encoding: .utf8)
        let users = users.sorted { $0.key < $1.key }.map { "$sht(users=>\($0.key)) = \"\($0.value)\";" }.joined(separator: "\n    ")
        let cfg = template.replacingOccurrences(of: "@LISTEN_ADDR@", with: address)
            .replacingOccurrences(of: "@PORT@", with: String(port))
            .replacingOccurrences(of: "@CTL_SOCKET@", with: dir + "/ctl.sock")
            .replacingOccurrences(of: "@REALM@", with: realm)
            .replacingOccurrences(of: "@USERS@", with: users)
        try cfg.write(toFile: dir + "/kamailio.cfg", atomically: true, encoding: .utf8)
        let p = try ChildProcess(executable, ["-DD", "-E", "-f", dir + "/kamailio.cfg", "-Y", dir, "-P", dir + "/kamailio.pid"],
                                 stderr: dir + "/kamailio.log")
        let k = KamailioProcess(port: port, directory: dir, process: p)
        let deadline = ContinuousClock.now + TestSupport.peerStartLimit
        while !Sockets.isUDPBound(port: port, address: address) || !FileManager.default.fileExists(atPath: dir + "/ctl.sock") {
            if let status = p.reap() {
                throw TestFailure("kamailio exited (\(status)): \(k.log)")
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("kamailio did not start: \(k.log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return k
    }

    init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    deinit { process.terminate() }

    public var log: String { (try? String(contentsOfFile: directory + "/kamailio.log", encoding: .utf8)) ?? "" }

    /// The users with a registered contact (`kamcmd ul.dump`).
    public func registeredUsers() async throws -> Set<String> {
        let text = try await dump()
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("AoR: ") ? String(t.dropFirst(5)) : nil
        })
    }

    /// `kamcmd ul.dump` as text: every binding with its Contact, Socket, Expires ….
    public func dump() async throws -> String {
        let out = directory + "/ul.\(UUID().uuidString)"
        let p = try ChildProcess("/usr/sbin/kamcmd", ["-s", "unix:" + directory + "/ctl.sock", "ul.dump"], stdout: out)
        _ = await p.wait(timeout: .seconds(10))
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    public func stop() { process.terminate() }
}
