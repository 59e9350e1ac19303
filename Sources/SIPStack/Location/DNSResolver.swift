import CAres
import Diagnostics
import Logging
import NIOCore
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// DNS queries through c-ares, to the servers the phone is configured with, with the answers
/// cached for their time to live.
///
/// The phone has one resolver (`PhoneSIP` makes it; the registrations and the calls share
/// it), and a resolver has one c-ares channel (`DNSChannel`), driven on a thread of its own
/// while queries are in flight, so nothing blocks the phone's event loop and an idle phone
/// has no DNS thread at all.
///
/// Answers are cached by name and type (`DNSCache`) until their TTL runs out, read from the
/// raw answer (`DNSAnswerTTL`); NXDOMAIN and NODATA are cached as RFC 2308 says, for the
/// SOA's negative TTL or a short default. Time is the injected `now` (the loop's uptime clock
/// in the phone, a manual clock in tests).
public final class DNSResolver: Sendable {
    public let timeout: Duration
    public let tries: Int
    let now: @Sendable () -> Duration
    let channel: DNSChannel
    private let cache = NIOLockedValueBox(DNSCache())
    private static let log = Logger.category(.dns)

    /// The clock `LoopTimers` reads (NIO's uptime), usable off the loop.
    public static let uptime: @Sendable () -> Duration = { .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds)) }

    /// `servers`: `host` or `host:port` of each server, in order; empty: the host's /etc/resolv.conf.
    public init(servers: [String] = [], timeout: Duration = .seconds(2), tries: Int = 2,
                now: @escaping @Sendable () -> Duration = DNSResolver.uptime) {
        self.timeout = timeout
        self.tries = tries
        self.now = now
        channel = DNSChannel(servers: servers, timeout: timeout, tries: tries)
    }

    public var servers: [String] { channel.servers }

    /// New servers (after a boot); the cache is emptied when they change, since its answers
    /// came from the old ones.
    public func configure(servers: [String]) {
        if channel.setServers(servers) { cache.withLockedValue { $0.removeAll() } }
    }

    /// The c-ares channels this resolver has made: one from its first query on (two only
    /// after servers went back to resolv.conf, see `DNSChannel`).
    public var channelsCreated: Int { channel.counters.created }
    /// The queries handed to c-ares (cache misses).
    public var queriesSent: Int { channel.counters.sent }
    /// Cached answers not yet expired.
    public var cachedCount: Int { let t = now(); return cache.withLockedValue { $0.live(at: t) } }

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
        let answer = try await answer(name, type: DNSType.a)
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
        let answer = try await answer(name, type: DNSType.srv)
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
        let answer = try await answer(name, type: DNSType.naptr)
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

    /// The raw answer for `name` and `type`: from the cache while it lives, else from the
    /// servers (and then cached).
    func answer(_ name: String, type: Int32) async throws(Failure) -> [UInt8] {
        let key = DNSCache.Key(name: name, type: type)
        let asked = now()
        if let hit = cache.withLockedValue({ $0.entry(key, at: asked) }) {
            Self.log.debug("\(DNSType.name(type)) \(name): from the cache, \((hit.expires - asked).components.seconds) s left")
            return try hit.result.get()
        }
        let reply = await channel.query(name, type: type)
        let result: Result<[UInt8], Failure> = reply.status == ARES_SUCCESS
            ? .success(reply.answer) : .failure(Self.failure(reply.status, name, DNSType.name(type)))
        let at = now()
        let kept = cache.withLockedValue { $0.store(result, answer: reply.answer, for: key, at: at) }
        let outcome = reply.status == ARES_SUCCESS ? "answered" : String(cString: ares_strerror(reply.status))
        Self.log.debug("\(DNSType.name(type)) \(name): \(outcome), \(kept.map { "cached for \($0.components.seconds) s" } ?? "not cached")")
        return try result.get()
    }
}

/// The query types the phone asks (RFC 1035, RFC 2782, RFC 3403).
enum DNSType {
    static let a: Int32 = 1
    static let srv: Int32 = 33
    static let naptr: Int32 = 35

    static func name(_ type: Int32) -> String {
        switch type { case a: return "A"; case srv: return "SRV"; case naptr: return "NAPTR"; default: return "type \(type)" }
    }
}
