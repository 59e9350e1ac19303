// The send side of an RTP stream (RFC 3550 §5.1): SSRC, sequence numbers and timestamps
// from random starting points, the marker on the first packet of each talkspurt (RFC 3551
// §4.1), and the counts of RTP-TxStat and the RTCP sender report.

/// Counts of what a sender sent (RFC 3550 §6.4.1 packet and octet counts).
public struct RTPSendStatistics: Sendable, Hashable {
    public var packets: UInt64 = 0
    /// Payload octets (not headers or padding), as RTCP and RTP-TxStat count them.
    public var octets: UInt64 = 0
    /// The RTP timestamp of the last packet sent (for the sender report).
    public var lastTimestamp: UInt32 = 0
    public init() {}
}

public struct RTPSender: Sendable {
    public let ssrc: UInt32
    public var payloadType: UInt8
    /// The sequence number the next packet gets.
    public private(set) var sequenceNumber: UInt16
    /// The media timestamp of the next audio frame.
    public private(set) var timestamp: UInt32
    public private(set) var statistics = RTPSendStatistics()
    private var startOfTalkspurt = true

    public init(payloadType: UInt8, ssrc: UInt32, initialSequence: UInt16, initialTimestamp: UInt32) {
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.sequenceNumber = initialSequence
        self.timestamp = initialTimestamp
    }

    /// Random SSRC, first sequence number and first timestamp (RFC 3550 §5.1: "SHOULD be random").
    public init(payloadType: UInt8, using generator: inout some RandomNumberGenerator) {
        self.init(payloadType: payloadType, ssrc: UInt32.random(in: .min ... .max, using: &generator),
                  initialSequence: UInt16.random(in: .min ... .max, using: &generator),
                  initialTimestamp: UInt32.random(in: .min ... .max, using: &generator))
    }

    public init(payloadType: UInt8) {
        var g = SystemRandomNumberGenerator()
        self.init(payloadType: payloadType, using: &g)
    }

    /// The next audio packet: `samples` is the frame's length in timestamp units (160 for
    /// 20 ms of G.711). The first packet and the first after `skip` carry the marker.
    public mutating func packet(payload: some Collection<UInt8>, samples: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        packet(payload: payload, samples: samples, into: &out)
        return out
    }

    /// The same, written over `out` (kept by the caller from packet to packet: no allocation
    /// once it has grown to a packet's size).
    public mutating func packet(payload: some Collection<UInt8>, samples: UInt32, into out: inout [UInt8]) {
        let header = RTPHeader(marker: startOfTalkspurt, payloadType: payloadType, sequenceNumber: sequenceNumber,
                               timestamp: timestamp, ssrc: ssrc)
        startOfTalkspurt = false
        timestamp &+= samples
        emit(header, payload, into: &out)
    }

    /// A frame not sent (silence suppressed, or a telephone-event in its place): the clock runs
    /// on. With `newTalkspurt` (the default) the next audio packet carries the marker.
    public mutating func skip(samples: UInt32, newTalkspurt: Bool = true) {
        timestamp &+= samples
        if newTalkspurt { startOfTalkspurt = true }
    }

    /// A packet with its own payload type, timestamp and marker, in this stream's sequence:
    /// RFC 4733 events share the SSRC and sequence space of the audio (§2.1).
    public mutating func packet(payloadType pt: UInt8, timestamp ts: UInt32, marker: Bool, payload: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        packet(payloadType: pt, timestamp: ts, marker: marker, payload: payload, into: &out)
        return out
    }

    public mutating func packet(payloadType pt: UInt8, timestamp ts: UInt32, marker: Bool, payload: some Collection<UInt8>,
                                into out: inout [UInt8]) {
        emit(RTPHeader(marker: marker, payloadType: pt, sequenceNumber: sequenceNumber, timestamp: ts, ssrc: ssrc), payload, into: &out)
    }

    private mutating func emit(_ header: RTPHeader, _ payload: some Collection<UInt8>, into out: inout [UInt8]) {
        sequenceNumber &+= 1
        statistics.packets += 1
        statistics.octets += UInt64(payload.count)
        statistics.lastTimestamp = header.timestamp
        out.removeAll(keepingCapacity: true)
        header.write(to: &out)
        out.append(contentsOf: payload)
    }
}
