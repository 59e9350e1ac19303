import Foundation
import NIOConcurrencyHelpers
import Synchronization
import TestKit
import Testing
@testable import SIPStack

#if canImport(Glibc)
import Glibc
#endif

/// A clock that moves only when the test says so (the resolver's injected `now`).
final class FakeClock: Sendable {
    private let time = NIOLockedValueBox<Duration>(.seconds(1000))
    var now: Duration { time.withLockedValue { $0 } }
    func advance(_ d: Duration) { time.withLockedValue { $0 += d } }
}

/// Hand-built DNS messages (RFC 1035 §4.1) for the TTL reader.
enum DNSMessage {
    static func name(_ n: String) -> [UInt8] {
        n.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }
    static func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func rr(_ owner: [UInt8], type: Int, ttl: UInt32, rdata: [UInt8]) -> [UInt8] {
        owner + u16(type) + u16(1) + u32(ttl) + u16(rdata.count) + rdata
    }
    static func message(rcode: Int = 0, question: String, type: Int, answers: [[UInt8]], authority: [[UInt8]] = []) -> [UInt8] {
        u16(0x1234) + u16(0x8180 | rcode) + u16(1) + u16(answers.count) + u16(authority.count) + u16(0)
            + name(question) + u16(type) + u16(1) + answers.flatMap { $0 } + authority.flatMap { $0 }
    }
    /// The question's name, by a pointer to offset 12 (compression, §4.1.4).
    static let pointerToQuestion: [UInt8] = [0xC0, 12]
    static func srv(_ priority: Int, _ weight: Int, _ port: Int, _ target: String) -> [UInt8] {
        u16(priority) + u16(weight) + u16(port) + name(target)
    }
    static func soa(minimum: UInt32) -> [UInt8] {
        name("ns.example.test") + name("admin.example.test") + u32(1) + u32(3600) + u32(600) + u32(86400) + u32(minimum)
    }
}

@Suite struct DNSAnswerTTLTests {
    @Test func theSmallestTTLOfTheAnswerSection() {
        let m = DNSMessage.message(question: "_sip._udp.example.test", type: 33, answers: [
            DNSMessage.rr(DNSMessage.pointerToQuestion, type: 33, ttl: 300, rdata: DNSMessage.srv(10, 60, 5070, "sip1.example.test")),
            DNSMessage.rr(DNSMessage.name("_sip._udp.example.test"), type: 33, ttl: 120, rdata: DNSMessage.srv(10, 40, 5072, "sip2.example.test")),
        ])
        #expect(DNSAnswerTTL.answer(m) == 120)
        #expect(DNSAnswerTTL.negative(m) == nil)
    }

    @Test func negativeTTLIsTheSmallerOfTheSOAsTTLAndMinimum() {
        let nx = DNSMessage.message(rcode: 3, question: "nothing.example.test", type: 1, answers: [],
                                    authority: [DNSMessage.rr(DNSMessage.name("example.test"), type: 6, ttl: 3600, rdata: DNSMessage.soa(minimum: 60))])
        #expect(DNSAnswerTTL.negative(nx) == 60)
        #expect(DNSAnswerTTL.answer(nx) == nil)
        let shortSOA = DNSMessage.message(rcode: 3, question: "nothing.example.test", type: 1, answers: [],
                                          authority: [DNSMessage.rr(DNSMessage.name("example.test"), type: 6, ttl: 15, rdata: DNSMessage.soa(minimum: 60))])
        #expect(DNSAnswerTTL.negative(shortSOA) == 15)
    }

    @Test func cutShortOrOddMessagesGiveNoTTL() {
        let m = DNSMessage.message(question: "a.example.test", type: 1, answers: [
            DNSMessage.rr(DNSMessage.pointerToQuestion, type: 1, ttl: 60, rdata: [127, 0, 0, 1]),
        ])
        #expect(DNSAnswerTTL.answer(m) == 60)
        for cut in [0, 5, 11, 20, m.count - 1] {
            #expect(DNSAnswerTTL.answer(Array(m.prefix(cut))) == nil, "cut at \(cut)")
        }
        // RFC 2181 §8: a TTL with the top bit set counts as zero.
        let huge = DNSMessage.message(question: "a.example.test", type: 1, answers: [
            DNSMessage.rr(DNSMessage.pointerToQuestion, type: 1, ttl: 0x8000_0001, rdata: [127, 0, 0, 1]),
        ])
        #expect(DNSAnswerTTL.answer(huge) == 0)
        // A label of the obsolete 0x40 type.
        var odd = m
        odd[12] = 0x41
        #expect(DNSAnswerTTL.answer(odd) == nil)
    }
}

/// The cache alone, on a fake clock.
@Suite struct DNSCacheTests {
    let positive = DNSMessage.message(question: "sip1.example.test", type: 1, answers: [
        DNSMessage.rr(DNSMessage.pointerToQuestion, type: 1, ttl: 60, rdata: [127, 0, 0, 11]),
    ])

    @Test func anAnswerLivesForItsTTLAndNoLonger() {
        var cache = DNSCache()
        let key = DNSCache.Key(name: "SIP1.example.test.", type: 1)
        cache.store(.success(positive), answer: positive, for: key, at: .seconds(100))
        #expect(cache.lookup(DNSCache.Key(name: "sip1.example.test", type: 1), at: .seconds(100)) == .success(positive))
        #expect(cache.lookup(key, at: .seconds(159)) == .success(positive))
        #expect(cache.lookup(key, at: .seconds(160)) == nil)
        #expect(cache.lookup(DNSCache.Key(name: "sip1.example.test", type: 33), at: .seconds(100)) == nil, "another type")
    }

    @Test func negativeAnswersForTheSOAMinimumOrTheShortDefault() {
        var cache = DNSCache()
        let key = DNSCache.Key(name: "nothing.example.test", type: 1)
        let withSOA = DNSMessage.message(rcode: 3, question: "nothing.example.test", type: 1, answers: [],
                                         authority: [DNSMessage.rr(DNSMessage.name("example.test"), type: 6, ttl: 3600, rdata: DNSMessage.soa(minimum: 45))])
        cache.store(.failure(.noRecords("A nothing")), answer: withSOA, for: key, at: .zero)
        #expect(cache.lookup(key, at: .seconds(44)) == .failure(.noRecords("A nothing")))
        #expect(cache.lookup(key, at: .seconds(45)) == nil)
        cache.store(.failure(.noRecords("A nothing")), answer: [], for: key, at: .seconds(100))
        #expect(cache.lookup(key, at: .seconds(100) + DNSCache.negativeDefault - .milliseconds(1)) != nil)
        #expect(cache.lookup(key, at: .seconds(100) + DNSCache.negativeDefault) == nil)
        // A huge SOA minimum is capped.
        let longSOA = DNSMessage.message(rcode: 3, question: "nothing.example.test", type: 1, answers: [],
                                         authority: [DNSMessage.rr(DNSMessage.name("example.test"), type: 6, ttl: 86400, rdata: DNSMessage.soa(minimum: 86400))])
        cache.store(.failure(.noRecords("A nothing")), answer: longSOA, for: key, at: .zero)
        #expect(cache.lookup(key, at: DNSCache.negativeCap) == nil)
    }

    @Test func timeOutsAndTTLZeroAreNotCached() {
        var cache = DNSCache()
        let key = DNSCache.Key(name: "sip1.example.test", type: 1)
        cache.store(.failure(.unreachable("timeout")), answer: [], for: key, at: .zero)
        #expect(cache.lookup(key, at: .zero) == nil)
        let zero = DNSMessage.message(question: "sip1.example.test", type: 1, answers: [
            DNSMessage.rr(DNSMessage.pointerToQuestion, type: 1, ttl: 0, rdata: [127, 0, 0, 11]),
        ])
        cache.store(.success(zero), answer: zero, for: key, at: .zero)
        #expect(cache.lookup(key, at: .zero) == nil)
        #expect(cache.live(at: .zero) == 0)
    }
}

/// A UDP forwarder between the resolver and dnsmasq that counts the queries on the wire, by
/// question name and type ("sip1.example.test A").
final class CountingDNSProxy: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let upstream: Int
    private let seen = NIOLockedValueBox<[String]>([])
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(upstream: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, let bound = Sockets.bind(fd, port: 0) else { throw TestFailure("proxy socket: \(errno)") }
        self.fd = fd
        port = bound
        self.upstream = upstream
        Thread.detachNewThread { [self] in loop() }
    }

    deinit { close(fd) }

    var queries: [String] { seen.withLockedValue { $0 } }
    func count(_ q: String) -> Int { queries.filter { $0 == q }.count }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
    }

    private func loop() {
        defer { finished.signal() }
        guard let out = try? UDPSocket() else { return }
        while !stopped.load(ordering: .relaxed) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &from) { fp in
                fp.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &len) }
            }
            guard n > 12 else { continue }
            let query = Array(buffer[0..<n])
            seen.withLockedValue { $0.append(Self.question(query)) }
            out.send(query, to: upstream)
            var reply: [UInt8]?
            var q = pollfd(fd: out.fd, events: Int16(POLLIN), revents: 0)
            if poll(&q, 1, 2000) > 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let m = recv(out.fd, &chunk, chunk.count, 0)
                if m > 0 { reply = Array(chunk[0..<m]) }
            }
            guard let reply else { continue }
            _ = reply.withUnsafeBytes { b in
                withUnsafePointer(to: &from) { fp in
                    fp.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, len) }
                }
            }
        }
    }

    static func question(_ m: [UInt8]) -> String {
        var labels: [String] = []
        var i = 12
        while i < m.count, m[i] != 0, i + 1 + Int(m[i]) <= m.count {
            labels.append(String(decoding: m[(i + 1)..<(i + 1 + Int(m[i]))], as: UTF8.self))
            i += 1 + Int(m[i])
        }
        let type = i + 3 <= m.count ? Int(m[i + 1]) << 8 | Int(m[i + 2]) : 0
        return labels.joined(separator: ".") + " " + DNSType.name(Int32(type))
    }
}

/// The resolver against a real dnsmasq (records with a 60 s TTL), on a fake clock, with the
/// queries counted on the wire.
@Suite(.serialized) struct DNSResolverCacheTests {
    static let records = [
        "local-ttl=60",
        "host-record=sip1.example.test,127.0.0.11",
        "srv-host=_sip._udp.example.test,sip1.example.test,5070,10,60",
    ]

    @Test func aSecondLookupWithinTheTTLSendsNoQuery() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let proxy = try CountingDNSProxy(upstream: dns.port)
        defer { proxy.stop() }
        let clock = FakeClock()
        let resolver = DNSResolver(servers: ["127.0.0.1:\(proxy.port)"], timeout: .milliseconds(500), tries: 2,
                                   now: { clock.now })
        let locator = ServerLocation(resolver: resolver)
        let first = try await locator.locate(host: "example.test", port: nil, transport: .udp)
        #expect(first.map(\.description) == ["UDP 127.0.0.11:5070 (sip1.example.test)"])
        #expect(proxy.count("_sip._udp.example.test SRV") == 1)
        #expect(proxy.count("sip1.example.test A") == 1)

        clock.advance(.seconds(59))
        #expect(try await locator.locate(host: "example.test", port: nil, transport: .udp) == first)
        #expect(proxy.queries.count == 2, "\(proxy.queries)")   // nothing new on the wire

        clock.advance(.seconds(2))   // 61 s: both records have expired
        #expect(try await locator.locate(host: "example.test", port: nil, transport: .udp) == first)
        #expect(proxy.count("_sip._udp.example.test SRV") == 2)
        #expect(proxy.count("sip1.example.test A") == 2)
        #expect(resolver.queriesSent == 4)
        #expect(resolver.channelsCreated == 1)
    }

    @Test func negativeAnswersAreCachedBriefly() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let proxy = try CountingDNSProxy(upstream: dns.port)
        defer { proxy.stop() }
        let clock = FakeClock()
        let resolver = DNSResolver(servers: ["127.0.0.1:\(proxy.port)"], timeout: .milliseconds(500), tries: 2,
                                   now: { clock.now })
        for _ in 0..<3 {
            await #expect(throws: DNSResolver.Failure.self) { try await resolver.a("nothing.example.test") }
        }
        #expect(proxy.count("nothing.example.test A") == 1)
        clock.advance(DNSCache.negativeDefault)
        await #expect(throws: DNSResolver.Failure.self) { try await resolver.a("nothing.example.test") }
        #expect(proxy.count("nothing.example.test A") == 2)
    }

    @Test func oneChannelForEveryQueryAndNewServersEmptyTheCache() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let proxy = try CountingDNSProxy(upstream: dns.port)
        defer { proxy.stop() }
        let clock = FakeClock()
        let resolver = DNSResolver(servers: ["127.0.0.1:\(dns.port)"], now: { clock.now })
        #expect(resolver.channelsCreated == 0, "made on the first query")
        // Concurrent queries share the channel.
        async let a = resolver.a("sip1.example.test")
        async let s = resolver.srv("_sip._udp.example.test")
        async let n = try? resolver.naptr("example.test")
        #expect(try await a == ["127.0.0.11"])
        #expect(try await s.map(\.port) == [5070])
        _ = await n
        #expect(resolver.cachedCount == 3)
        // Moved to the proxy: the cache is emptied, the channel kept, the query goes out.
        resolver.configure(servers: ["127.0.0.1:\(proxy.port)"])
        #expect(resolver.cachedCount == 0)
        #expect(try await resolver.a("sip1.example.test") == ["127.0.0.11"])
        #expect(proxy.count("sip1.example.test A") == 1)
        #expect(resolver.channelsCreated == 1)
        // The same servers again change nothing.
        resolver.configure(servers: ["127.0.0.1:\(proxy.port)"])
        #expect(try await resolver.a("sip1.example.test") == ["127.0.0.11"])
        #expect(proxy.count("sip1.example.test A") == 1)
    }
}
