/// The SNTP client of GUIDE.md §6.1 as a sans-I/O state machine: the adapter feeds it start,
/// received datagrams and timer expiries together with a clock reading, and carries out the
/// actions it returns (send these bytes there, the clock is synchronised). It imports nothing.
///
/// Mode behaviour (the guide's Tables 3-2 and 3-3; choices marked (unverified)):
///
/// | mode | `sntp_server` unset | `sntp_server` set |
/// |---|---|---|
/// | unicast | idle: sends and accepts nothing | requests to the server; replies only from it (host and port) |
/// | multicast | never sends; accepts mode-5 broadcasts from anyone | the same (unverified: the table's wording is unclear, any source is accepted) |
/// | anycast | request to the broadcast address; the first responder becomes the unicast server | the same: the 6.x/7.x note says `sntp_server` is ignored with anycast |
/// | directedbroadcast | request to the broadcast address, first reply from anyone; then listens for broadcasts from anyone | request to the server, reply only from it; then listens for broadcasts from the server's host only (unverified reading of "responses from other servers ignored") |
///
/// Timing: after a good reply the next request goes out after `pollInterval` (default
/// `SNTPConfiguration.defaultPollInterval`, one hour — the guide documents no interval; later
/// loads poll roughly hourly). An unanswered request is repeated after `retryInterval`, doubling
/// each time up to `maxRetryInterval`. While listening in directedbroadcast mode, three poll
/// intervals without a broadcast send the phone back to requesting (unverified: keeps a phone
/// whose network carries no broadcasts from drifting forever).
///
/// Kiss-o'-death (RFC 4330 §8): `RATE` doubles a rate multiplier (up to 64) applied to the poll
/// interval and the next request waits a full multiplied poll interval; `DENY` and `RSTR` stop
/// all use of that server (unicast and directedbroadcast: the client goes idle; anycast: the
/// responder is dropped and discovery starts again without it); other codes count as no answer.
/// Garbage (undecodable, failed sanity checks, unexpected sources) is ignored and counted.

public enum SNTPMode: String, Sendable, Hashable, CaseIterable {
    case unicast, multicast, anycast, directedbroadcast
}

/// A host (IPv4 literal, or a name the adapter resolves) and UDP port.
public struct SNTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int = SNTPEndpoint.ntpPort) {
        self.host = host
        self.port = port
    }

    public static let ntpPort = 123

    /// `sntp_server` text: nil for unset, empty or `0.0.0.0` (the guide's "null"). A `:port`
    /// suffix is this implementation's documented extension (tests use high ports); a bad port
    /// makes the whole value nil.
    public static func server(_ text: String?) -> SNTPEndpoint? {
        guard var host = text?.trimmingWhitespace, !host.isEmpty else { return nil }
        var port = ntpPort
        if let colon = host.lastIndex(of: ":") {
            let digits = host[host.index(after: colon)...]
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), digits.count <= 5,
                  let p = Int(digits), (1...65535).contains(p) else { return nil }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty, host != "0.0.0.0" else { return nil }
        return SNTPEndpoint(host: host, port: port)
    }

    public var description: String { "\(host):\(port)" }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}

public struct SNTPConfiguration: Sendable, Hashable {
    /// The one re-poll constant (unverified: the guide has none; later loads poll hourly).
    public static let defaultPollInterval: Duration = .seconds(3600)
    public static let defaultRetryInterval: Duration = .seconds(4)
    public static let defaultMaxRetryInterval: Duration = .seconds(1024)
    /// The NTP multicast group (GUIDE.md §6.1).
    public static let multicastGroup = "224.0.1.1"

    public var mode: SNTPMode
    /// `sntp_server`; nil when unset/0.0.0.0.
    public var server: SNTPEndpoint?
    /// Where broadcast requests go (anycast, directedbroadcast without server): the local
    /// network's broadcast address, port 123.
    public var broadcast: SNTPEndpoint
    /// The UDP port broadcasts arrive on while listening (multicast, directedbroadcast).
    public var listenPort: Int
    public var pollInterval: Duration
    public var retryInterval: Duration
    public var maxRetryInterval: Duration

    public init(mode: SNTPMode = .directedbroadcast, server: SNTPEndpoint? = nil,
                broadcast: SNTPEndpoint = SNTPEndpoint(host: "255.255.255.255"),
                listenPort: Int = SNTPEndpoint.ntpPort,
                pollInterval: Duration = defaultPollInterval, retryInterval: Duration = defaultRetryInterval,
                maxRetryInterval: Duration = defaultMaxRetryInterval) {
        self.mode = mode
        self.server = server
        self.broadcast = broadcast
        self.listenPort = listenPort
        self.pollInterval = pollInterval
        self.retryInterval = retryInterval
        self.maxRetryInterval = maxRetryInterval
    }

    /// From the parameter texts (`sntp_mode`, `sntp_server`); an unknown mode is the default.
    public init(sntpMode: String?, sntpServer: String?) {
        self.init(mode: sntpMode.flatMap { SNTPMode(rawValue: $0.lowercased()) } ?? .directedbroadcast,
                  server: SNTPEndpoint.server(sntpServer))
    }

    /// Whether the mode ever listens for broadcasts (the adapter binds the listen port and joins
    /// the multicast group only then).
    public var listensForBroadcasts: Bool { mode == .multicast || mode == .directedbroadcast }
}

/// A reading of the phone's clocks: monotonic (any origin) and its current best UTC, both in
/// nanoseconds (UTC since the Unix epoch). T1 and T4 are taken from `utcNanoseconds`.
public struct ClockReading: Sendable, Hashable {
    public var monotonicNanoseconds: Int64
    public var utcNanoseconds: Int64

    public init(monotonicNanoseconds: Int64, utcNanoseconds: Int64) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.utcNanoseconds = utcNanoseconds
    }
}

/// One accepted time sample.
public struct SNTPSample: Sendable, Hashable {
    public var server: SNTPEndpoint
    public var stratum: Int
    public var referenceID: String
    public var measurement: SNTPMeasurement
    /// From a mode-5 broadcast (no delay measured).
    public var isBroadcast: Bool
    /// The monotonic time of receipt and the UTC it corresponds to (T4 + offset).
    public var monotonicNanoseconds: Int64
    public var utcNanoseconds: Int64
}

public struct SNTPCounters: Sendable, Hashable {
    public var requestsSent = 0
    public var repliesAccepted = 0
    public var broadcastsAccepted = 0
    /// Requests that got no usable answer before the retry timer.
    public var timeouts = 0
    /// Datagrams that are not SNTP packets at all.
    public var garbage = 0
    /// Packets that failed RFC 4330 §5's checks (or came when nothing was expected).
    public var rejected = 0
    /// Packets from a source this mode does not accept.
    public var foreign = 0
    public var kissOfDeath = 0

    public init() {}
}

/// What `show sntp` prints.
public struct SNTPStatus: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        /// Nothing to do (no server in unicast, a server that said DENY/RSTR, or stopped).
        case idle(String)
        /// Sending requests to `target`.
        case requesting(target: SNTPEndpoint)
        /// Synchronised with `target`; the next request waits for the poll interval.
        case polling(target: SNTPEndpoint)
        /// Listening for broadcasts.
        case listening
    }

    public var mode: SNTPMode
    public var configuredServer: SNTPEndpoint?
    /// The server answers are accepted from (nil: any, or none yet).
    public var serverInUse: SNTPEndpoint?
    public var phase: Phase
    public var lastSample: SNTPSample?
    /// Monotonic deadline of the next request, retry or silence check.
    public var nextPollMonotonic: Int64?
    public var retryIntervalNanoseconds: Int64
    public var rateMultiplier: Int
    public var deniedServers: [SNTPEndpoint]
    public var lastProblem: String?
    public var counters: SNTPCounters

    public var isSynchronised: Bool { lastSample != nil }

    /// The `show sntp` lines; `now` turns monotonic deadlines into "in N s".
    public func lines(now: ClockReading) -> [String] {
        func seconds(_ ns: Int64) -> String {
            let ms = ns / 1_000_000
            let sign = ms < 0 ? "-" : ""
            let a = abs(ms)
            let frac = a % 1000
            return "\(sign)\(a / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac) s"
        }
        var out = ["mode: \(mode.rawValue)", "server configured: \(configuredServer?.description ?? "none")"]
        switch phase {
        case .idle(let why): out.append("state: idle (\(why))")
        case .requesting(let target): out.append("state: requesting from \(target)")
        case .polling(let target): out.append("state: synchronised, polling \(target)")
        case .listening: out.append("state: listening for broadcasts")
        }
        out.append("server in use: \(serverInUse?.description ?? "none")")
        if let s = lastSample {
            out.append("stratum: \(s.stratum)  refid: \(s.referenceID)\(s.isBroadcast ? "  (broadcast)" : "")")
            out.append("offset: \(seconds(s.measurement.offsetNanoseconds))  delay: \(seconds(s.measurement.delayNanoseconds))")
            let utc = LocalDateTime(secondsSinceEpoch: Int(s.utcNanoseconds / 1_000_000_000))
            out.append("last sync: \(utc) UTC (\(seconds(now.monotonicNanoseconds - s.monotonicNanoseconds)) ago)")
        } else {
            out.append("last sync: never (unsynchronised)")
        }
        out.append("next poll: " + (nextPollMonotonic.map { "in " + seconds($0 - now.monotonicNanoseconds) } ?? "none"))
        if rateMultiplier > 1 { out.append("rate limited: poll interval x\(rateMultiplier)") }
        if !deniedServers.isEmpty { out.append("denied: " + deniedServers.map(\.description).joined(separator: ", ")) }
        if let p = lastProblem { out.append("last problem: \(p)") }
        let c = counters
        out.append("requests \(c.requestsSent), replies \(c.repliesAccepted), broadcasts \(c.broadcastsAccepted), "
            + "timeouts \(c.timeouts), garbage \(c.garbage), rejected \(c.rejected), foreign \(c.foreign), "
            + "kiss-o'-death \(c.kissOfDeath)")
        return out
    }
}

public struct SNTPClient: Sendable {
    public enum Action: Sendable, Hashable {
        case send([UInt8], to: SNTPEndpoint)
        /// A good sample: the phone's clock takes it.
        case synchronised(SNTPSample)
        /// A datagram that was dropped, and why (for the debug log).
        case ignored(from: SNTPEndpoint, reason: String)
        /// A kiss-o'-death taken into account (for the debug log).
        case kissOfDeath(from: SNTPEndpoint, code: String)
    }

    /// Whose packets are accepted.
    enum Acceptance: Sendable, Hashable {
        case any
        case only(SNTPEndpoint)
        case host(String)

        func accepts(_ e: SNTPEndpoint) -> Bool {
            switch self {
            case .any: return true
            case .only(let x): return x == e
            case .host(let h): return h == e.host
            }
        }
    }

    enum Phase: Sendable, Hashable {
        case idle(String)
        /// `outstanding`: the transmit timestamp of the unanswered request.
        case requesting(target: SNTPEndpoint, accept: Acceptance, outstanding: NTPTimestamp?)
        case listening(Acceptance)
    }

    public private(set) var configuration: SNTPConfiguration
    var phase: Phase = .idle("not started")
    /// Monotonic nanoseconds of the next timer event.
    public private(set) var nextDeadline: Int64?
    var retryNanoseconds: Int64
    var rateMultiplier = 1
    var denied: Set<SNTPEndpoint> = []
    var serverInUse: SNTPEndpoint?
    var lastProblem: String?
    public private(set) var lastSample: SNTPSample?
    public private(set) var counters = SNTPCounters()

    public init(configuration: SNTPConfiguration) {
        self.configuration = configuration
        retryNanoseconds = Self.nanoseconds(configuration.retryInterval)
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        let (scaled, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max / 4 : scaled + atto / 1_000_000_000
    }

    var pollNanoseconds: Int64 { Self.nanoseconds(configuration.pollInterval) * Int64(rateMultiplier) }

    // MARK: events

    /// Begins (or begins again) as the mode says.
    public mutating func start(at now: ClockReading) -> [Action] {
        retryNanoseconds = Self.nanoseconds(configuration.retryInterval)
        serverInUse = nil
        nextDeadline = nil
        let config = configuration
        switch config.mode {
        case .unicast:
            guard let server = config.server else {
                phase = .idle("unicast without sntp_server")
                return []
            }
            return request(to: server, accepting: .only(server), at: now)
        case .multicast:
            phase = .listening(.any)
            return []
        case .anycast:
            return request(to: config.broadcast, accepting: .any, at: now)
        case .directedbroadcast:
            if let server = config.server { return request(to: server, accepting: .only(server), at: now) }
            return request(to: config.broadcast, accepting: .any, at: now)
        }
    }

    /// Stops: no more sends or deadlines; the last sample and counters stay.
    public mutating func stop() {
        phase = .idle("stopped")
        nextDeadline = nil
    }

    /// A new configuration (after a provisioning boot): starts again if anything changed. The
    /// last sample and the counters stay; denials and rate limits are forgotten when the
    /// configuration changes.
    public mutating func reconfigure(_ new: SNTPConfiguration, at now: ClockReading) -> [Action] {
        guard new != configuration else { return [] }
        adopt(new)
        return start(at: now)
    }

    /// Takes a new configuration without starting (for a stopped adapter).
    public mutating func adopt(_ new: SNTPConfiguration) {
        if new != configuration {
            configuration = new
            denied = []
            rateMultiplier = 1
            lastProblem = nil
        }
        stop()
    }

    /// The timer: call at or after `nextDeadline`; early calls do nothing.
    public mutating func timerFired(at now: ClockReading) -> [Action] {
        guard let deadline = nextDeadline, now.monotonicNanoseconds >= deadline else { return [] }
        switch phase {
        case .idle:
            nextDeadline = nil
            return []
        case .requesting(let target, let accept, let outstanding):
            if outstanding != nil {
                counters.timeouts += 1
                lastProblem = "no answer from \(target)"
                retryNanoseconds = min(retryNanoseconds * 2, Self.nanoseconds(configuration.maxRetryInterval))
            }
            return request(to: target, accepting: accept, at: now)
        case .listening:
            // directedbroadcast only: silence for three poll intervals, ask again.
            lastProblem = "no broadcast heard"
            return start(at: now)
        }
    }

    public mutating func receive(_ bytes: [UInt8], from source: SNTPEndpoint, at now: ClockReading) -> [Action] {
        guard let packet = try? SNTPPacket(decoding: bytes) else {
            counters.garbage += 1
            return ignore(source, "not an SNTP packet (\(bytes.count) bytes)")
        }
        if denied.contains(source) {
            counters.foreign += 1
            return ignore(source, "server denied us earlier")
        }
        switch phase {
        case .idle:
            counters.rejected += 1
            return ignore(source, "nothing expected")
        case .requesting(let target, let accept, let outstanding):
            guard accept.accepts(source) else {
                counters.foreign += 1
                return ignore(source, "not the server in use (\(target))")
            }
            guard let t1 = outstanding else {
                counters.rejected += 1
                return ignore(source, "no request outstanding")
            }
            if let rejection = packet.check(.reply(to: t1)) {
                if case .kissOfDeath(let code) = rejection { return kissOfDeath(code, from: source, target: target, at: now) }
                counters.rejected += 1
                return ignore(source, rejection.description)
            }
            let t4 = NTPTimestamp(unixNanoseconds: now.utcNanoseconds)
            let m = SNTPMeasurement(t1: t1, t2: packet.receiveTimestamp, t3: packet.transmitTimestamp, t4: t4)
            counters.repliesAccepted += 1
            retryNanoseconds = Self.nanoseconds(configuration.retryInterval)
            lastProblem = nil
            let sample = makeSample(packet, m, from: source, broadcast: false, at: now)
            lastSample = sample
            switch configuration.mode {
            case .directedbroadcast:
                // After the first response: listen for broadcasts (Tables 3-2/3-3).
                let acceptance: Acceptance = configuration.server == nil ? .any : .host(source.host)
                phase = .listening(acceptance)
                serverInUse = configuration.server
                nextDeadline = now.monotonicNanoseconds + 3 * pollNanoseconds
            case .unicast, .anycast, .multicast:
                // Anycast: the first responder becomes the unicast server.
                serverInUse = source
                phase = .requesting(target: source, accept: .only(source), outstanding: nil)
                nextDeadline = now.monotonicNanoseconds + pollNanoseconds
            }
            return [.synchronised(sample)]
        case .listening(let accept):
            guard accept.accepts(source) else {
                counters.foreign += 1
                return ignore(source, "broadcast from another server")
            }
            if let rejection = packet.check(.broadcast) {
                counters.rejected += 1
                if case .kissOfDeath = rejection { counters.kissOfDeath += 1 }
                return ignore(source, rejection.description)
            }
            let t4 = NTPTimestamp(unixNanoseconds: now.utcNanoseconds)
            let m = SNTPMeasurement(broadcastTransmit: packet.transmitTimestamp, received: t4)
            counters.broadcastsAccepted += 1
            lastProblem = nil
            if configuration.mode == .directedbroadcast {
                nextDeadline = now.monotonicNanoseconds + 3 * pollNanoseconds
            }
            let sample = makeSample(packet, m, from: source, broadcast: true, at: now)
            lastSample = sample
            return [.synchronised(sample)]
        }
    }

    // MARK: internals

    private mutating func request(to target: SNTPEndpoint, accepting accept: Acceptance, at now: ClockReading) -> [Action] {
        let t1 = NTPTimestamp(unixNanoseconds: now.utcNanoseconds)
        phase = .requesting(target: target, accept: accept, outstanding: t1)
        nextDeadline = now.monotonicNanoseconds + retryNanoseconds
        counters.requestsSent += 1
        return [.send(SNTPPacket.request(transmit: t1).encode(), to: target)]
    }

    private mutating func ignore(_ source: SNTPEndpoint, _ reason: String) -> [Action] {
        lastProblem = "\(reason) from \(source)"
        return [.ignored(from: source, reason: reason)]
    }

    private mutating func kissOfDeath(_ code: String, from source: SNTPEndpoint, target: SNTPEndpoint,
                                      at now: ClockReading) -> [Action] {
        counters.kissOfDeath += 1
        lastProblem = "kiss-o'-death \(code) from \(source)"
        switch code {
        case "RATE":
            rateMultiplier = min(rateMultiplier * 2, 64)
            if case .requesting(let target, let accept, _) = phase {
                phase = .requesting(target: target, accept: accept, outstanding: nil)
            }
            nextDeadline = now.monotonicNanoseconds + pollNanoseconds
        case "DENY", "RSTR":
            denied.insert(source)
            if configuration.mode == .anycast {
                // Drop the responder and discover again without it.
                serverInUse = nil
                phase = .requesting(target: configuration.broadcast, accept: .any, outstanding: nil)
                nextDeadline = now.monotonicNanoseconds + retryNanoseconds
            } else if target == source {
                phase = .idle("\(code) from \(source)")
                nextDeadline = nil
            }
            // A broadcast request answered with DENY by one of several servers: keep waiting
            // for the others (the source is ignored from now on).
        default:
            // Other codes: as if there had been no answer; the retry timer stays.
            break
        }
        return [.kissOfDeath(from: source, code: code)]
    }

    private func makeSample(_ p: SNTPPacket, _ m: SNTPMeasurement, from source: SNTPEndpoint, broadcast: Bool,
                            at now: ClockReading) -> SNTPSample {
        SNTPSample(server: source, stratum: Int(p.stratum), referenceID: p.referenceIDText, measurement: m,
                   isBroadcast: broadcast, monotonicNanoseconds: now.monotonicNanoseconds,
                   utcNanoseconds: now.utcNanoseconds + m.offsetNanoseconds)
    }

    // MARK: status

    public var status: SNTPStatus {
        let p: SNTPStatus.Phase
        switch phase {
        case .idle(let why): p = .idle(why)
        case .requesting(let target, _, nil) where lastSample != nil: p = .polling(target: target)
        case .requesting(let target, _, _): p = .requesting(target: target)
        case .listening: p = .listening
        }
        return SNTPStatus(mode: configuration.mode, configuredServer: configuration.server, serverInUse: serverInUse,
                          phase: p, lastSample: lastSample, nextPollMonotonic: nextDeadline,
                          retryIntervalNanoseconds: retryNanoseconds, rateMultiplier: rateMultiplier,
                          deniedServers: denied.sorted { $0.description < $1.description },
                          lastProblem: lastProblem, counters: counters)
    }
}
