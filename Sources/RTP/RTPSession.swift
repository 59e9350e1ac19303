// One call's RTP session, sans I/O: the sender, the receiver, RTCP and RFC 4733 for both
// directions put together the way a call uses them. The owner (the call layer) calls
// `frame` once per packet interval from its frame pacer, feeds datagrams to `receive` /
// `receiveRTCP`, sends what they return through its RTPSocketPair, and asks `rtcpIfDue` on
// its clock. Payloads are already encoded (G.711 lives in Media).

public struct RTPSession: Sendable {
    public var sender: RTPSender
    public var receiver: RTPReceiver
    public var rtcp: RTCPSession
    public private(set) var dtmfSender: TelephoneEventSender
    public private(set) var dtmfReceiver = TelephoneEventReceiver()
    /// The audio payload type the far end sends (the same number as ours, RFC 3264 §6.1); any
    /// other payload type that is not telephone-event is reported as `.otherPayloadType`.
    public var audioPayloadType: UInt8
    /// The negotiated telephone-event payload type; nil: no RFC 4733 either way.
    public var dtmfPayloadType: UInt8?
    /// Timestamp units per packet (160 = 20 ms at 8 kHz).
    public let samplesPerPacket: UInt32
    /// The shortest telephone-event sent: a key released sooner is held this long (RFC 4733
    /// gives no minimum; 100 ms, 5 packets, is what DTMF receivers reliably detect).
    public var minimumEventPackets: Int
    /// When the first packet went out (RTP-TxStat's Dur).
    public private(set) var firstSent: Duration?

    private var pendingDigit: UInt8?
    private var stopRequested = false
    private var eventPackets = 0
    /// The packet being sent (`frame(_:now:send:)`), reused from frame to frame.
    private var packetBuffer: [UInt8] = []

    public init(payloadType: UInt8, dtmfPayloadType: UInt8?, expectedSource: RTPEndpoint?, cname: String, start: Duration,
                clockRate: Int = 8000, samplesPerPacket: UInt32 = 160, minimumEventPackets: Int = 5,
                using generator: inout some RandomNumberGenerator) {
        sender = RTPSender(payloadType: payloadType, using: &generator)
        receiver = RTPReceiver(clockRate: clockRate, expectedSource: expectedSource)
        rtcp = RTCPSession(ssrc: sender.ssrc, cname: cname, start: start)
        dtmfSender = TelephoneEventSender(interval: UInt16(clamping: samplesPerPacket))
        audioPayloadType = payloadType
        self.dtmfPayloadType = dtmfPayloadType
        self.samplesPerPacket = samplesPerPacket
        self.minimumEventPackets = minimumEventPackets
    }

    public init(payloadType: UInt8, dtmfPayloadType: UInt8?, expectedSource: RTPEndpoint?, cname: String, start: Duration) {
        var g = SystemRandomNumberGenerator()
        self.init(payloadType: payloadType, dtmfPayloadType: dtmfPayloadType, expectedSource: expectedSource, cname: cname,
                  start: start, using: &g)
    }

    // MARK: Sending

    /// A key went down: its telephone-events start at the next frame. False when no
    /// telephone-event was negotiated (the owner plays in-band DTMF instead, Media's
    /// `Tone.dtmf`) or the character is not a DTMF key.
    @discardableResult
    public mutating func keyDown(_ key: Character) -> Bool {
        guard dtmfPayloadType != nil, let code = TelephoneEvent.code(for: key) else { return false }
        pendingDigit = code
        stopRequested = false
        return true
    }

    /// The key came up: the event ends at the next frame (or once it has lasted the minimum).
    public mutating func keyUp() {
        if pendingDigit != nil || dtmfSender.isActive { stopRequested = true }
    }

    /// True while a telephone-event is being sent (the audio frames are replaced by it).
    public var sendingEvent: Bool { pendingDigit != nil || dtmfSender.isActive }

    /// The packets for this frame interval: the audio frame's, or while a key is held the
    /// telephone-event's (RFC 4733 §2.5.1: start with the marker, updates, three end packets,
    /// the audio clock running on underneath). `payload` is the encoded frame; nil (silence
    /// suppressed, or the stream is on hold) sends nothing and marks the next talkspurt.
    public mutating func frame(_ payload: [UInt8]?, now: Duration) -> [[UInt8]] {
        var out: [[UInt8]] = []
        frame(payload, now: now) { out.append(Array($0)) }
        return out
    }

    /// The same, each packet handed to `send` as it is made, in one buffer the session keeps
    /// (valid during the call only): no allocation per packet on the media thread.
    public mutating func frame(_ payload: [UInt8]?, now: Duration, send: ([UInt8]) -> Void) {
        var sent = false
        if let dtmf = dtmfPayloadType, sendingEvent {
            var events: [TelephoneEventPacket] = []
            if let code = pendingDigit {
                pendingDigit = nil
                events = dtmfSender.start(event: code, timestamp: sender.timestamp)
                eventPackets = 1
            } else if stopRequested && eventPackets >= minimumEventPackets {
                events = dtmfSender.stop()
                stopRequested = false
            } else if let p = dtmfSender.tick() {
                events = [p]
                eventPackets += 1
            }
            for e in events {
                sender.packet(payloadType: dtmf, timestamp: e.timestamp, marker: e.marker, payload: e.payload, into: &packetBuffer)
                send(packetBuffer)
                sent = true
            }
            sender.skip(samples: samplesPerPacket, newTalkspurt: false)
        } else if let payload {
            sender.packet(payload: payload, samples: samplesPerPacket, into: &packetBuffer)
            send(packetBuffer)
            sent = true
        } else {
            sender.skip(samples: samplesPerPacket)
        }
        if firstSent == nil && sent { firstSent = now }
    }

    // MARK: Receiving

    public enum Incoming: Sendable, Hashable {
        /// Audio to decode and play: the payload is `bytes[header.payloadRange]`.
        case audio(RTPHeader)
        /// A telephone-event began or ended (each reported once).
        case digit(TelephoneEventReceiver.Report)
        /// A packet of the source with a payload type that is neither (comfort noise, ...).
        case otherPayloadType(RTPHeader)
        case duplicate
        case dropped(RTPDropReason)
    }

    /// One RTP datagram. Packets on probation (the first of a new source) are played too:
    /// they already passed the address check.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: RTPEndpoint, arrival: Duration) -> [Incoming] {
        var out: [Incoming] = []
        receive(bytes, from: source, arrival: arrival) { out.append($0) }
        return out
    }

    /// The same, what the datagram holds handed to `each` (no array per packet).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: RTPEndpoint, arrival: Duration,
                                 each: (Incoming) -> Void) {
        let header: RTPHeader
        switch receiver.receive(bytes, from: source, arrival: arrival) {
        case .accepted(let h), .probation(let h): header = h
        case .duplicate: return each(.duplicate)
        case .dropped(let reason): return each(.dropped(reason))
        }
        if let dtmf = dtmfPayloadType, header.payloadType == dtmf {
            let payload = UnsafeRawBufferPointer(rebasing: bytes[header.payloadRange])
            for report in dtmfReceiver.receive(payload: payload, timestamp: header.timestamp) { each(.digit(report)) }
            return
        }
        each(header.payloadType == audioPayloadType ? .audio(header) : .otherPayloadType(header))
    }

    public mutating func receive(_ bytes: [UInt8], from source: RTPEndpoint, arrival: Duration) -> [Incoming] {
        bytes.withUnsafeBytes { receive($0, from: source, arrival: arrival) }
    }

    // MARK: RTCP and statistics

    /// The compound report to send now, if one is due (every 5 s).
    public mutating func rtcpIfDue(now: Duration, ntp: UInt64) -> [UInt8]? {
        guard rtcp.isDue(now) else { return nil }
        return rtcp.makeReport(now: now, ntp: ntp, sent: sender.statistics, receiver: &receiver)
    }

    @discardableResult
    public mutating func receiveRTCP(_ bytes: [UInt8], now: Duration, ntp: UInt64) throws(RTCPError) -> [RTCPPacket] {
        try rtcp.receive(bytes, now: now, ntp: ntp)
    }

    /// The last RTCP packet, with BYE (RFC 3550 §6.6), when the call ends.
    public mutating func bye(now: Duration, ntp: UInt64) -> [UInt8] {
        rtcp.makeBye(now: now, ntp: ntp, sent: sender.statistics, receiver: &receiver)
    }

    /// The RTP-RxStat and RTP-TxStat header values (GUIDE §9.9).
    public func rxStat(now: Duration, late: Int? = nil) -> String { CallStatistics.rxStat(receiver.statistics, now: now, late: late) }
    public func txStat(now: Duration) -> String { CallStatistics.txStat(sender.statistics, started: firstSent, now: now) }
}
