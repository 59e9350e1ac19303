#if canImport(Glibc)
import Glibc
#endif

/// `ping <ip-or-host> [count n] [size n] [timeout s]` (GUIDE.md §4.2): ICMP echo (RFC 792).
public struct PingOptions: Sendable, Equatable {
    /// GUIDE.md §4.2 marks the default count unverified ("5?"); this is the one place it lives.
    public static let defaultCount = 5
    /// GUIDE.md §4.2: size 1–1480 bytes. Read as the echo data after the 8-byte ICMP header
    /// (ping(8)'s `-s`); 1480 + 8 + 20 bytes of headers exceeds a 1500-byte MTU, so the
    /// largest size is fragmented.
    public static let sizeRange = 1...1480
    public static let defaultSize = 100
    /// GUIDE.md §4.2: seconds to wait for each reply, default 2.
    public static let defaultTimeout = Duration.seconds(2)
    /// Not in the guide: requests go out no faster than one a second, as ping(8) sends them.
    public static let defaultInterval = Duration.seconds(1)

    public var count: Int
    public var size: Int
    public var timeout: Duration
    public var interval: Duration
    /// nil: a ping socket, else a raw socket.
    public var socketKind: ICMPSocketKind?

    public init(count: Int = defaultCount, size: Int = defaultSize, timeout: Duration = defaultTimeout,
                interval: Duration = defaultInterval, socketKind: ICMPSocketKind? = nil) {
        self.count = count
        self.size = size
        self.timeout = timeout
        self.interval = interval
        self.socketKind = socketKind
    }

    public func validate() throws {
        guard PingOptions.sizeRange.contains(size) else {
            throw HostNetworkError.invalidOption(
                "invalid size \(size): must be \(PingOptions.sizeRange.lowerBound)–\(PingOptions.sizeRange.upperBound) bytes")
        }
        guard count >= 1 else { throw HostNetworkError.invalidOption("invalid count \(count): must be at least 1") }
        guard timeout > .zero else { throw HostNetworkError.invalidOption("invalid timeout: must be more than 0 seconds") }
    }
}

public struct PingReply: Sendable, Equatable {
    /// ICMP bytes received (header and data), as ping(8) counts them.
    public var bytes: Int
    public var from: IPv4Address
    public var sequence: Int
    public var ttl: Int?
    public var rtt: Duration
}

public struct PingSummary: Sendable, Equatable {
    public var sent: Int = 0
    public var received: Int = 0
    public var rtts: [Duration] = []

    /// Whole percent, rounded down as ping(8) prints it.
    public var lossPercent: Int { sent == 0 ? 0 : (sent - received) * 100 / sent }
    public var minimum: Duration? { rtts.min() }
    public var maximum: Duration? { rtts.max() }
    public var average: Duration? { rtts.isEmpty ? nil : rtts.reduce(.zero, +) / rtts.count }
}

public enum PingEvent: Sendable, Equatable {
    case started(host: String, address: IPv4Address, size: Int)
    case reply(PingReply)
    case timeout(sequence: Int)
    /// An ICMP error about the request (destination unreachable, time exceeded).
    case error(sequence: Int, from: IPv4Address?, type: UInt8, code: UInt8)
    case finished(PingSummary)

    /// The line a CLI prints, in ping(8)'s words; `finished` gives two lines.
    public var text: String {
        switch self {
        case .started(let host, let address, let size):
            return "PING \(host) (\(address)) \(size) data bytes"
        case .reply(let r):
            return "\(r.bytes) bytes from \(r.from): icmp_seq=\(r.sequence)"
                + (r.ttl.map { " ttl=\($0)" } ?? "") + " time=\(r.rtt.millisecondsText) ms"
        case .timeout(let sequence):
            return "Request timeout for icmp_seq=\(sequence)"
        case .error(let sequence, let from, let type, let code):
            return "From \(from?.description ?? "?") icmp_seq=\(sequence) \(icmpErrorText(type: type, code: code))"
        case .finished(let s):
            var text = "\(s.sent) packets transmitted, \(s.received) received, \(s.lossPercent)% packet loss"
            if let minimum = s.minimum, let average = s.average, let maximum = s.maximum {
                text += "\nrtt min/avg/max = \(minimum.millisecondsText)/\(average.millisecondsText)/\(maximum.millisecondsText) ms"
            }
            return text
        }
    }
}

/// RFC 792 names of the errors ping and traceroute report.
func icmpErrorText(type: UInt8, code: UInt8) -> String {
    switch (type, code) {
    case (ICMPCodec.timeExceeded, _): "Time to live exceeded"
    case (ICMPCodec.destinationUnreachable, 0): "Destination Net Unreachable"
    case (ICMPCodec.destinationUnreachable, 1): "Destination Host Unreachable"
    case (ICMPCodec.destinationUnreachable, 2): "Destination Protocol Unreachable"
    case (ICMPCodec.destinationUnreachable, 3): "Destination Port Unreachable"
    case (ICMPCodec.destinationUnreachable, 4): "Fragmentation needed"
    case (ICMPCodec.destinationUnreachable, _): "Destination Unreachable, code \(code)"
    default: "ICMP type \(type) code \(code)"
    }
}

public struct Ping: Sendable {
    public let host: String
    public let options: PingOptions

    /// Checks the options at once, so `ping x size 0` fails before anything is sent.
    public init(host: String, options: PingOptions = PingOptions()) throws {
        try options.validate()
        self.host = host
        self.options = options
    }

    /// Runs the ping on the calling thread, blocking, reporting each event as it happens;
    /// `isCancelled` is checked between probes and at least every 100 ms while waiting.
    /// Returns the summary (also reported as `.finished`), even when cancelled.
    @discardableResult
    public func run(isCancelled: () -> Bool = { Task.isCancelled }, onEvent: (PingEvent) -> Void) throws -> PingSummary {
        let target = try HostResolver.resolve(host)
        let socket = try ICMPSocket(kind: options.socketKind)
        let clock = ContinuousClock()
        let data = ICMPCodec.echoData(size: options.size)
        var summary = PingSummary()
        onEvent(.started(host: host, address: target, size: options.size))
        probes: for index in 0..<options.count {
            if isCancelled() { break }
            // icmp_seq counts from 1, as in ping(8).
            let sequence = UInt16(truncatingIfNeeded: index + 1)
            let sentAt = clock.now
            try socket.send(ICMPCodec.echoRequest(identifier: socket.identifier, sequence: sequence, data: data), to: target)
            summary.sent += 1
            waiting: while true {
                switch socket.receive(until: sentAt + options.timeout, isCancelled: isCancelled) {
                case .cancelled:
                    break probes
                case .timedOut:
                    onEvent(.timeout(sequence: Int(sequence)))
                    break waiting
                case .message(let packet, let from, let at):
                    if Ping.isReply(packet, from: from, to: target, identifier: socket.identifier,
                                    sequence: sequence, matchIdentifier: socket.kind == .raw) {
                        let rtt = at - sentAt
                        summary.received += 1
                        summary.rtts.append(rtt)
                        onEvent(.reply(PingReply(bytes: ICMPCodec.headerLength + packet.dataLength, from: from,
                                                 sequence: Int(sequence), ttl: packet.ttl.map(Int.init), rtt: rtt)))
                        break waiting
                    }
                    if let quoted = packet.quoted, quoted.header.destination == target, quoted.sequence == sequence,
                       quoted.identifier == socket.identifier {
                        onEvent(.error(sequence: Int(sequence), from: from, type: packet.type, code: packet.code))
                        break waiting
                    }
                case .error(let error, let original, _):
                    if error.origin == ExtendedError.originICMP, original?.sequence == sequence {
                        onEvent(.error(sequence: Int(sequence), from: error.offender, type: error.type, code: error.code))
                        break waiting
                    }
                }
            }
            if index + 1 < options.count {
                // Pace the next request, still answering cancellation.
                let next = sentAt + options.interval
                while clock.now < next {
                    if isCancelled() { break probes }
                    pause(min(next - clock.now, .milliseconds(100)))
                }
            }
        }
        onEvent(.finished(summary))
        return summary
    }

    /// The same run on its own thread, as a stream; cancelling the consuming task stops it.
    public func events() -> AsyncThrowingStream<PingEvent, any Error> {
        eventStream { isCancelled, onEvent in try self.run(isCancelled: isCancelled, onEvent: onEvent) }
    }

    /// An echo reply to our request: same sequence, from the target. A raw socket sees
    /// every echo reply to the host, so there the identifier must match too; a ping socket
    /// only gets its own, with the identifier the kernel chose.
    static func isReply(_ packet: ICMPPacket, from: IPv4Address, to target: IPv4Address, identifier: UInt16,
                        sequence: UInt16, matchIdentifier: Bool) -> Bool {
        packet.type == ICMPCodec.echoReply && packet.code == 0 && packet.sequence == sequence && from == target
            && (!matchIdentifier || packet.identifier == identifier)
    }
}

/// Blocks the calling thread for `duration` (sub-second), without the async clock API.
func pause(_ duration: Duration) {
    guard duration > .zero else { return }
    let (seconds, attoseconds) = duration.components
    usleep(UInt32(clamping: seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
}
