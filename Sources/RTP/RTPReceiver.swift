// The receive side of an RTP stream: source filtering (address, version, size, SSRC), and
// the statistics of RFC 3550 Appendix A.1 (sequence validation with probation and wrap),
// A.3 (expected, lost, fraction lost) and A.8 (interarrival jitter), plus duplicates and
// packets out of order.

/// A transport address without NIO or Strings: the adapter converts its `SocketAddress`.
public struct RTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        case v4(UInt32)
        case v6(UInt64, UInt64)
    }

    public var address: Address
    public var port: UInt16

    public init(address: Address, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// From SDP's dotted-quad text (IPv4 only; nil for a name or IPv6 text).
    public init?(ipv4 text: String, port: UInt16) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard p.count <= 3, let o = UInt8(p) else { return nil }
            v = v << 8 | UInt32(o)
        }
        self.init(address: .v4(v), port: port)
    }

    public var description: String {
        switch address {
        case .v4(let v): "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF):\(port)"
        case .v6(let hi, let lo): "[\(String(hi, radix: 16)):\(String(lo, radix: 16))]:\(port)"
        }
    }
}

/// Why a datagram was dropped; each reason has its own counter.
public enum RTPDropReason: String, Sendable, Hashable, CaseIterable {
    case wrongSource, badVersion, tooShort, wrongSSRC, malformed
}

public struct RTPDropCounts: Sendable, Hashable {
    public var wrongSource = 0
    public var badVersion = 0
    public var tooShort = 0
    public var wrongSSRC = 0
    /// Bad padding (the header itself was whole).
    public var malformed = 0
    /// Duplicates are dropped too, counted in the statistics.
    public init() {}

    public subscript(reason: RTPDropReason) -> Int {
        get {
            switch reason {
            case .wrongSource: wrongSource
            case .badVersion: badVersion
            case .tooShort: tooShort
            case .wrongSSRC: wrongSSRC
            case .malformed: malformed
            }
        }
        set {
            switch reason {
            case .wrongSource: wrongSource = newValue
            case .badVersion: badVersion = newValue
            case .tooShort: tooShort = newValue
            case .wrongSSRC: wrongSSRC = newValue
            case .malformed: malformed = newValue
            }
        }
    }

    public var total: Int { RTPDropReason.allCases.reduce(0) { $0 + self[$1] } }
}

/// What happened to one datagram.
public enum RTPReceiveResult: Sendable, Hashable {
    /// A valid packet of the locked source, in order or not; play its payload.
    case accepted(RTPHeader)
    /// A packet of a source still on probation (RFC 3550 A.1): counted once the source is
    /// validated; the owner may play it (the address is already the expected one) or not.
    case probation(RTPHeader)
    /// A second copy of a packet already received.
    case duplicate(RTPHeader)
    case dropped(RTPDropReason)
}

/// The receive statistics of one source.
public struct RTPReceiveStatistics: Sendable, Hashable {
    /// Valid packets received, out of order ones included, duplicates not.
    public var packets: UInt64 = 0
    /// Their payload octets.
    public var octets: UInt64 = 0
    public var duplicates: UInt64 = 0
    /// Packets that arrived after one with a higher sequence number ("late" for a phone that
    /// plays as packets arrive: RTP-RxStat's LatePkt).
    public var outOfOrder: UInt64 = 0
    /// The highest sequence number received, extended with the wrap count (A.1 cycles + max_seq).
    public var extendedHighestSequence: UInt32 = 0
    /// The first extended sequence number counted.
    public var baseSequence: UInt32 = 0
    /// The interarrival jitter estimate of A.8, in timestamp units.
    public var jitter: UInt32 = 0
    /// Times (on the owner's monotonic clock) of the first and last valid packet.
    public var firstArrival: Duration?
    public var lastArrival: Duration?

    public init() {}

    /// A.3: extended highest minus the first, plus one (0 before any packet).
    public var expected: Int64 { packets == 0 ? 0 : Int64(extendedHighestSequence) - Int64(baseSequence) + 1 }
    /// A.3: expected minus received. Duplicates are not in `packets`, so this goes negative
    /// only for a late copy older than the 1024-packet duplicate window (counted as late).
    public var lost: Int64 { expected - Int64(packets) }
}

public struct RTPReceiver: Sendable {
    /// RFC 3550 A.1 constants.
    public static let minSequential = 2
    public static let maxDropout: UInt16 = 3000
    public static let maxMisorder: UInt16 = 100

    /// Where RTP must come from (the far end's SDP address and port); nil accepts any address.
    public var expectedSource: RTPEndpoint?
    public let clockRate: Int
    public private(set) var statistics = RTPReceiveStatistics()
    public private(set) var drops = RTPDropCounts()
    /// The SSRC of the validated source; packets of any other SSRC are dropped and counted.
    public private(set) var lockedSSRC: UInt32?

    // A.1 state.
    private var candidateSSRC: UInt32?
    private var probation = RTPReceiver.minSequential
    private var probationPackets: UInt64 = 0
    private var probationOctets: UInt64 = 0
    private var probationStart: Duration = .zero
    private var maxSeq: UInt16 = 0
    private var cycles: UInt32 = 0
    private var badSeq: UInt32 = 0x1_0001
    // A.3 interval state.
    private var expectedPrior: Int64 = 0
    private var receivedPrior: UInt64 = 0
    // A.8 state: transit time of the last packet; jitter scaled by 16.
    private var transit: Int64?
    private var lastTimestamp: UInt32?
    private var jitter16: UInt32 = 0
    // Which of the last `window` extended sequence numbers were seen (duplicate detection).
    private static let window = 1024
    private var seen = [UInt64](repeating: 0, count: RTPReceiver.window / 64)

    public init(clockRate: Int = 8000, expectedSource: RTPEndpoint? = nil) {
        self.clockRate = clockRate
        self.expectedSource = expectedSource
    }

    /// Forgets the locked source (after a re-INVITE that changed the far end's media).
    public mutating func unlockSource() {
        lockedSSRC = nil
        candidateSSRC = nil
        probation = Self.minSequential
        probationPackets = 0
        probationOctets = 0
        transit = nil
        lastTimestamp = nil
    }

    public mutating func receive(_ bytes: [UInt8], from source: RTPEndpoint, arrival: Duration) -> RTPReceiveResult {
        bytes.withUnsafeBytes { receive($0, from: source, arrival: arrival) }
    }

    /// One datagram as it arrived, `arrival` on the owner's monotonic clock.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: RTPEndpoint, arrival: Duration) -> RTPReceiveResult {
        if let expectedSource, expectedSource != source { return drop(.wrongSource) }
        let header: RTPHeader
        do {
            header = try RTPHeader(parsing: bytes)
        } catch {
            switch error {
            case .tooShort: return drop(.tooShort)
            case .badVersion: return drop(.badVersion)
            case .badPadding: return drop(.malformed)
            }
        }
        let payload = UInt64(header.payloadRange.count)
        let seq = header.sequenceNumber

        guard let locked = lockedSSRC else {
            // Probation (A.1 init_seq/update_seq): MIN_SEQUENTIAL packets in sequence from one
            // SSRC validate it; a packet from another SSRC restarts the probation with it. A
            // second copy of the last one is a duplicate, not a restart.
            if candidateSSRC == header.ssrc && seq == maxSeq && probationPackets > 0 {
                statistics.duplicates += 1
                return .duplicate(header)
            }
            if candidateSSRC != header.ssrc || seq != maxSeq &+ 1 {
                candidateSSRC = header.ssrc
                probation = Self.minSequential - 1
                maxSeq = seq
                probationPackets = 1
                probationOctets = payload
                probationStart = arrival
                updateJitter(header, arrival: arrival)
                return .probation(header)
            }
            probation -= 1
            maxSeq = seq
            probationPackets += 1
            probationOctets += payload
            updateJitter(header, arrival: arrival)
            guard probation <= 0 else { return .probation(header) }
            lockedSSRC = header.ssrc
            // Counted from the first packet of the probation, so that counts match the sender's.
            start(at: seq, packets: probationPackets, octets: probationOctets, arrival: arrival)
            return .accepted(header)
        }
        guard header.ssrc == locked else { return drop(.wrongSSRC) }

        let udelta = seq &- maxSeq
        var extended: UInt32
        if udelta == 0 {
            extended = cycles | UInt32(maxSeq)
        } else if udelta < Self.maxDropout {
            // In order, possibly with a gap; a wrap adds a cycle.
            if seq < maxSeq { cycles &+= 0x1_0000 }
            maxSeq = seq
            extended = cycles | UInt32(seq)
        } else if udelta <= UInt16.max - Self.maxMisorder {
            // A very large jump: the source restarted its sequence, or it is a stray packet.
            // Two in a row (A.1 bad_seq) restart the statistics' sequence state.
            if UInt32(seq) == badSeq {
                cycles = 0
                maxSeq = seq
                badSeq = 0x1_0001
                resetSequence(at: seq)
                extended = UInt32(seq)
            } else {
                badSeq = UInt32(seq &+ 1)
                return .probation(header)
            }
        } else {
            // Up to MAX_MISORDER behind the highest: reordered or duplicated.
            let back = UInt32(maxSeq &- seq)
            let current = cycles | UInt32(maxSeq)
            guard back <= current, current - back >= statistics.baseSequence else {
                // From before the first packet counted: late, and outside the expected range.
                statistics.outOfOrder += 1
                return .duplicate(header)
            }
            extended = current - back
        }

        let highest = statistics.extendedHighestSequence
        if extended <= highest, highest - extended < UInt32(Self.window) {
            if isSeen(extended) {
                statistics.duplicates += 1
                return .duplicate(header)
            }
            if extended < highest { statistics.outOfOrder += 1 }
        } else if extended < highest {
            statistics.outOfOrder += 1   // older than the window: cannot tell, call it late
        } else {
            clearSeen(from: highest &+ 1, through: extended)
            statistics.extendedHighestSequence = extended
        }
        markSeen(extended)
        statistics.packets += 1
        statistics.octets += payload
        statistics.lastArrival = arrival
        updateJitter(header, arrival: arrival)
        return .accepted(header)
    }

    /// A.3 for an RTCP report block: the fraction lost since the last call and the
    /// cumulative number lost (24-bit signed, clamped).
    public mutating func intervalLoss() -> (fractionLost: UInt8, cumulativeLost: Int32) {
        let expected = statistics.expected
        let expectedInterval = expected - expectedPrior
        expectedPrior = expected
        let receivedInterval = Int64(statistics.packets) - Int64(receivedPrior)
        receivedPrior = statistics.packets
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8 = (expectedInterval == 0 || lostInterval <= 0) ? 0 : UInt8(min(255, (lostInterval << 8) / expectedInterval))
        let cumulative = Int32(clamping: min(max(statistics.lost, -0x80_0000), 0x7F_FFFF))
        return (fraction, cumulative)
    }

    // MARK: -

    private mutating func drop(_ reason: RTPDropReason) -> RTPReceiveResult {
        drops[reason] += 1
        return .dropped(reason)
    }

    private mutating func start(at seq: UInt16, packets: UInt64, octets: UInt64, arrival: Duration) {
        cycles = 0
        badSeq = 0x1_0001
        // The base may lie before a wrap: keep the extended numbers monotonic by starting one
        // cycle up.
        if UInt32(seq) < UInt32(packets - 1) { cycles = 0x1_0000 }
        statistics.baseSequence = (cycles | UInt32(seq)) &- UInt32(packets - 1)
        statistics.extendedHighestSequence = cycles | UInt32(seq)
        statistics.packets += packets
        statistics.octets += octets
        if statistics.firstArrival == nil { statistics.firstArrival = probationStart }
        statistics.lastArrival = arrival
        seen = [UInt64](repeating: 0, count: Self.window / 64)
        for i in 0..<UInt32(packets) { markSeen(statistics.extendedHighestSequence &- i) }
    }

    /// A restarted sequence (A.1's init_seq after two packets of a big jump): the counts so
    /// far are kept, the expected count carries on from the new number.
    private mutating func resetSequence(at seq: UInt16) {
        let expectedSoFar = statistics.expected
        statistics.extendedHighestSequence = UInt32(seq)
        statistics.baseSequence = UInt32(seq) &- UInt32(truncatingIfNeeded: expectedSoFar)
        seen = [UInt64](repeating: 0, count: Self.window / 64)
    }

    /// A.8: J += (|D(i-1,i)| - J) / 16, in timestamp units. Packets sharing the previous one's
    /// timestamp (RFC 4733 event updates) are skipped, and a jump of more than 3 s between
    /// transit times is a timestamp discontinuity, not jitter: the estimate restarts from it.
    private mutating func updateJitter(_ header: RTPHeader, arrival: Duration) {
        let (s, atto) = arrival.components
        let units = (Int64(s) * Int64(clockRate)) + Int64((Double(atto) * 1e-18) * Double(clockRate))
        let t = Int64(Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: units) &- header.timestamp))
        defer { lastTimestamp = header.timestamp }
        if header.timestamp == lastTimestamp { return }
        guard let previous = transit else { transit = t; return }
        transit = t
        var d = t - previous
        if d < 0 { d = -d }
        if d > Int64(clockRate) * 3 { return }
        let du = UInt32(d)
        jitter16 = jitter16 &+ du &- ((jitter16 &+ 8) >> 4)
        statistics.jitter = jitter16 >> 4
    }

    private func isSeen(_ ext: UInt32) -> Bool {
        let i = Int(ext % UInt32(Self.window))
        return seen[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    private mutating func markSeen(_ ext: UInt32) {
        let i = Int(ext % UInt32(Self.window))
        seen[i >> 6] |= 1 << UInt64(i & 63)
    }

    private mutating func clearSeen(from a: UInt32, through b: UInt32) {
        if b &- a >= UInt32(Self.window) { seen = [UInt64](repeating: 0, count: Self.window / 64); return }
        var x = a
        while true {
            let i = Int(x % UInt32(Self.window))
            seen[i >> 6] &= ~(1 << UInt64(i & 63))
            if x == b { break }
            x &+= 1
        }
    }
}
