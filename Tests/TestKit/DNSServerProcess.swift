import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// dnsmasq serving test records on 127.0.0.1 and a free high port (PEERS.md): names under
/// `example.test` only, nothing forwarded.
public final class DNSServerProcess: @unchecked Sendable {
    public static let executable = "/usr/sbin/dnsmasq"
    public let port: Int
    let process: ChildProcess

    /// `records` are dnsmasq options without the leading dashes, e.g.
    /// `host-record=sip1.example.test,127.0.0.1` or `srv-host=_sip._udp.example.test,sip1.example.test,5060,10,60`.
    public static func start(records: [String]) async throws -> DNSServerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("dnsmasq is not installed (\(executable) missing): run scripts/install-deps.sh test")
        }
        let port = try Sockets.freeUDPPort()
        let dir = try TestSupport.temporaryDirectory("dnsmasq")
        let args = ["-k", "--conf-file=/dev/null", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--local=/example.test/", "--pid-file=", "--user=root",
                    "--log-facility=\(dir)/dnsmasq.log"] + records.map { "--" + $0 }
        let p = try ChildProcess(executable, args, stderr: dir + "/stderr")
        let server = DNSServerProcess(port: port, process: p)
        let deadline = ContinuousClock.now + TestSupport.peerStartLimit
        while !Sockets.isUDPBound(port: port) {
            if let status = p.reap() {
                throw TestFailure("dnsmasq exited (\(status)): \((try? String(contentsOfFile: dir + "/stderr", encoding: .utf8)) ?? "")")
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("dnsmasq did not bind 127.0.0.1:\(port)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return server
    }

    init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    deinit { process.terminate() }

    public var address: String { "127.0.0.1:\(port)" }

    public func stop() { process.terminate() }
}
