import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// chronyd on 127.0.0.1:port as the independent NTP server (PEERS.md): `local stratum 8`,
/// no sources, never touching the host clock (`-x`).
public final class ChronyProcess: @unchecked Sendable {
    public static let path = "/usr/sbin/chronyd"
    public let port: Int
    let process: ChildProcess

    public init(port: Int, directory: String) async throws {
        guard access(Self.path, X_OK) == 0 else {
            throw TestFailure("chronyd is missing: run scripts/install-deps.sh test")
        }
        self.port = port
        let conf = "\(directory)/chrony.conf"
        try TestSupport.write("""
            port \(port)
            bindaddress 127.0.0.1
            allow 127.0.0.1
            local stratum 8
            cmdport 0
            pidfile \(directory)/chronyd.pid
            driftfile \(directory)/chrony.drift

            """, to: conf)
        process = try ChildProcess(Self.path, ["-d", "-x", "-f", conf], stdout: "\(directory)/chronyd.out",
                                   stderr: "\(directory)/chronyd.err")
        let deadline = ContinuousClock.now + TestSupport.peerStartLimit
        while !Sockets.isUDPBound(port: port) {
            if process.reap() != nil || ContinuousClock.now > deadline {
                process.terminate()
                throw TestFailure("chronyd did not bind port \(port); see \(directory)/chronyd.err")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    deinit { process.terminate() }

    public func stop() { process.terminate() }
}
