import Foundation
import Testing
@testable import HostNetwork

/// Three network namespaces this test creates and deletes: a client, a router and a server,
/// joined by veth pairs; all addresses (10.201.x.x) exist only inside them.
///
///     client 10.201.1.2 ── 10.201.1.1 router 10.201.2.1 ── 10.201.2.2 server
///
/// The server drops 10.201.9.0/24 (routed to it) into a blackhole: requests there are never answered.
/// The client allows ping sockets (net.ipv4.ping_group_range is per namespace), so the
/// SOCK_DGRAM path with IP_RECVERR is exercised there, which this host itself refuses.
final class ThreeNamespaces {
    let client = "dphn-client-\(getpid())"
    let router = "dphn-router-\(getpid())"
    let server = "dphn-server-\(getpid())"
    let ip: String

    init() throws {
        ip = try #require(ipCommand)
        do {
            for name in [client, router, server] {
                try run(["netns", "add", name])
                try run(["-n", name, "link", "set", "lo", "up"])
            }
            try run(["-n", client, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", router])
            try run(["-n", router, "link", "add", "veth2", "type", "veth", "peer", "name", "veth3", "netns", server])
            for (namespace, device, address) in [(client, "veth0", "10.201.1.2/24"), (router, "veth1", "10.201.1.1/24"),
                                                 (router, "veth2", "10.201.2.1/24"), (server, "veth3", "10.201.2.2/24")] {
                try run(["-n", namespace, "addr", "add", address, "dev", device])
                try run(["-n", namespace, "link", "set", device, "up"])
            }
            try run(["-n", client, "route", "add", "default", "via", "10.201.1.1"])
            try run(["-n", server, "route", "add", "default", "via", "10.201.2.1"])
            // The server, not the router, drops it: a blackhole route is looked up before the
            // TTL check, so a blackhole in the router would hide the router's time exceeded.
            try run(["-n", router, "route", "add", "10.201.9.0/24", "via", "10.201.2.2"])
            try run(["-n", server, "route", "add", "blackhole", "10.201.9.0/24"])
            try run(["netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            // Linux rate-limits ICMP errors to a host (a burst of 6, then one a second); the
            // test asks the router for more time-exceeded messages than that.
            try run(["netns", "exec", router, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"])
            try run(["netns", "exec", client, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    func remove() {
        for name in [client, router, server] { try? run(["netns", "del", name]) }
    }

    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HostNetworkError.invalidOption("ip \(arguments.joined(separator: " ")) failed")
        }
    }

    /// setns(2) is a GNU extension the Glibc module does not import; it is looked up at run time.
    typealias SetNS = @convention(c) (Int32, Int32) -> Int32

    /// Runs `body` on a new thread that has joined the client namespace (setns affects only
    /// the calling thread for network namespaces; the sockets it opens stay in the client).
    func inClient<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let path = "/run/netns/\(client)"
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0, let setns = dlsym(nil, "setns").map({ unsafeBitCast($0, to: SetNS.self) }),
                      setns(fd, 0x4000_0000 /* CLONE_NEWNET */) == 0 else {
                    continuation.resume(throwing: HostNetworkError.invalidOption("setns \(path): \(errno)"))
                    return
                }
                close(fd)
                continuation.resume(with: Result { try body() })
            }
            thread.start()
        }
    }
}

@Suite(.serialized) struct NamespaceTests {
    @Test func multiHopTracerouteAndTimeoutsThroughARouter() async throws {
        let namespaces = try ThreeNamespaces()
        defer { namespaces.remove() }
        let server = IPv4Address(10, 201, 2, 2)
        let router = IPv4Address(10, 201, 1, 1)

        for kind in [ICMPSocketKind.datagram, .raw] {
            // Ping across the router: TTL 64 less one hop.
            let ping = try await namespaces.inClient {
                var replies: [PingReply] = []
                let summary = try Ping(host: "10.201.2.2", options: PingOptions(count: 2, interval: .milliseconds(10), socketKind: kind))
                    .run { if case .reply(let r) = $0 { replies.append(r) } }
                return (summary, replies)
            }
            #expect(ping.0.received == 2, "\(kind)")
            #expect(ping.1.allSatisfy { $0.from == server && $0.ttl == 63 }, "\(kind)")

            // Traceroute: the router's time exceeded, then the server.
            let hops = try await namespaces.inClient {
                try Traceroute(host: "10.201.2.2", options: TracerouteOptions(socketKind: kind)).run { _ in }
            }
            #expect(hops.count == 2, "\(kind)")
            #expect(hops.first?.probes == [TracerouteProbe.Answer](repeating: .timeExceeded, count: 3).enumerated()
                .map { index, answer in TracerouteProbe(answer: answer, from: router, rtt: hops.first?.probes[index].rtt) }, "\(kind)")
            #expect(hops.last?.probes.allSatisfy { $0.answer == .reached && $0.from == server } == true, "\(kind)")

            // Nobody answers 10.201.9.1: every request times out.
            let start = ContinuousClock.now
            let silent = try await namespaces.inClient {
                var events: [PingEvent] = []
                let summary = try Ping(host: "10.201.9.1", options: PingOptions(
                    count: 2, timeout: .milliseconds(300), interval: .milliseconds(10), socketKind: kind)).run { events.append($0) }
                return (summary, events)
            }
            #expect(silent.0.sent == 2 && silent.0.received == 0 && silent.0.lossPercent == 100, "\(kind)")
            #expect(silent.1.contains(.timeout(sequence: 1)) && silent.1.contains(.timeout(sequence: 2)), "\(kind)")
            #expect(ContinuousClock.now - start < .seconds(15), "\(kind)")   // two 300 ms time-outs; a bound, not a benchmark

            // Traceroute into the blackhole: the router, then stars until maxHops.
            let lost = try await namespaces.inClient {
                var events: [TracerouteEvent] = []
                let hops = try Traceroute(host: "10.201.9.1", options: TracerouteOptions(
                    maxHops: 3, probesPerHop: 1, timeout: .milliseconds(200), socketKind: kind)).run { events.append($0) }
                return (hops, events)
            }
            #expect(lost.0.map { $0.probes.first?.from } == [router, nil, nil], "\(kind)")
            #expect(lost.1.last == .finished(reached: false), "\(kind)")
            #expect(lost.0.last?.text == " 3  *", "\(kind)")
        }
    }
}
