// RFC 4733 telephone-events: the 4-byte payload (§2.3), a sender for one keyed digit
// (§2.5.1) and a receiver that reports each event once (§2.5.2).

/// The payload of a telephone-event packet.
public struct TelephoneEvent: Sendable, Hashable {
    /// 0–9, 10 = *, 11 = #, 12–15 = A–D, 16 = flash (§3.2).
    public var event: UInt8
    public var end: Bool
    /// Power level, 0 to 63 as -dBm0 (§2.3.4).
    public var volume: UInt8
    /// Timestamp units since the event's timestamp.
    public var duration: UInt16

    public init(event: UInt8, end: Bool = false, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume & 0x3F
        self.duration = duration
    }

    public init?(payload b: some Collection<UInt8>) {
        guard b.count >= 4 else { return nil }
        var i = b.startIndex
        let e = b[i]; i = b.index(after: i)
        let flags = b[i]; i = b.index(after: i)
        let hi = b[i]; i = b.index(after: i)
        let lo = b[i]
        self.init(event: e, end: flags & 0x80 != 0, volume: flags & 0x3F, duration: UInt16(hi) << 8 | UInt16(lo))
    }

    /// The R bit is sent as zero (§2.3.3).
    public var payload: [UInt8] {
        [event, (end ? 0x80 : 0) | (volume & 0x3F), UInt8(duration >> 8), UInt8(truncatingIfNeeded: duration)]
    }

    /// A keypad character's event code.
    public static func code(for key: Character) -> UInt8? {
        switch key {
        case "0"..."9": key.asciiValue.map { $0 - 0x30 }
        case "*": 10
        case "#": 11
        case "A"..."D": key.asciiValue.map { $0 - 0x41 + 12 }
        case "a"..."d": key.asciiValue.map { $0 - 0x61 + 12 }
        default: nil
        }
    }

    public static func key(for code: UInt8) -> Character? {
        switch code {
        case 0...9: Character(Unicode.Scalar(0x30 + code))
        case 10: "*"
        case 11: "#"
        case 12...15: Character(Unicode.Scalar(0x41 + code - 12))
        default: nil
        }
    }
}

/// One packet to send: the RTP timestamp and marker, and the payload.
public struct TelephoneEventPacket: Sendable, Hashable {
    public var timestamp: UInt32
    public var marker: Bool
    public var event: TelephoneEvent
    public var payload: [UInt8] { event.payload }
}

/// The sender of one event at a time. The owner calls `start` when the key goes down,
/// `tick` every packet interval while it is held, and `stop` when it is released; each
/// returns what to send through `RTPSender.packet(payloadType:timestamp:marker:payload:)`.
/// All packets of an event have the event's timestamp (§2.5.1.1); the first has the marker
/// (§2.5.1.1); the duration grows by the interval (§2.5.1.2); the end packet is sent three
/// times with the same duration (§2.5.1.4). Durations past 0xFFFF are capped (a 8 s key
/// press; §2.5.1.3's segments are not implemented).
public struct TelephoneEventSender: Sendable {
    public let interval: UInt16
    public let volume: UInt8
    public private(set) var current: TelephoneEvent?
    public private(set) var timestamp: UInt32 = 0

    /// `interval`: timestamp units per packet (160 = 20 ms at 8 kHz).
    public init(interval: UInt16 = 160, volume: UInt8 = 10) {
        self.interval = interval
        self.volume = volume
    }

    public var isActive: Bool { current != nil }

    /// The first packet of an event at media timestamp `timestamp`: marker set, duration one
    /// interval (the audio it replaces). An event still running is ended first.
    public mutating func start(event: UInt8, timestamp: UInt32) -> [TelephoneEventPacket] {
        var out = isActive ? stop() : []
        self.timestamp = timestamp
        let e = TelephoneEvent(event: event, volume: volume, duration: interval)
        current = e
        out.append(TelephoneEventPacket(timestamp: timestamp, marker: true, event: e))
        return out
    }

    /// The update packet of the next interval while the key is held.
    public mutating func tick() -> TelephoneEventPacket? {
        guard var e = current else { return nil }
        e.duration = UInt16(clamping: Int(e.duration) + Int(interval))
        current = e
        return TelephoneEventPacket(timestamp: timestamp, marker: false, event: e)
    }

    /// The three end packets (the duration of the last update plus one interval).
    public mutating func stop() -> [TelephoneEventPacket] {
        guard var e = current else { return [] }
        e.duration = UInt16(clamping: Int(e.duration) + Int(interval))
        e.end = true
        current = nil
        let p = TelephoneEventPacket(timestamp: timestamp, marker: false, event: e)
        return [p, p, p]
    }

    /// Every packet of a digit held for `duration` timestamp units, in sending order, one
    /// interval apart (the end packets back to back).
    public static func packets(event: UInt8, timestamp: UInt32, duration: Int, interval: UInt16 = 160, volume: UInt8 = 10) -> [TelephoneEventPacket] {
        var s = TelephoneEventSender(interval: interval, volume: volume)
        var out = s.start(event: event, timestamp: timestamp)
        var d = Int(interval)
        while d + Int(interval) < duration, let p = s.tick() {
            out.append(p)
            d += Int(interval)
        }
        return out + s.stop()
    }
}

/// Reports each received event once, whatever the losses and repetitions: an event is
/// identified by its RTP timestamp (§2.5.2.1); its start is reported when the first packet
/// with a new timestamp arrives (marker or not: the marked one may be lost), its end once
/// when a packet with the E bit arrives.
public struct TelephoneEventReceiver: Sendable {
    public enum Report: Sendable, Hashable {
        case began(event: UInt8, timestamp: UInt32)
        case ended(event: UInt8, timestamp: UInt32, duration: UInt16)
    }

    private var currentTimestamp: UInt32?
    private var ended = false
    /// Packets that were not telephone-events (shorter than 4 bytes).
    public private(set) var malformed = 0

    public init() {}

    /// The payload of a packet with the negotiated telephone-event payload type.
    public mutating func receive(payload: some Collection<UInt8>, timestamp: UInt32) -> [Report] {
        guard let e = TelephoneEvent(payload: payload) else { malformed += 1; return [] }
        var out: [Report] = []
        if timestamp != currentTimestamp {
            // An older timestamp than the current event is a late packet of an event already
            // reported (RTP timestamps compared modulo 2^32).
            if let c = currentTimestamp, Int32(bitPattern: timestamp &- c) < 0 { return [] }
            currentTimestamp = timestamp
            ended = false
            out.append(.began(event: e.event, timestamp: timestamp))
        }
        if e.end && !ended {
            ended = true
            out.append(.ended(event: e.event, timestamp: timestamp, duration: e.duration))
        }
        return out
    }
}
