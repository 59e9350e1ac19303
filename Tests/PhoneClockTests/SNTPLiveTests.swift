import Glibc
import NIOCore
import NIOPosix
import Testing
import TestKit

@testable import PhoneClock

/// chronyd (TestKit's), ready once it also answers an SNTP request.
final class Chrony {
    let server: ChronyProcess

    init(port: Int, directory: String) async throws {
        server = try await ChronyProcess(port: port, directory: directory)
        let probe = try UDPSocket()
        let deadline = ContinuousClock.now + .seconds(20)   // chronyd can be slow to answer on a loaded machine
        while ContinuousClock.now < deadline {
            let t1 = NTPTimestamp(unixNanoseconds: PhoneClock.systemRealtime())
            probe.send(SNTPPacket.request(transmit: t1).encode(), to: port)
            if let reply = await probe.receiveFrom(timeout: .milliseconds(100)), let p = try? SNTPPacket(decoding: reply.bytes),
               p.check(.reply(to: t1)) == nil {
                return
            }
        }
        server.stop()
        throw TestFailure("chronyd did not answer on port \(port); see \(directory)/chronyd.err")
    }

    func stop() { server.stop() }
}

func eventually(_ timeout: Duration, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// The service on real sockets against chrony and fake servers, with short intervals.
@Suite(.serialized) struct SNTPLiveTests {
    static func fast(_ mode: SNTPMode, server: SNTPEndpoint?) -> SNTPConfiguration {
        SNTPConfiguration(mode: mode, server: server, pollInterval: .seconds(1),
                          retryInterval: .milliseconds(200), maxRetryInterval: .milliseconds(800))
    }

    @Test func syncsWithChronyKeepsTimeWhileItIsGoneAndResyncs() async throws {
        let dir = try TestSupport.temporaryDirectory("sntp-chrony")
        let port = try Sockets.freeUDPPort()
        var chrony: Chrony? = try await Chrony(port: port, directory: dir)
        defer { chrony?.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clock = PhoneClock()
        let service = SNTPService(group: group, configuration: Self.fast(.unicast, server: SNTPEndpoint(host: "127.0.0.1", port: port)),
                                  clock: clock)
        try await service.start()

        #expect(await eventually(.seconds(5)) { service.status().lastSample != nil })
        let first = try #require(service.status().lastSample)
        #expect(first.stratum == 8)
        #expect(first.server == SNTPEndpoint(host: "127.0.0.1", port: port))
        #expect(abs(first.measurement.offsetNanoseconds) < 50_000_000)
        #expect(first.measurement.delayNanoseconds >= 0 && first.measurement.delayNanoseconds < 100_000_000)
        #expect(clock.isSynchronised)
        #expect(abs(clock.now().utcNanoseconds - PhoneClock.systemRealtime()) < 100_000_000)

        // chrony gone: the phone keeps its time and retries with growing intervals.
        chrony?.stop()
        chrony = nil
        let accepted = service.status().counters.repliesAccepted
        #expect(await eventually(.seconds(6)) { service.status().counters.timeouts >= 3 })
        let silent = service.status()
        #expect(silent.counters.repliesAccepted == accepted)
        #expect(silent.retryIntervalNanoseconds == 800_000_000)
        #expect(clock.now().synchronised)
        #expect(abs(clock.now().utcNanoseconds - PhoneClock.systemRealtime()) < 100_000_000)

        // chrony back on the same port: resync.
        chrony = try await Chrony(port: port, directory: dir)
        #expect(await eventually(.seconds(5)) { service.status().counters.repliesAccepted > accepted })
        #expect(service.status().lastSample?.stratum == 8)
        #expect(service.status().retryIntervalNanoseconds == 200_000_000)
        await service.stop()
        try await group.shutdownGracefully()
    }

    @Test func anycastAdoptsChronyAsTheFirstResponder() async throws {
        let dir = try TestSupport.temporaryDirectory("sntp-chrony")
        let port = try Sockets.freeUDPPort()
        let chrony = try await Chrony(port: port, directory: dir)
        defer { chrony.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = Self.fast(.anycast, server: SNTPEndpoint(host: "127.0.0.9", port: 9))
        config.broadcast = SNTPEndpoint(host: "127.0.0.1", port: port)   // the "network" is loopback
        let service = SNTPService(group: group, configuration: config, clock: PhoneClock())
        try await service.start()
        #expect(await eventually(.seconds(5)) { service.status().counters.repliesAccepted >= 2 })
        let status = service.status()
        #expect(status.serverInUse == SNTPEndpoint(host: "127.0.0.1", port: port))
        let chronyEndpoint = SNTPEndpoint(host: "127.0.0.1", port: port)
        #expect(status.phase == .polling(target: chronyEndpoint) || status.phase == .requesting(target: chronyEndpoint))
        #expect(status.lastSample?.stratum == 8)
        await service.stop()
        try await group.shutdownGracefully()
    }

    @Test func directedBroadcastAsksChronyOnceThenListens() async throws {
        let dir = try TestSupport.temporaryDirectory("sntp-chrony")
        let port = try Sockets.freeUDPPort()
        let chrony = try await Chrony(port: port, directory: dir)
        defer { chrony.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = Self.fast(.directedbroadcast, server: SNTPEndpoint(host: "127.0.0.1", port: port))
        config.listenPort = try Sockets.freeUDPPort()
        let service = SNTPService(group: group, configuration: config, clock: PhoneClock())
        try await service.start()
        #expect(await eventually(.seconds(5)) { service.status().lastSample != nil })
        #expect(service.status().phase == .listening)
        #expect(service.status().lastSample?.stratum == 8)
        // While listening nothing more is sent (polls are 1 s; silence fallback is 3 s).
        try await Task.sleep(for: .milliseconds(1500))
        #expect(service.status().counters.requestsSent == 1)
        // A broadcast from the server's host is taken.
        let broadcaster = try UDPSocket()
        let t3 = NTPTimestamp(unixNanoseconds: PhoneClock.systemRealtime())
        broadcaster.send(SNTPPacket(mode: .broadcast, stratum: 8, transmitTimestamp: t3).encode(), to: config.listenPort)
        #expect(await eventually(.seconds(2)) { service.status().counters.broadcastsAccepted == 1 })
        await service.stop()
        try await group.shutdownGracefully()
    }

    @Test func fakeServerAnsweringGarbageIsSurvived() async throws {
        let server = try UDPSocket()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clock = PhoneClock()
        let service = SNTPService(group: group, configuration: Self.fast(.unicast, server: SNTPEndpoint(host: "127.0.0.1", port: server.port)),
                                  clock: clock)
        try await service.start()
        let first = try #require(await server.receiveFrom(timeout: .seconds(2)))
        let request = try SNTPPacket(decoding: first.bytes)
        #expect(request.mode == .client)
        server.send([0xDE, 0xAD, 0xBE, 0xEF], to: first.port)
        server.send([UInt8](repeating: 0xFF, count: 48), to: first.port)
        var wrongOriginate = SNTPPacket(mode: .server, stratum: 2, originateTimestamp: NTPTimestamp(raw: 1),
                                        receiveTimestamp: request.transmitTimestamp, transmitTimestamp: request.transmitTimestamp)
        server.send(wrongOriginate.encode(), to: first.port)
        // The client keeps asking (retry), and takes a good answer when it comes.
        let retry = try #require(await server.receiveFrom(timeout: .seconds(2)))
        let retried = try SNTPPacket(decoding: retry.bytes)
        #expect(retried.transmitTimestamp != request.transmitTimestamp)
        let ahead = NTPTimestamp(unixNanoseconds: PhoneClock.systemRealtime() + 1_000_000_000)
        wrongOriginate.originateTimestamp = retried.transmitTimestamp
        wrongOriginate.receiveTimestamp = ahead
        wrongOriginate.transmitTimestamp = ahead
        server.send(wrongOriginate.encode(), to: retry.port)
        #expect(await eventually(.seconds(2)) { service.status().lastSample != nil })
        let status = service.status()
        #expect(status.counters.garbage == 1)
        #expect(status.counters.rejected == 2)
        #expect(status.counters.repliesAccepted == 1)
        // The fake server is a second ahead: so is the phone's clock, not the host's.
        let lead = clock.now().utcNanoseconds - PhoneClock.systemRealtime()
        #expect(lead > 900_000_000 && lead < 1_100_000_000)
        await service.stop()
        try await group.shutdownGracefully()
    }

    static func kiss(_ code: String, answering request: [UInt8]) throws -> [UInt8] {
        let r = try SNTPPacket(decoding: request)
        return SNTPPacket(leapIndicator: 3, mode: .server, stratum: 0, referenceID: Array(code.utf8),
                          originateTimestamp: r.transmitTimestamp, receiveTimestamp: r.transmitTimestamp,
                          transmitTimestamp: r.transmitTimestamp).encode()
    }

    @Test func fakeServerKissOfDeathRateThenDeny() async throws {
        let server = try UDPSocket()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = SNTPEndpoint(host: "127.0.0.1", port: server.port)
        let service = SNTPService(group: group, configuration: Self.fast(.unicast, server: endpoint), clock: PhoneClock())
        try await service.start()
        let first = try #require(await server.receiveFrom(timeout: .seconds(2)))
        server.send(try Self.kiss("RATE", answering: first.bytes), to: first.port)
        var rated = ContinuousClock.now
        // On a loaded machine the RATE can come after the service gave the request up and sent
        // its 0.2 s retry (a reply to the old one is rightly ignored): answer whichever request
        // is outstanding until one RATE is taken.
        let rateDeadline = ContinuousClock.now + .seconds(10)
        while service.status().rateMultiplier < 2, ContinuousClock.now < rateDeadline {
            if let again = await server.receiveFrom(timeout: .milliseconds(100)) {
                server.send(try Self.kiss("RATE", answering: again.bytes), to: again.port)
                rated = ContinuousClock.now
            }
        }
        #expect(service.status().rateMultiplier == 2)
        // RATE: the next request waits two poll intervals (2 s) instead of a 0.2 s retry.
        let second = try #require(await server.receiveFrom(timeout: .seconds(4)))
        #expect(ContinuousClock.now - rated >= .milliseconds(1500))
        // DENY: the server is not asked again.
        server.send(try Self.kiss("DENY", answering: second.bytes), to: second.port)
        // On a loaded machine the answer can come after the service gave the request up and sent
        // the next (a reply to the old one is rightly ignored): answer whichever is outstanding.
        let deadline = ContinuousClock.now + .seconds(10)
        while service.status().counters.kissOfDeath < 2, ContinuousClock.now < deadline {
            if let again = await server.receiveFrom(timeout: .milliseconds(100)) {
                server.send(try Self.kiss("DENY", answering: again.bytes), to: again.port)
            }
        }
        #expect(service.status().counters.kissOfDeath == 2)
        #expect(await server.receiveFrom(timeout: .milliseconds(1500)) == nil)
        let status = service.status()
        #expect(status.phase == .idle("DENY from \(endpoint)"))
        #expect(status.deniedServers == [endpoint])
        #expect(status.lastSample == nil)
        await service.stop()
        try await group.shutdownGracefully()
    }

    @Test func multicastModeTakesABroadcastAndNeverSends() async throws {
        let listen = try Sockets.freeUDPPort()
        let broadcaster = try UDPSocket()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = Self.fast(.multicast, server: nil)
        config.listenPort = listen
        let clock = PhoneClock()
        let service = SNTPService(group: group, configuration: config, clock: clock)
        try await service.start()
        #expect(await service.localAddress()?.port == listen)
        let t3 = NTPTimestamp(unixNanoseconds: PhoneClock.systemRealtime() - 3_000_000_000)
        broadcaster.send(SNTPPacket(mode: .broadcast, stratum: 5, transmitTimestamp: t3).encode(), to: listen)
        #expect(await eventually(.seconds(2)) { service.status().lastSample != nil })
        let s = try #require(service.status().lastSample)
        #expect(s.isBroadcast && s.stratum == 5)
        #expect(abs(s.measurement.offsetNanoseconds + 3_000_000_000) < 100_000_000)
        #expect(service.status().counters.requestsSent == 0)
        // Reprovisioned to unicast towards the broadcaster: it asks it.
        try await service.reconfigure(Self.fast(.unicast, server: SNTPEndpoint(host: "127.0.0.1", port: broadcaster.port)))
        let request = try #require(await broadcaster.receiveFrom(timeout: .seconds(2)))
        #expect(try SNTPPacket(decoding: request.bytes).mode == .client)
        #expect(service.status().mode == .unicast && service.status().lastSample != nil)
        await service.stop()
        try await group.shutdownGracefully()
    }
}
