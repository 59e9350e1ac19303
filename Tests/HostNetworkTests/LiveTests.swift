import NIOConcurrencyHelpers
import Foundation
import Testing
@testable import HostNetwork

/// Runs a program and returns its standard output (test helper; `ip` lives in /usr/sbin or /sbin).
func output(of path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

let ipCommand = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Fast pings for tests: no pacing second between requests.
let quick = PingOptions(count: 3, size: 56, timeout: .seconds(2), interval: .milliseconds(10))

@Suite struct NetworkFactsLiveTests {
    @Test func matchesIpAddr() throws {
        let ip = try #require(ipCommand)
        let facts = NetworkFacts.read()
        // `ip -4 -o addr show dev IF`: "4: eth0    inet 192.0.2.2/24 brd … scope global eth0 …"
        let text = try output(of: ip, ["-4", "-o", "addr", "show", "dev", facts.interface])
        let words = text.split(whereSeparator: \.isWhitespace)
        let cidr = try #require(words.firstIndex(of: "inet").map { words[$0 + 1] })
        let parts = cidr.split(separator: "/")
        #expect(facts.ipv4Address?.description == String(parts[0]))
        #expect(facts.subnetMask?.prefixLength == Int(parts[1]))
        #expect(facts.mtu ?? 0 > 0)
        #expect(facts.counters != nil)
        #expect(facts.lines.first == "Interface: \(facts.interface)")

        // The default route's gateway, as `ip route` shows it.
        let routes = try output(of: ip, ["-4", "route", "show", "default"])
        let gateways = routes.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let w = line.split(separator: " ")
            return w.firstIndex(of: "via").map { String(w[$0 + 1]) }
        }
        #expect(Set(facts.defaultRouters.map(\.description)) == Set(gateways))
        if let route = routes.split(separator: " ").firstIndex(of: "dev").map({ routes.split(separator: " ")[$0 + 1] }) {
            #expect(facts.interface == String(route))
        }
    }

    @Test func loopbackFactsAndLinkUnknown() {
        let facts = NetworkFacts.read(interface: "lo")
        #expect(facts.ipv4Address == IPv4Address(127, 0, 0, 1))
        #expect(facts.subnetMask == IPv4Address(255, 0, 0, 0))
        #expect(facts.macAddress == "00:00:00:00:00:00")
        // lo answers EINVAL for speed: reported as unknown, not as an error.
        #expect(facts.link.speed == nil)
        #expect(facts.lines.contains { $0.hasPrefix("Speed: unknown") })
    }

    @Test func unknownInterfaceReadsAsUnknown() {
        let facts = NetworkFacts.read(interface: "nosuchif0")
        #expect(facts.ipv4Address == nil && facts.counters == nil && facts.mtu == nil)
        #expect(facts.lines.contains("IP Address: unknown"))
    }

    @Test func loopbackCountersIncreaseWithTraffic() throws {
        let before = try #require(NetworkFacts.read(interface: "lo").counters)
        try Ping(host: "127.0.0.1", options: quick).run { _ in }
        let after = try #require(NetworkFacts.read(interface: "lo").counters)
        #expect(after.rxPackets >= before.rxPackets + 6)  // 3 requests + 3 replies, both received on lo
        #expect(after.txPackets >= before.txPackets + 6)
        #expect(after.rxBytes > before.rxBytes && after.txBytes > before.txBytes)
    }
}

@Suite struct PingLiveTests {
    @Test func loopbackAnswersThree() throws {
        var events: [PingEvent] = []
        let summary = try Ping(host: "127.0.0.1", options: quick).run { events.append($0) }
        #expect(summary.sent == 3 && summary.received == 3 && summary.lossPercent == 0)
        #expect((summary.minimum ?? .zero) > .zero)
        #expect(events.count == 5)
        #expect(events.first == .started(host: "127.0.0.1", address: IPv4Address(127, 0, 0, 1), size: 56))
        let replies = events.compactMap { if case .reply(let r) = $0 { r } else { nil } }
        #expect(replies.map(\.sequence) == [1, 2, 3])
        #expect(replies.allSatisfy { $0.bytes == 64 && $0.from == IPv4Address(127, 0, 0, 1) && $0.ttl == 64 })
        #expect(events.last == .finished(summary))
    }

    @Test func localhostByName() throws {
        let summary = try Ping(host: "localhost", options: PingOptions(count: 1, interval: .zero)).run { _ in }
        #expect(summary.received == 1)
    }

    @Test func largestSizeOnLoopback() throws {
        var reply: PingReply?
        try Ping(host: "127.0.0.1", options: PingOptions(count: 1, size: 1480)).run {
            if case .reply(let r) = $0 { reply = r }
        }
        #expect(reply?.bytes == 1488)
    }

    @Test func streamDeliversEachLine() async throws {
        var lines: [String] = []
        for try await event in try Ping(host: "127.0.0.1", options: quick).events() { lines.append(event.text) }
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time="))
        #expect(lines[4].hasPrefix("3 packets transmitted, 3 received, 0% packet loss"))
    }

    @Test func cancellingTheConsumerStopsBetweenProbes() async throws {
        // 100 requests a second apart would take 99 s; cancelling after the first reply ends it.
        let ping = try Ping(host: "127.0.0.1", options: PingOptions(count: 100, interval: .seconds(1)))
        let start = ContinuousClock.now
        let seen = NIOLockedValueBox(0)
        let task = Task {
            var replies = 0
            for try await event in ping.events() {
                if case .reply = event { replies += 1; seen.withLockedValue { $0 = replies } }
            }
            return replies
        }
        // cancel once the first reply is in (however loaded the machine), well before the second
        while seen.withLockedValue({ $0 }) == 0, ContinuousClock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let firstSeen = ContinuousClock.now
        task.cancel()
        let replies = try await task.value
        // One reply, or on a loaded machine one more per second this loop took to notice the
        // first (a probe a second); never the 100 a run to the end would give.
        let late = Int(((firstSeen - start) / .seconds(1)).rounded(.up))
        #expect(replies >= 1 && replies <= 1 + late, "\(replies) replies, first noticed after \(firstSeen - start)")
        // far below the 99 s a run to the end would take (a bound, not a timing target)
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test func cancelledRunStillSummarises() throws {
        var replies = 0
        let summary = try Ping(host: "127.0.0.1", options: PingOptions(count: 10, interval: .milliseconds(10)))
            .run(isCancelled: { replies >= 2 }) { if case .reply = $0 { replies += 1 } }
        #expect(summary.sent == 2 && summary.received == 2)
    }

    @Test func sizeOutsideTheGuidesRangeIsRejected() {
        for size in [0, 1481] {
            #expect {
                try Ping(host: "127.0.0.1", options: PingOptions(size: size))
            } throws: { error in
                "\(error)" == "invalid size \(size): must be 1–1480 bytes"
            }
        }
        #expect(throws: HostNetworkError.self) { try Ping(host: "127.0.0.1", options: PingOptions(count: 0)) }
    }

    @Test func unresolvableHostSaysSo() {
        // A 64-character label is not a valid DNS name (RFC 1035 §2.3.4): getaddrinfo fails
        // before any query is sent, so no traffic leaves the host.
        let host = String(repeating: "a", count: 64) + ".invalid"
        #expect {
            try Ping(host: host, options: quick).run { _ in }
        } throws: { error in
            guard case HostNetworkError.unresolvable(let name, let reason) = error else { return false }
            return name == host && !reason.isEmpty && "\(error)".hasPrefix("cannot resolve \(host): ")
        }
    }

    @Test func pingSocketRefusalExplainsWhy() throws {
        // This host's net.ipv4.ping_group_range decides whether a ping socket opens.
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8)) ?? ""
        let bounds = range.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        let gid = Int(getgid())
        let allowed = bounds.count == 2 && bounds[0] <= gid && gid <= bounds[1]
        do {
            _ = try ICMPSocket(kind: .datagram)
            #expect(allowed)
        } catch {
            #expect(!allowed)
            #expect("\(error)".contains("net.ipv4.ping_group_range"))
            #expect("\(error)".hasPrefix("cannot open an ICMP socket: ping socket (SOCK_DGRAM, IPPROTO_ICMP): "))
        }
        #expect(ICMPSocket.explain(.raw, errno: EPERM)
                == "raw socket (SOCK_RAW, IPPROTO_ICMP): Operation not permitted; needs CAP_NET_RAW (or root)")
    }
}

@Suite struct TracerouteLiveTests {
    @Test func loopbackIsOneHop() throws {
        var events: [TracerouteEvent] = []
        let hops = try Traceroute(host: "127.0.0.1").run { events.append($0) }
        #expect(hops.count == 1)
        #expect(hops.first?.probes.count == 3)
        #expect(hops.first?.probes.allSatisfy { $0.answer == .reached && $0.from == IPv4Address(127, 0, 0, 1) } == true)
        #expect(events.last == .finished(reached: true))
        #expect(events.count == 3)
    }

    @Test func optionsAreChecked() {
        #expect(throws: HostNetworkError.self) { try Traceroute(host: "127.0.0.1", options: TracerouteOptions(maxHops: 0)) }
        #expect(throws: HostNetworkError.self) { try Traceroute(host: "127.0.0.1", options: TracerouteOptions(size: 1481)) }
    }
}
