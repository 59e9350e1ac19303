import NIOConcurrencyHelpers
import TestKit
import Testing
@testable import SIPStack

/// RFC 3263 server location against a real dnsmasq on loopback.
@Suite(.serialized) struct ServerLocationTests {
    static let records = [
        "host-record=sip1.example.test,127.0.0.11",
        "host-record=sip2.example.test,127.0.0.12",
        "host-record=sip3.example.test,127.0.0.13",
        "host-record=plain.example.test,127.0.0.20",
        "host-record=multi.example.test,127.0.0.21",
        "host-record=multi.example.test,127.0.0.22",
        "srv-host=_sip._udp.example.test,sip1.example.test,5070,10,60",
        "srv-host=_sip._udp.example.test,sip2.example.test,5072,10,40",
        "srv-host=_sip._udp.example.test,sip3.example.test,5074,20,0",
        "srv-host=_sip._tcp.tcponly.example.test,sip2.example.test,5080,10,0",
        "naptr-record=naptr.example.test,10,50,s,SIP+D2T,,_sip._tcp.naptrtcp.example.test",
        "naptr-record=naptr.example.test,20,50,s,SIP+D2U,,_sip._udp.example.test",
        "srv-host=_sip._tcp.naptrtcp.example.test,sip3.example.test,5090,10,0",
    ]

    /// A sequence of "random" numbers, for deterministic weight picks.
    final class Sequence: Sendable {
        let values = NIOLockedValueBox<[Int]>([])
        init(_ v: [Int]) { values.withLockedValue { $0 = v } }
        func next(_ upper: Int) -> Int { values.withLockedValue { $0.isEmpty ? 0 : min(upper, $0.removeFirst()) } }
    }

    func locator(_ dns: DNSServerProcess, _ random: [Int] = []) -> ServerLocation {
        let seq = Sequence(random)
        return ServerLocation(resolver: DNSResolver(servers: [dns.address], timeout: .milliseconds(500), tries: 1),
                              random: { seq.next($0) })
    }

    @Test func srvPriorityThenWeight() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        // pick 70 of 100: running sums 40 (sip2, lighter first) then 100 (sip1) → sip1 first
        let first = try await locator(dns, [70, 0]).locate(host: "example.test", port: nil, transport: .udp)
        #expect(first.map(\.description) == [
            "UDP 127.0.0.11:5070 (sip1.example.test)",
            "UDP 127.0.0.12:5072 (sip2.example.test)",
            "UDP 127.0.0.13:5074 (sip3.example.test)",
        ])
        // pick 10: sip2 first; priority 20 always last
        let second = try await locator(dns, [10, 0]).locate(host: "example.test", port: nil, transport: .udp)
        #expect(second.map(\.port) == [5072, 5070, 5074])
    }

    @Test func weightsSplitTheLoadWithRealRandomness() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let loc = ServerLocation(resolver: DNSResolver(servers: [dns.address]))
        let records = try await loc.resolver.srv("_sip._udp.example.test")
        var firstSip1 = 0
        for _ in 0..<2000 where loc.order(records).first?.target == "sip1.example.test" { firstSip1 += 1 }
        #expect((1050...1350).contains(firstSip1), "sip1 (weight 60 of 100) came first \(firstSip1) times of 2000")
    }

    @Test func explicitPortMeansARecordsOnly() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let t = try await locator(dns).locate(host: "multi.example.test", port: 5099, transport: nil)
        #expect(Set(t.map(\.address)) == ["127.0.0.21", "127.0.0.22"])
        #expect(t.allSatisfy { $0.port == 5099 && $0.transport == .udp })
    }

    @Test func noSRVFallsBackToTheARecordOn5060() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let t = try await locator(dns).locate(host: "plain.example.test", port: nil, transport: nil)
        #expect(t == [ServerLocation.Target(transport: .udp, address: "127.0.0.20", port: 5060, host: "plain.example.test")])
    }

    @Test func naptrChoosesTheTransportByOrder() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let t = try await locator(dns).locate(host: "naptr.example.test", port: nil, transport: nil)
        #expect(t.first == ServerLocation.Target(transport: .tcp, address: "127.0.0.13", port: 5090, host: "sip3.example.test"))
    }

    @Test func tcpSRVWhenUDPHasNone() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        let t = try await locator(dns).locate(host: "tcponly.example.test", port: nil, transport: nil)
        #expect(t == [ServerLocation.Target(transport: .tcp, address: "127.0.0.12", port: 5080, host: "sip2.example.test")])
    }

    @Test func ipLiteralsNeedNoDNS() async throws {
        let loc = ServerLocation(resolver: DNSResolver(servers: ["127.0.0.1:1"]))
        #expect(try await loc.locate(host: "192.0.2.7", port: nil, transport: nil)
                == [ServerLocation.Target(transport: .udp, address: "192.0.2.7", port: 5060, host: "192.0.2.7")])
        #expect(try await loc.locate(host: "[::1]", port: 5070, transport: .tcp).first?.address == "::1")
    }

    @Test func unknownNamesAndDeadServersAreErrors() async throws {
        let dns = try await DNSServerProcess.start(records: Self.records)
        await #expect(throws: DNSResolver.Failure.self) {
            try await locator(dns).locate(host: "nothing.example.test", port: nil, transport: nil)
        }
        let deadPort = try Sockets.freeUDPPort()
        let dead = DNSResolver(servers: ["127.0.0.1:\(deadPort)"], timeout: .milliseconds(300), tries: 1)
        let start = ContinuousClock.now
        do {
            _ = try await dead.a("plain.example.test")
            Issue.record("answered")
        } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
        }
        #expect(ContinuousClock.now - start < .seconds(15))   // a bound on the time-out, not a benchmark
    }
}
