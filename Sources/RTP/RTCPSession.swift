// The RTCP side of one RTP session: when to report (every 5 s on the owner's injected
// monotonic clock), what to report (SR when we send, a report block for the source we
// receive, SDES CNAME, BYE at the end), and the round trip time from the far end's blocks
// (RFC 3550 §6.4.1: A - LSR - DLSR).

public enum NTPTime {
    /// Seconds between 1900-01-01 (NTP) and 1970-01-01 (Unix).
    public static let unixOffset: UInt64 = 2_208_988_800

    /// An NTP timestamp from Unix time (e.g. clock_gettime(CLOCK_REALTIME)).
    public static func from(unixSeconds: UInt64, nanoseconds: UInt32) -> UInt64 {
        (unixSeconds + unixOffset) << 32 | (UInt64(nanoseconds) << 32) / 1_000_000_000
    }

    public static func middle32(_ ntp: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ntp >> 16) }

    /// The round trip of §6.4.1 from the middle 32 bits of the NTP time a report block arrived,
    /// its LSR and its DLSR (all in 1/65536 s). Nil when the block quotes no SR or the figures
    /// are inconsistent (a negative time).
    public static func roundTrip(arrival: UInt32, lastSR: UInt32, delaySinceLastSR: UInt32) -> Duration? {
        guard lastSR != 0 else { return nil }
        let sinceSR = arrival &- lastSR
        guard sinceSR >= delaySinceLastSR, sinceSR < 0x8000_0000 else { return nil }
        let units = UInt64(sinceSR - delaySinceLastSR)
        return .nanoseconds(Int64(units * 1_000_000_000 / 65536))
    }
}

public struct RTCPSession: Sendable {
    public let ssrc: UInt32
    public let cname: String
    /// RFC 3550 §6.2 computes the interval from the session bandwidth, with a 5 s minimum; a
    /// two-party call sits at the minimum. Not randomised (§6.3.1's [0.5, 1.5] factor is for
    /// large sessions that must not synchronise).
    public var interval: Duration
    /// When the next report is due, on the owner's clock.
    public private(set) var nextReport: Duration
    /// The last round trip time measured.
    public private(set) var roundTrip: Duration?
    /// The last report block the far end sent about our stream.
    public private(set) var remoteReport: RTCPReportBlock?
    public private(set) var remoteCNAME: String?
    public private(set) var remoteBye = false
    public private(set) var reportsSent = 0
    private var lastSR: (middle: UInt32, arrival: Duration)?

    public init(ssrc: UInt32, cname: String, start: Duration, interval: Duration = .seconds(5)) {
        self.ssrc = ssrc
        self.cname = cname
        self.interval = interval
        self.nextReport = start + interval
    }

    public func isDue(_ now: Duration) -> Bool { now >= nextReport }

    /// A compound report (SR or RR, SDES CNAME), and the next deadline moved on by one interval
    /// from the last (not from `now`, so a late timer does not drift the schedule; a very late
    /// one skips the missed slots).
    public mutating func makeReport(now: Duration, ntp: UInt64, sent: RTPSendStatistics, receiver: inout RTPReceiver) -> [UInt8] {
        nextReport = nextReport + interval
        while nextReport <= now { nextReport = nextReport + interval }
        reportsSent += 1
        return RTCPCompound.serialize(reportPackets(now: now, ntp: ntp, sent: sent, receiver: &receiver)
                                      + [.sourceDescription([RTCPSDESChunk(ssrc: ssrc, cname: cname)])])
    }

    /// The last compound packet of the session: report, SDES and BYE (§6.6).
    public mutating func makeBye(now: Duration, ntp: UInt64, sent: RTPSendStatistics, receiver: inout RTPReceiver,
                                 reason: String? = nil) -> [UInt8] {
        RTCPCompound.serialize(reportPackets(now: now, ntp: ntp, sent: sent, receiver: &receiver)
                               + [.sourceDescription([RTCPSDESChunk(ssrc: ssrc, cname: cname)]), .bye(ssrcs: [ssrc], reason: reason)])
    }

    /// A compound packet from the far end, `ntp` the wallclock at its arrival.
    @discardableResult
    public mutating func receive(_ bytes: [UInt8], now: Duration, ntp: UInt64) throws(RTCPError) -> [RTCPPacket] {
        let packets = try RTCPCompound.parse(bytes)
        for p in packets {
            switch p {
            case .senderReport(_, let info, let reports):
                lastSR = (info.middle32, now)
                take(reports, ntp: ntp)
            case .receiverReport(_, let reports):
                take(reports, ntp: ntp)
            case .sourceDescription(let chunks):
                if let c = chunks.first?.cname { remoteCNAME = c }
            case .bye:
                remoteBye = true
            case .other:
                break
            }
        }
        return packets
    }

    private mutating func take(_ reports: [RTCPReportBlock], ntp: UInt64) {
        guard let mine = reports.first(where: { $0.ssrc == ssrc }) else { return }
        remoteReport = mine
        if let rtt = NTPTime.roundTrip(arrival: NTPTime.middle32(ntp), lastSR: mine.lastSR, delaySinceLastSR: mine.delaySinceLastSR) {
            roundTrip = rtt
        }
    }

    private func reportPackets(now: Duration, ntp: UInt64, sent: RTPSendStatistics, receiver: inout RTPReceiver) -> [RTCPPacket] {
        var blocks: [RTCPReportBlock] = []
        if let source = receiver.lockedSSRC {
            let (fraction, cumulative) = receiver.intervalLoss()
            var block = RTCPReportBlock(ssrc: source, fractionLost: fraction, cumulativeLost: cumulative,
                                        extendedHighestSequence: receiver.statistics.extendedHighestSequence,
                                        jitter: receiver.statistics.jitter)
            if let lastSR {
                block.lastSR = lastSR.middle
                let (s, atto) = (now - lastSR.arrival).components
                block.delaySinceLastSR = UInt32(clamping: s * 65536 + Int64(Double(atto) * 65536e-18))
            }
            blocks.append(block)
        }
        if sent.packets > 0 {
            let info = RTCPSenderInfo(ntpTimestamp: ntp, rtpTimestamp: sent.lastTimestamp,
                                      // The last packet's timestamp, not one extrapolated to `ntp`:
                                      // a phone has no second stream to synchronise with.
                                      packetCount: UInt32(truncatingIfNeeded: sent.packets),
                                      octetCount: UInt32(truncatingIfNeeded: sent.octets))
            return [.senderReport(ssrc: ssrc, info: info, reports: blocks)]
        }
        return [.receiverReport(ssrc: ssrc, reports: blocks)]
    }
}
