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
        // dnsmasq listens on UDP and TCP: a port free for both, and another try when something
        // took it between our check and dnsmasq's bind (a CI run saw "Address already in use").
        var attempt = 0
        while true {
            attempt += 1
            let port = try Sockets.freeUDPAndTCPPort()
            let dir = try TestSupport.temporaryDirectory("dnsmasq")
            let args = ["-k", "--conf-file=/dev/null", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
                        "--no-resolv", "--no-hosts", "--local=/example.test/", "--pid-file=", "--user=root",
                        "--log-facility=\(dir)/dnsmasq.log"] + records.map { "--" + $0 }
            let p = try ChildProcess(executable, args, stderr: dir + "/stderr")
            let server = DNSServerProcess(port: port, process: p)
            let deadline = ContinuousClock.now + TestSupport.peerStartLimit
            var exited: (Int32, String)?
            while !Sockets.isUDPBound(port: port) {
                if let status = p.reap() {
                    exited = (status, (try? String(contentsOfFile: dir + "/stderr", encoding: .utf8)) ?? "")
                    break
                }
                guard ContinuousClock.now < deadline else { throw TestFailure("dnsmasq did not bind 127.0.0.1:\(port)") }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard let (status, errors) = exited else { return server }
            guard errors.contains("Address already in use"), attempt < 5 else {
                throw TestFailure("dnsmasq exited (\(status)): \(errors)")
            }
        }
    }

    init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    deinit { process.terminate() }

    public var address: String { "127.0.0.1:\(port)" }

    public func stop() { process.terminate() }
}
