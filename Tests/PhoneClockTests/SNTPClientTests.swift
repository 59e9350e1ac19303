import Testing

@testable import PhoneClock

/// The state machine with a manual clock: the phone's clock is 2026-01-01 00:00 UTC, the
/// servers' clocks are `serverAhead` in front of it.
struct Harness {
    var client: SNTPClient
    var now = ClockReading(monotonicNanoseconds: 5_000_000_000, utcNanoseconds: 1_767_225_600_000_000_000)
    var serverAhead: Int64 = 2_500_000_000

    init(_ config: SNTPConfiguration) { client = SNTPClient(configuration: config) }

    mutating func start() -> [SNTPClient.Action] { client.start(at: now) }

    mutating func advance(seconds: Double) {
        let ns = Int64(seconds * 1e9)
        now.monotonicNanoseconds += ns
        now.utcNanoseconds += ns
    }

    /// Advances to the next deadline and fires the timer.
    mutating func fire() -> [SNTPClient.Action] {
        guard let d = client.nextDeadline else { return [] }
        let delta = d - now.monotonicNanoseconds
        now.monotonicNanoseconds += delta
        now.utcNanoseconds += delta
        return client.timerFired(at: now)
    }

    mutating func receive(_ bytes: [UInt8], from e: SNTPEndpoint) -> [SNTPClient.Action] {
        client.receive(bytes, from: e, at: now)
    }

    /// A server's reply to `request`, 10 ms of network each way already elapsed on our side.
    func reply(to request: [UInt8], stratum: UInt8 = 3, kiss: String? = nil, mode: SNTPPacket.Mode = .server) -> [UInt8] {
        let req = try! SNTPPacket(decoding: request)
        let serverNow = NTPTimestamp(unixNanoseconds: now.utcNanoseconds + serverAhead)
        var p = SNTPPacket(version: 4, mode: mode, stratum: stratum, referenceID: [10, 0, 0, 1],
                           referenceTimestamp: serverNow, originateTimestamp: req.transmitTimestamp,
                           receiveTimestamp: serverNow, transmitTimestamp: serverNow)
        if let kiss { p.stratum = 0; p.leapIndicator = 3; p.referenceID = Array(kiss.utf8) }
        return p.encode()
    }

    func broadcastPacket(stratum: UInt8 = 4) -> [UInt8] {
        SNTPPacket(version: 4, mode: .broadcast, stratum: stratum, referenceID: [10, 0, 0, 9],
                   transmitTimestamp: NTPTimestamp(unixNanoseconds: now.utcNanoseconds + serverAhead)).encode()
    }
}

func sends(_ actions: [SNTPClient.Action]) -> [(bytes: [UInt8], to: SNTPEndpoint)] {
    actions.compactMap { if case .send(let b, let e) = $0 { return (b, e) } else { return nil } }
}

func samples(_ actions: [SNTPClient.Action]) -> [SNTPSample] {
    actions.compactMap { if case .synchronised(let s) = $0 { return s } else { return nil } }
}

@Suite struct SNTPClientTests {
    static let server = SNTPEndpoint(host: "10.0.0.1", port: 123)
    static let other = SNTPEndpoint(host: "10.0.0.2", port: 123)
    static let broadcast = SNTPEndpoint(host: "10.0.0.255", port: 123)

    static func config(_ mode: SNTPMode, server: SNTPEndpoint? = nil) -> SNTPConfiguration {
        SNTPConfiguration(mode: mode, server: server, broadcast: broadcast, pollInterval: .seconds(64),
                          retryInterval: .seconds(2), maxRetryInterval: .seconds(16))
    }

    @Test func unicastWithoutServerSendsAndAcceptsNothing() {
        var h = Harness(Self.config(.unicast))
        #expect(h.start().isEmpty)
        #expect(h.client.nextDeadline == nil)
        #expect(h.client.status.phase == .idle("unicast without sntp_server"))
        let stray = h.broadcastPacket()
        #expect(samples(h.receive(stray, from: Self.server)).isEmpty)
        #expect(h.client.counters.rejected == 1)
    }

    @Test func unicastAsksTheServerAndTakesOnlyItsReplies() throws {
        var h = Harness(Self.config(.unicast, server: Self.server))
        let sent = sends(h.start())
        #expect(sent.count == 1 && sent[0].to == Self.server)
        let request = try SNTPPacket(decoding: sent[0].bytes)
        #expect(request.mode == .client && request.version == 4)
        h.advance(seconds: 0.02)
        let reply = h.reply(to: sent[0].bytes)
        // Another host, and the right host on another port: ignored.
        #expect(samples(h.receive(reply, from: Self.other)).isEmpty)
        #expect(samples(h.receive(reply, from: SNTPEndpoint(host: "10.0.0.1", port: 1123))).isEmpty)
        #expect(h.client.counters.foreign == 2)
        let got = samples(h.receive(reply, from: Self.server))
        #expect(got.count == 1)
        let s = try #require(got.first)
        // Server 2.5 s ahead, answering as the reply arrives (T2 = T3 = T4 + 2.5): offset 2.51 s, delay 20 ms.
        #expect(s.measurement.offsetNanoseconds == 2_510_000_000)
        #expect(s.measurement.delayNanoseconds == 20_000_000)
        #expect(s.stratum == 3 && s.server == Self.server && !s.isBroadcast)
        #expect(s.utcNanoseconds == h.now.utcNanoseconds + 2_510_000_000)
        #expect(h.client.status.serverInUse == Self.server)
        // between polls the status says so (not "requesting")
        #expect(h.client.status.phase == .polling(target: Self.server))
        #expect(h.client.status.lines(now: h.now).contains("state: synchronised, polling \(Self.server)"))
        #expect(h.client.nextDeadline == h.now.monotonicNanoseconds + 64_000_000_000)
        // The same reply again: no request outstanding.
        #expect(samples(h.receive(reply, from: Self.server)).isEmpty)
        // The poll: a new request to the same server after 64 s.
        let poll = sends(h.fire())
        #expect(poll.count == 1 && poll[0].to == Self.server)
        #expect(h.client.counters.requestsSent == 2 && h.client.counters.timeouts == 0)
    }

    @Test func silentServerMeansExponentialBackOff() {
        var h = Harness(Self.config(.unicast, server: Self.server))
        _ = h.start()
        let t0 = h.now.monotonicNanoseconds
        // Early timer calls do nothing.
        #expect(h.client.timerFired(at: h.now).isEmpty)
        var gaps: [Int64] = []
        var last = t0
        for _ in 0..<6 {
            let sent = sends(h.fire())
            #expect(sent.count == 1 && sent[0].to == Self.server)
            gaps.append((h.now.monotonicNanoseconds - last) / 1_000_000_000)
            last = h.now.monotonicNanoseconds
        }
        #expect(gaps == [2, 4, 8, 16, 16, 16])
        #expect(h.client.counters.timeouts == 6)
        // A reply resets the retry interval.
        let sent = sends(h.fire())
        _ = h.receive(h.reply(to: sent[0].bytes), from: Self.server)
        #expect(h.client.status.retryIntervalNanoseconds == 2_000_000_000)
    }

    @Test func garbageAndForgedRepliesAreCountedAndDoNotStopTheRequest() throws {
        var h = Harness(Self.config(.unicast, server: Self.server))
        let sent = sends(h.start())
        #expect(samples(h.receive([1, 2, 3], from: Self.server)).isEmpty)
        #expect(samples(h.receive([UInt8](repeating: 0xFF, count: 48), from: Self.server)).isEmpty)
        var wrongOriginate = try SNTPPacket(decoding: h.reply(to: sent[0].bytes))
        wrongOriginate.originateTimestamp = NTPTimestamp(raw: 42)
        #expect(samples(h.receive(wrongOriginate.encode(), from: Self.server)).isEmpty)
        var unsynchronised = try SNTPPacket(decoding: h.reply(to: sent[0].bytes))
        unsynchronised.leapIndicator = 3
        #expect(samples(h.receive(unsynchronised.encode(), from: Self.server)).isEmpty)
        #expect(h.client.counters.garbage == 1 && h.client.counters.rejected == 3)
        // The genuine reply still counts.
        #expect(samples(h.receive(h.reply(to: sent[0].bytes), from: Self.server)).count == 1)
    }

    @Test(arguments: [nil, server])
    func multicastNeverSendsAndTakesBroadcastsFromAnyone(_ server: SNTPEndpoint?) {
        var h = Harness(Self.config(.multicast, server: server))
        #expect(h.start().isEmpty)
        #expect(h.client.nextDeadline == nil)
        #expect(h.client.status.phase == .listening)
        let s = samples(h.receive(h.broadcastPacket(), from: Self.other))
        #expect(s.count == 1 && s[0].isBroadcast && s[0].measurement.offsetNanoseconds == 2_500_000_000)
        // A mode-4 packet is not a broadcast.
        var notBroadcast = h.broadcastPacket()
        notBroadcast[0] = notBroadcast[0] & ~7 | 4
        #expect(samples(h.receive(notBroadcast, from: Self.other)).isEmpty)
        #expect(h.client.counters.broadcastsAccepted == 1 && h.client.counters.rejected == 1)
        #expect(h.client.counters.requestsSent == 0)
    }

    @Test(arguments: [nil, server])
    func anycastTakesTheFirstResponderAsItsServer(_ configured: SNTPEndpoint?) throws {
        var h = Harness(Self.config(.anycast, server: configured))
        // sntp_server is ignored (6.x/7.x note): the first request goes to the broadcast address.
        let first = sends(h.start())
        #expect(first.count == 1 && first[0].to == Self.broadcast)
        h.advance(seconds: 0.01)
        let fromOther = h.reply(to: first[0].bytes)
        #expect(samples(h.receive(fromOther, from: Self.other)).count == 1)
        #expect(h.client.status.serverInUse == Self.other)
        // The configured server answering late is ignored.
        #expect(samples(h.receive(h.reply(to: first[0].bytes), from: Self.server)).isEmpty)
        // Later requests go to the responder only, and only its replies count.
        let poll = sends(h.fire())
        #expect(poll.count == 1 && poll[0].to == Self.other)
        #expect(samples(h.receive(h.reply(to: poll[0].bytes), from: Self.server)).isEmpty)
        #expect(samples(h.receive(h.reply(to: poll[0].bytes), from: Self.other)).count == 1)
    }

    @Test func directedBroadcastWithoutServerAsksTheNetworkThenListens() {
        var h = Harness(Self.config(.directedbroadcast))
        let first = sends(h.start())
        #expect(first.count == 1 && first[0].to == Self.broadcast)
        #expect(samples(h.receive(h.reply(to: first[0].bytes), from: Self.other)).count == 1)
        #expect(h.client.status.phase == .listening)
        // Broadcasts from any server are taken; nothing is sent while they come.
        h.advance(seconds: 100)
        #expect(samples(h.receive(h.broadcastPacket(), from: Self.server)).count == 1)
        h.advance(seconds: 100)
        #expect(samples(h.receive(h.broadcastPacket(), from: Self.other)).count == 1)
        #expect(h.client.counters.requestsSent == 1)
        // Three poll intervals of silence: ask again.
        let deadline = h.client.nextDeadline
        #expect(deadline == h.now.monotonicNanoseconds + 3 * 64_000_000_000)
        let again = sends(h.fire())
        #expect(again.count == 1 && again[0].to == Self.broadcast)
    }

    @Test func directedBroadcastWithServerAsksItThenListensToItsHostOnly() {
        var h = Harness(Self.config(.directedbroadcast, server: Self.server))
        let first = sends(h.start())
        #expect(first.count == 1 && first[0].to == Self.server)
        #expect(samples(h.receive(h.reply(to: first[0].bytes), from: Self.other)).isEmpty)
        #expect(samples(h.receive(h.reply(to: first[0].bytes), from: Self.server)).count == 1)
        #expect(h.client.status.phase == .listening)
        #expect(samples(h.receive(h.broadcastPacket(), from: Self.other)).isEmpty)
        #expect(samples(h.receive(h.broadcastPacket(), from: SNTPEndpoint(host: "10.0.0.1", port: 123))).count == 1)
        #expect(h.client.counters.foreign == 2)
    }

    @Test func rateKissSlowsThePollingDown() {
        var h = Harness(Self.config(.unicast, server: Self.server))
        var sent = sends(h.start())
        let kiss = h.receive(h.reply(to: sent[0].bytes, kiss: "RATE"), from: Self.server)
        #expect(kiss == [.kissOfDeath(from: Self.server, code: "RATE")])
        #expect(h.client.nextDeadline == h.now.monotonicNanoseconds + 128_000_000_000)
        sent = sends(h.fire())
        _ = h.receive(h.reply(to: sent[0].bytes, kiss: "RATE"), from: Self.server)
        #expect(h.client.nextDeadline == h.now.monotonicNanoseconds + 256_000_000_000)
        // A good reply afterwards: polls keep the slower rate.
        sent = sends(h.fire())
        #expect(samples(h.receive(h.reply(to: sent[0].bytes), from: Self.server)).count == 1)
        #expect(h.client.nextDeadline == h.now.monotonicNanoseconds + 256_000_000_000)
        #expect(h.client.counters.kissOfDeath == 2 && h.client.status.rateMultiplier == 4)
    }

    @Test(arguments: ["DENY", "RSTR"])
    func denyStopsUsingTheServer(_ code: String) {
        var h = Harness(Self.config(.unicast, server: Self.server))
        let sent = sends(h.start())
        _ = h.receive(h.reply(to: sent[0].bytes, kiss: code), from: Self.server)
        #expect(h.client.nextDeadline == nil)
        #expect(h.client.status.phase == .idle("\(code) from \(Self.server)"))
        #expect(h.client.status.deniedServers == [Self.server])
        h.advance(seconds: 10_000)
        #expect(h.client.timerFired(at: h.now).isEmpty)
        // Reprovisioning starts over.
        var c = Self.config(.unicast, server: Self.other)
        c.pollInterval = .seconds(30)
        #expect(sends(h.client.reconfigure(c, at: h.now)).map(\.to) == [Self.other])
    }

    @Test func anycastDropsADenyingResponderAndDiscoversAgain() {
        var h = Harness(Self.config(.anycast))
        let first = sends(h.start())
        _ = h.receive(h.reply(to: first[0].bytes), from: Self.server)
        let poll = sends(h.fire())
        #expect(poll[0].to == Self.server)
        _ = h.receive(h.reply(to: poll[0].bytes, kiss: "DENY"), from: Self.server)
        #expect(h.client.status.serverInUse == nil)
        let again = sends(h.fire())
        #expect(again.count == 1 && again[0].to == Self.broadcast)
        // The denier is ignored from now on; another server is taken.
        #expect(samples(h.receive(h.reply(to: again[0].bytes), from: Self.server)).isEmpty)
        #expect(samples(h.receive(h.reply(to: again[0].bytes), from: Self.other)).count == 1)
        #expect(h.client.status.serverInUse == Self.other)
    }

    @Test func otherKissCodesCountAsNoAnswer() {
        var h = Harness(Self.config(.unicast, server: Self.server))
        let sent = sends(h.start())
        let deadline = h.client.nextDeadline
        _ = h.receive(h.reply(to: sent[0].bytes, kiss: "INIT"), from: Self.server)
        #expect(h.client.nextDeadline == deadline)
        #expect(sends(h.fire()).count == 1)
        #expect(h.client.counters.timeouts == 1)
    }

    @Test func reconfigureKeepsTheSampleAndCounters() {
        var h = Harness(Self.config(.unicast, server: Self.server))
        let sent = sends(h.start())
        _ = h.receive(h.reply(to: sent[0].bytes), from: Self.server)
        #expect(h.client.reconfigure(Self.config(.unicast, server: Self.server), at: h.now).isEmpty)
        #expect(h.client.reconfigure(Self.config(.multicast), at: h.now).isEmpty)
        #expect(h.client.lastSample != nil && h.client.counters.repliesAccepted == 1)
        #expect(h.client.status.phase == .listening)
    }

    @Test func serverParameterParsing() {
        #expect(SNTPEndpoint.server(nil) == nil)
        #expect(SNTPEndpoint.server("") == nil)
        #expect(SNTPEndpoint.server("0.0.0.0") == nil)
        #expect(SNTPEndpoint.server("0.0.0.0:123") == nil)
        #expect(SNTPEndpoint.server("10.1.2.3") == SNTPEndpoint(host: "10.1.2.3", port: 123))
        #expect(SNTPEndpoint.server(" 10.1.2.3:40123 ") == SNTPEndpoint(host: "10.1.2.3", port: 40123))
        #expect(SNTPEndpoint.server("ntp.example.test") == SNTPEndpoint(host: "ntp.example.test", port: 123))
        #expect(SNTPEndpoint.server("10.1.2.3:70000") == nil)
        #expect(SNTPEndpoint.server("10.1.2.3:") == nil)
        let c = SNTPConfiguration(sntpMode: "Unicast", sntpServer: "10.1.2.3:9")
        #expect(c.mode == .unicast && c.server == SNTPEndpoint(host: "10.1.2.3", port: 9))
        #expect(SNTPConfiguration(sntpMode: nil, sntpServer: nil).mode == .directedbroadcast)
    }

    @Test func statusLinesForShowSNTP() {
        var h = Harness(Self.config(.unicast, server: Self.server))
        #expect(h.client.status.lines(now: h.now).contains("last sync: never (unsynchronised)"))
        let sent = sends(h.start())
        h.advance(seconds: 0.02)
        _ = h.receive(h.reply(to: sent[0].bytes), from: Self.server)
        let lines = h.client.status.lines(now: h.now)
        #expect(lines.contains("mode: unicast"))
        #expect(lines.contains("server in use: 10.0.0.1:123"))
        #expect(lines.contains("offset: 2.510 s  delay: 0.020 s"))
        #expect(lines.contains("last sync: 2026-01-01 00:00:02 UTC (0.000 s ago)"))
        #expect(lines.contains("next poll: in 64.000 s"))
    }
}
