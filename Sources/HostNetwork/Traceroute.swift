/// `traceroute <ip-or-host>` (GUIDE.md §4.2, options unverified): ICMP echo requests with
/// increasing TTL through the same socket kind as `Ping`; each router where the TTL runs out
/// answers time exceeded (RFC 792), the destination answers the echo.
public struct TracerouteOptions: Sendable, Equatable {
    /// traceroute(8)'s defaults: 30 hops, 3 probes a hop.
    public static let defaultMaxHops = 30
    public static let defaultProbesPerHop = 3
    /// traceroute(8) waits 5 s; 2 s is the guide's ping timeout (§4.2), which keeps a
    /// silent hop to 6 s instead of 15 s on a phone's console.
    public static let defaultTimeout = Duration.seconds(2)
    /// Echo data bytes of each probe (traceroute(8) sends 60-byte packets: 20 + 8 + 32).
    public static let defaultSize = 32

    public var maxHops: Int
    public var probesPerHop: Int
    public var timeout: Duration
    public var size: Int
    public var socketKind: ICMPSocketKind?

    public init(maxHops: Int = defaultMaxHops, probesPerHop: Int = defaultProbesPerHop,
                timeout: Duration = defaultTimeout, size: Int = defaultSize, socketKind: ICMPSocketKind? = nil) {
        self.maxHops = maxHops
        self.probesPerHop = probesPerHop
        self.timeout = timeout
        self.size = size
        self.socketKind = socketKind
    }

    public func validate() throws {
        guard (1...255).contains(maxHops) else { throw HostNetworkError.invalidOption("invalid max hops \(maxHops): must be 1–255") }
        guard (1...10).contains(probesPerHop) else {
            throw HostNetworkError.invalidOption("invalid probes per hop \(probesPerHop): must be 1–10")
        }
        guard PingOptions.sizeRange.contains(size) else {
            throw HostNetworkError.invalidOption(
                "invalid size \(size): must be \(PingOptions.sizeRange.lowerBound)–\(PingOptions.sizeRange.upperBound) bytes")
        }
        guard timeout > .zero else { throw HostNetworkError.invalidOption("invalid timeout: must be more than 0 seconds") }
    }
}

/// One probe's answer; `from` nil and `rtt` nil is a time-out (`*`).
public struct TracerouteProbe: Sendable, Equatable {
    public enum Answer: Sendable, Equatable {
        case timeExceeded
        /// The destination's echo reply.
        case reached
        /// Destination unreachable, with its RFC 792 code.
        case unreachable(code: UInt8)
        case timeout
    }
    public var answer: Answer
    public var from: IPv4Address?
    public var rtt: Duration?

    public static let timeout = TracerouteProbe(answer: .timeout, from: nil, rtt: nil)
}

public struct TracerouteHop: Sendable, Equatable {
    public var ttl: Int
    public var probes: [TracerouteProbe]

    /// The hop line, traceroute(8) style: ` 1  192.0.2.1  0.412 ms  0.388 ms  *`, the
    /// address printed again only when it changes; `!H`, `!N`, `!P` … mark unreachables.
    public var text: String {
        var line = (ttl < 10 ? " " : "") + "\(ttl) "
        var last: IPv4Address?
        for probe in probes {
            guard let from = probe.from, let rtt = probe.rtt else {
                line += " *"
                continue
            }
            if from != last { line += " \(from)" }
            last = from
            line += "  \(rtt.millisecondsText) ms"
            if case .unreachable(let code) = probe.answer {
                line += " " + (["!N", "!H", "!P", "!P", "!F"].indices.contains(Int(code)) ? ["!N", "!H", "!P", "!P", "!F"][Int(code)] : "!<\(code)>")
            }
        }
        return line
    }
}

public enum TracerouteEvent: Sendable, Equatable {
    case started(host: String, address: IPv4Address, maxHops: Int)
    case hop(TracerouteHop)
    /// `reached`: the destination answered (or said it is unreachable) within maxHops.
    case finished(reached: Bool)

    public var text: String {
        switch self {
        case .started(let host, let address, let maxHops): "traceroute to \(host) (\(address)), \(maxHops) hops max"
        case .hop(let hop): hop.text
        case .finished(let reached): reached ? "trace complete" : "destination not reached"
        }
    }
}

public struct Traceroute: Sendable {
    public let host: String
    public let options: TracerouteOptions

    public init(host: String, options: TracerouteOptions = TracerouteOptions()) throws {
        try options.validate()
        self.host = host
        self.options = options
    }

    /// Runs on the calling thread, blocking; one `.hop` event per TTL once its probes are
    /// done. Stops at the destination, at maxHops, or when `isCancelled` (checked between
    /// probes and every 100 ms while waiting). Returns the hops traced.
    @discardableResult
    public func run(isCancelled: () -> Bool = { Task.isCancelled }, onEvent: (TracerouteEvent) -> Void) throws -> [TracerouteHop] {
        let target = try HostResolver.resolve(host)
        let socket = try ICMPSocket(kind: options.socketKind)
        let clock = ContinuousClock()
        let data = ICMPCodec.echoData(size: options.size)
        var hops: [TracerouteHop] = []
        var sequence: UInt16 = 0
        var reached = false
        onEvent(.started(host: host, address: target, maxHops: options.maxHops))
        hopLoop: for ttl in 1...options.maxHops {
            try socket.setTTL(ttl)
            var hop = TracerouteHop(ttl: ttl, probes: [])
            for _ in 0..<options.probesPerHop {
                if isCancelled() { break hopLoop }
                sequence &+= 1
                let sentAt = clock.now
                try socket.send(ICMPCodec.echoRequest(identifier: socket.identifier, sequence: sequence, data: data), to: target)
                var probe: TracerouteProbe?
                while probe == nil {
                    switch socket.receive(until: sentAt + options.timeout, isCancelled: isCancelled) {
                    case .cancelled:
                        break hopLoop
                    case .timedOut:
                        probe = .timeout
                    case .message(let packet, let from, let at):
                        probe = Traceroute.answer(packet, from: from, at: at - sentAt, target: target,
                                                  identifier: socket.identifier, sequence: sequence,
                                                  matchIdentifier: socket.kind == .raw)
                    case .error(let error, let original, let at):
                        probe = Traceroute.answer(error, original: original, at: at - sentAt, sequence: sequence)
                    }
                }
                if let probe { hop.probes.append(probe) }
            }
            hops.append(hop)
            onEvent(.hop(hop))
            if hop.probes.contains(where: { $0.answer == .reached || $0.answer != .timeExceeded && $0.answer != .timeout }) {
                reached = true
                break
            }
        }
        onEvent(.finished(reached: reached))
        return hops
    }

    public func events() -> AsyncThrowingStream<TracerouteEvent, any Error> {
        eventStream { isCancelled, onEvent in try self.run(isCancelled: isCancelled, onEvent: onEvent) }
    }

    /// What a message on the socket says about our probe `sequence`, nil when it is not
    /// about it: the echo reply from the target, or an error quoting our request.
    static func answer(_ packet: ICMPPacket, from: IPv4Address, at rtt: Duration, target: IPv4Address,
                       identifier: UInt16, sequence: UInt16, matchIdentifier: Bool) -> TracerouteProbe? {
        if Ping.isReply(packet, from: from, to: target, identifier: identifier, sequence: sequence,
                        matchIdentifier: matchIdentifier) {
            return TracerouteProbe(answer: .reached, from: from, rtt: rtt)
        }
        guard let quoted = packet.quoted, quoted.header.destination == target, quoted.icmpType == ICMPCodec.echoRequest,
              quoted.sequence == sequence, !matchIdentifier || quoted.identifier == identifier else { return nil }
        switch packet.type {
        case ICMPCodec.timeExceeded: return TracerouteProbe(answer: .timeExceeded, from: from, rtt: rtt)
        case ICMPCodec.destinationUnreachable: return TracerouteProbe(answer: .unreachable(code: packet.code), from: from, rtt: rtt)
        default: return nil
        }
    }

    /// The same for a ping socket's error queue: the offender is the hop, the quoted
    /// request (our own ICMP header) carries the sequence.
    static func answer(_ error: ExtendedError, original: ICMPPacket?, at rtt: Duration, sequence: UInt16) -> TracerouteProbe? {
        guard error.origin == ExtendedError.originICMP, original?.sequence == sequence else { return nil }
        switch error.type {
        case ICMPCodec.timeExceeded: return TracerouteProbe(answer: .timeExceeded, from: error.offender, rtt: rtt)
        case ICMPCodec.destinationUnreachable:
            return TracerouteProbe(answer: .unreachable(code: error.code), from: error.offender, rtt: rtt)
        default: return nil
        }
    }
}
