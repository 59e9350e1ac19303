import CAres
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// DNS queries through c-ares, to the servers the phone is configured with.
///
/// Each query runs on its own c-ares channel, driven by `ares_getsock` + `poll` +
/// `ares_process_fd` on a background thread, so nothing blocks the phone's event loop.
/// Queries are rare (at registration and failover), so a channel per query is cheap enough.
public struct DNSResolver: Sendable {
    /// `host` or `host:port` of each server, in order; empty: the host's /etc/resolv.conf.
    public let servers: [String]
    public let timeout: Duration
    public let tries: Int

    public init(servers: [String] = [], timeout: Duration = .seconds(2), tries: Int = 2) {
        self.servers = servers
        self.timeout = timeout
        self.tries = tries
    }

    public struct SRVRecord: Sendable, Equatable {
        public let target: String
        public let port: Int
        public let priority: Int
        public let weight: Int
    }

    public struct NAPTRRecord: Sendable, Equatable {
        public let order: Int
        public let preference: Int
        public let flags: String
        public let service: String
        public let replacement: String
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The name has no records of that type (NXDOMAIN or NODATA).
        case noRecords(String)
        /// No server answered in time, or every server refused.
        case unreachable(String)
        case failed(String)

        public var description: String {
            switch self { case .noRecords(let s), .unreachable(let s), .failed(let s): return s }
        }
    }

    public func a(_ name: String) async throws(Failure) -> [String] {
        let answer = try await query(name, type: 1)
        var addrs = [ares_addrttl](repeating: ares_addrttl(), count: 16)
        var count: Int32 = 16
        var host: UnsafeMutablePointer<hostent>?
        let rc = answer.withUnsafeBufferPointer { b in
            ares_parse_a_reply(b.baseAddress, Int32(b.count), &host, &addrs, &count)
        }
        if let host { ares_free_hostent(host) }
        guard rc == ARES_SUCCESS else { throw Self.failure(rc, name, "A") }
        return addrs.prefix(Int(count)).map { a in
            var addr = a.ipaddr
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &addr, &text, socklen_t(INET_ADDRSTRLEN))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public func srv(_ name: String) async throws(Failure) -> [SRVRecord] {
        let answer = try await query(name, type: 33)
        var reply: UnsafeMutablePointer<ares_srv_reply>?
        let rc = answer.withUnsafeBufferPointer { ares_parse_srv_reply($0.baseAddress, Int32($0.count), &reply) }
        defer { if let reply { ares_free_data(reply) } }
        guard rc == ARES_SUCCESS else { throw Self.failure(rc, name, "SRV") }
        var out: [SRVRecord] = []
        var p = reply
        while let r = p?.pointee {
            out.append(SRVRecord(target: r.host.map { String(cString: $0) } ?? "", port: Int(r.port),
                                 priority: Int(r.priority), weight: Int(r.weight)))
            p = r.next
        }
        return out
    }

    public func naptr(_ name: String) async throws(Failure) -> [NAPTRRecord] {
        let answer = try await query(name, type: 35)
        var reply: UnsafeMutablePointer<ares_naptr_reply>?
        let rc = answer.withUnsafeBufferPointer { ares_parse_naptr_reply($0.baseAddress, Int32($0.count), &reply) }
        defer { if let reply { ares_free_data(reply) } }
        guard rc == ARES_SUCCESS else { throw Self.failure(rc, name, "NAPTR") }
        var out: [NAPTRRecord] = []
        var p = reply
        while let r = p?.pointee {
            func text(_ u: UnsafeMutablePointer<UInt8>?) -> String { u.map { String(cString: $0) } ?? "" }
            out.append(NAPTRRecord(order: Int(r.order), preference: Int(r.preference), flags: text(r.flags),
                                   service: text(r.service), replacement: r.replacement.map { String(cString: $0) } ?? ""))
            p = r.next
        }
        return out
    }

    static func failure(_ status: Int32, _ name: String, _ type: String) -> Failure {
        let text = "\(type) \(name): \(String(cString: ares_strerror(status)))"
        switch status {
        case ARES_ENODATA, ARES_ENOTFOUND: return .noRecords(text)
        case ARES_ETIMEOUT, ARES_ECONNREFUSED: return .unreachable(text)
        default: return .failed(text)
        }
    }

    /// The raw answer to one query, from a background thread.
    func query(_ name: String, type: Int32) async throws(Failure) -> [UInt8] {
        let job = QueryJob(name: name, type: type, servers: servers, timeout: timeout, tries: tries)
        let result: Result<[UInt8], Failure> = await withCheckedContinuation { continuation in
            job.start { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}

/// One query on its own c-ares channel and thread.
final class QueryJob: @unchecked Sendable {
    let name: String, type: Int32, servers: [String], timeout: Duration, tries: Int
    private var done: ((Result<[UInt8], DNSResolver.Failure>) -> Void)?
    private var result: Result<[UInt8], DNSResolver.Failure>?

    init(name: String, type: Int32, servers: [String], timeout: Duration, tries: Int) {
        self.name = name
        self.type = type
        self.servers = servers
        self.timeout = timeout
        self.tries = tries
    }

    static let libraryInit: Bool = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS

    func start(_ completion: @escaping (Result<[UInt8], DNSResolver.Failure>) -> Void) {
        done = completion
        var tid = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<QueryJob>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, box)
        if rc == 0 {
            pthread_detach(tid)
        } else {
            Unmanaged<QueryJob>.fromOpaque(box).release()
            completion(.failure(.failed("cannot start a DNS thread: \(String(cString: strerror(rc)))")))
        }
    }

    func run() {
        let outcome = resolve()
        done?(outcome)
        done = nil
    }

    private func resolve() -> Result<[UInt8], DNSResolver.Failure> {
        guard Self.libraryInit else { return .failure(.failed("c-ares did not initialise")) }
        var channel: ares_channel?
        var options = ares_options()
        options.timeout = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        options.tries = Int32(tries)
        guard ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) == ARES_SUCCESS, let channel else {
            return .failure(.failed("c-ares channel did not initialise"))
        }
        defer { ares_destroy(channel) }
        if !servers.isEmpty {
            let csv = servers.joined(separator: ",")
            let rc = ares_set_servers_ports_csv(channel, csv)
            guard rc == ARES_SUCCESS else {
                return .failure(.failed("DNS servers '\(csv)': \(String(cString: ares_strerror(rc)))"))
            }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        ares_query(channel, name, 1 /* C_IN */, type, { arg, status, _, abuf, alen in
            guard let arg else { return }
            let job = Unmanaged<QueryJob>.fromOpaque(arg).takeUnretainedValue()
            if status == ARES_SUCCESS, let abuf {
                job.result = .success(Array(UnsafeBufferPointer(start: abuf, count: Int(alen))))
            } else {
                job.result = .failure(DNSResolver.failure(status, job.name, "query"))
            }
        }, me)
        // Drive the channel until the callback has run.
        while result == nil {
            var socks = [ares_socket_t](repeating: -1, count: Int(ARES_GETSOCK_MAXNUM))
            let bits = ares_getsock(channel, &socks, Int32(ARES_GETSOCK_MAXNUM))
            var fds: [pollfd] = []
            for i in 0..<Int(ARES_GETSOCK_MAXNUM) {
                let r = cares_readable(bits, Int32(i)) != 0, w = cares_writable(bits, Int32(i)) != 0
                guard r || w else { continue }
                fds.append(pollfd(fd: socks[i], events: Int16((r ? POLLIN : 0) | (w ? POLLOUT : 0)), revents: 0))
            }
            var tv = timeval()
            let next = ares_timeout(channel, nil, &tv)
            let ms = next.map { Int32($0.pointee.tv_sec * 1000 + $0.pointee.tv_usec / 1000) } ?? 100
            let n = poll(&fds, nfds_t(fds.count), max(1, ms))
            if n <= 0 {
                ares_process_fd(channel, -1, -1)   // time-outs
                continue
            }
            for f in fds where f.revents != 0 {
                let readable = f.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
                let writable = f.revents & Int16(POLLOUT) != 0
                ares_process_fd(channel, readable ? f.fd : -1, writable ? f.fd : -1)
            }
        }
        return result ?? .failure(.failed("no answer"))
    }
}
