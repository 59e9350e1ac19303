// RTCP packets (RFC 3550 §6): sender and receiver reports, source descriptions and BYE,
// parsed from and built into compound packets, with the validity checks of Appendix A.2.

/// One reception report block (§6.4.1).
public struct RTCPReportBlock: Sendable, Hashable {
    public var ssrc: UInt32
    public var fractionLost: UInt8
    /// 24-bit signed on the wire.
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    public var jitter: UInt32
    /// The middle 32 bits of the NTP timestamp of the last SR from this source (0: none yet).
    public var lastSR: UInt32
    /// The delay since that SR, in units of 1/65536 s.
    public var delaySinceLastSR: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequence: UInt32 = 0,
                jitter: UInt32 = 0, lastSR: UInt32 = 0, delaySinceLastSR: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }
}

/// The sender info of an SR (§6.4.1).
public struct RTCPSenderInfo: Sendable, Hashable {
    /// NTP format: seconds since 1900 in the high 32 bits, the fraction in the low 32.
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32

    public init(ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32) {
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
    }

    /// The middle 32 bits, as a report block's LSR quotes them.
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: ntpTimestamp >> 16) }
}

/// An SDES chunk: one source and its items (§6.5); item type 1 is CNAME.
public struct RTCPSDESChunk: Sendable, Hashable {
    public var ssrc: UInt32
    public var items: [(type: UInt8, value: [UInt8])]

    public init(ssrc: UInt32, items: [(type: UInt8, value: [UInt8])]) {
        self.ssrc = ssrc
        self.items = items
    }

    public init(ssrc: UInt32, cname: String) {
        self.init(ssrc: ssrc, items: [(1, Array(cname.utf8.prefix(255)))])
    }

    public var cname: String? { items.first { $0.type == 1 }.map { String(decoding: $0.value, as: UTF8.self) } }

    public static func == (a: Self, b: Self) -> Bool {
        a.ssrc == b.ssrc && a.items.count == b.items.count
            && zip(a.items, b.items).allSatisfy { $0.type == $1.type && $0.value == $1.value }
    }

    public func hash(into h: inout Hasher) { h.combine(ssrc) }
}

public enum RTCPPacket: Sendable, Hashable {
    case senderReport(ssrc: UInt32, info: RTCPSenderInfo, reports: [RTCPReportBlock])
    case receiverReport(ssrc: UInt32, reports: [RTCPReportBlock])
    case sourceDescription([RTCPSDESChunk])
    case bye(ssrcs: [UInt32], reason: String?)
    /// APP, XR, feedback ...: kept by type, not interpreted.
    case other(type: UInt8)
}

public enum RTCPError: Error, Sendable, Hashable {
    case tooShort, badVersion, badLength, badFirstPacket, badPadding, badContent
}

public enum RTCPCompound {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let goodbye: UInt8 = 203

    /// Parses a compound packet (Appendix A.2: version 2, the first packet an SR or RR without
    /// padding, padding only on the last one, the lengths adding up to the datagram).
    public static func parse(_ bytes: [UInt8]) throws(RTCPError) -> [RTCPPacket] {
        guard bytes.count >= 8 else { throw .tooShort }
        var out: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .tooShort }
            let b0 = bytes[offset]
            guard b0 >> 6 == 2 else { throw .badVersion }
            let padded = b0 & 0x20 != 0
            let count = Int(b0 & 0x1F)
            let type = bytes[offset + 1]
            let length = ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
            guard offset + length <= bytes.count else { throw .badLength }
            if offset == 0 {
                guard type == senderReport || type == receiverReport else { throw .badFirstPacket }
                guard !padded else { throw .badPadding }
            }
            var end = offset + length
            if padded {
                guard end == bytes.count else { throw .badPadding }
                let pad = Int(bytes[end - 1])
                guard pad > 0, pad <= length - 4 else { throw .badPadding }
                end -= pad
            }
            let body = Array(bytes[(offset + 4)..<end])
            out.append(try packet(type: type, count: count, body: body))
            offset += length
        }
        return out
    }

    static func packet(type: UInt8, count: Int, body: [UInt8]) throws(RTCPError) -> RTCPPacket {
        var r = Reader(body)
        switch type {
        case senderReport:
            guard body.count >= 24 + 24 * count else { throw .badContent }
            let ssrc = r.u32()
            let info = RTCPSenderInfo(ntpTimestamp: UInt64(r.u32()) << 32 | UInt64(r.u32()), rtpTimestamp: r.u32(),
                                      packetCount: r.u32(), octetCount: r.u32())
            return .senderReport(ssrc: ssrc, info: info, reports: (0..<count).map { _ in r.block() })
        case receiverReport:
            guard body.count >= 4 + 24 * count else { throw .badContent }
            let ssrc = r.u32()
            return .receiverReport(ssrc: ssrc, reports: (0..<count).map { _ in r.block() })
        case sourceDescription:
            var chunks: [RTCPSDESChunk] = []
            for _ in 0..<count {
                guard r.remaining >= 4 else { throw .badContent }
                let ssrc = r.u32()
                var items: [(type: UInt8, value: [UInt8])] = []
                while true {
                    guard r.remaining >= 1 else { throw .badContent }
                    let t = r.u8()
                    if t == 0 {
                        // The end item, then padding to the next 32-bit boundary.
                        while r.position % 4 != 0 && r.remaining > 0 { _ = r.u8() }
                        break
                    }
                    guard r.remaining >= 1 else { throw .badContent }
                    let n = Int(r.u8())
                    guard r.remaining >= n else { throw .badContent }
                    items.append((t, r.bytes(n)))
                }
                chunks.append(RTCPSDESChunk(ssrc: ssrc, items: items))
            }
            return .sourceDescription(chunks)
        case goodbye:
            guard body.count >= 4 * count else { throw .badContent }
            let ssrcs = (0..<count).map { _ in r.u32() }
            var reason: String?
            if r.remaining >= 1 {
                let n = Int(r.u8())
                guard r.remaining >= n else { throw .badContent }
                reason = String(decoding: r.bytes(n), as: UTF8.self)
            }
            return .bye(ssrcs: ssrcs, reason: reason)
        default:
            return .other(type: type)
        }
    }

    /// Builds a compound packet; the caller puts an SR or RR first (§6.1).
    public static func serialize(_ packets: [RTCPPacket]) -> [UInt8] {
        var out: [UInt8] = []
        for p in packets {
            let start = out.count
            switch p {
            case .senderReport(let ssrc, let info, let reports):
                header(&out, count: reports.count, type: senderReport)
                put32(&out, ssrc)
                put32(&out, UInt32(truncatingIfNeeded: info.ntpTimestamp >> 32))
                put32(&out, UInt32(truncatingIfNeeded: info.ntpTimestamp))
                put32(&out, info.rtpTimestamp)
                put32(&out, info.packetCount)
                put32(&out, info.octetCount)
                for b in reports.prefix(31) { block(&out, b) }
            case .receiverReport(let ssrc, let reports):
                header(&out, count: reports.count, type: receiverReport)
                put32(&out, ssrc)
                for b in reports.prefix(31) { block(&out, b) }
            case .sourceDescription(let chunks):
                header(&out, count: chunks.count, type: sourceDescription)
                for c in chunks.prefix(31) {
                    put32(&out, c.ssrc)
                    for item in c.items {
                        out.append(item.type)
                        out.append(UInt8(min(item.value.count, 255)))
                        out.append(contentsOf: item.value.prefix(255))
                    }
                    out.append(0)
                    while (out.count - start) % 4 != 0 { out.append(0) }
                }
            case .bye(let ssrcs, let reason):
                header(&out, count: ssrcs.count, type: goodbye)
                for s in ssrcs.prefix(31) { put32(&out, s) }
                if let reason {
                    let r = Array(reason.utf8.prefix(255))
                    out.append(UInt8(r.count))
                    out.append(contentsOf: r)
                    while (out.count - start) % 4 != 0 { out.append(0) }
                }
            case .other:
                continue
            }
            let words = (out.count - start) / 4 - 1
            out[start + 2] = UInt8(truncatingIfNeeded: words >> 8)
            out[start + 3] = UInt8(truncatingIfNeeded: words)
        }
        return out
    }

    static func header(_ out: inout [UInt8], count: Int, type: UInt8) {
        out.append(0x80 | UInt8(min(count, 31)))
        out.append(type)
        out.append(0)
        out.append(0)
    }

    static func block(_ out: inout [UInt8], _ b: RTCPReportBlock) {
        put32(&out, b.ssrc)
        let lost = UInt32(bitPattern: max(min(b.cumulativeLost, 0x7F_FFFF), -0x80_0000)) & 0xFF_FFFF
        put32(&out, UInt32(b.fractionLost) << 24 | lost)
        put32(&out, b.extendedHighestSequence)
        put32(&out, b.jitter)
        put32(&out, b.lastSR)
        put32(&out, b.delaySinceLastSR)
    }

    static func put32(_ out: inout [UInt8], _ v: UInt32) {
        out.append(UInt8(v >> 24))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v))
    }

    struct Reader {
        let b: [UInt8]
        var position = 0
        init(_ b: [UInt8]) { self.b = b }
        var remaining: Int { b.count - position }
        mutating func u8() -> UInt8 { defer { position += 1 }; return b[position] }
        mutating func u32() -> UInt32 {
            defer { position += 4 }
            return UInt32(b[position]) << 24 | UInt32(b[position + 1]) << 16 | UInt32(b[position + 2]) << 8 | UInt32(b[position + 3])
        }
        mutating func bytes(_ n: Int) -> [UInt8] { defer { position += n }; return Array(b[position..<(position + n)]) }
        mutating func block() -> RTCPReportBlock {
            let ssrc = u32()
            let w = u32()
            var lost = Int32(bitPattern: w & 0xFF_FFFF)
            if lost & 0x80_0000 != 0 { lost |= ~0xFF_FFFF }   // sign-extend the 24 bits
            return RTCPReportBlock(ssrc: ssrc, fractionLost: UInt8(w >> 24), cumulativeLost: lost,
                                   extendedHighestSequence: u32(), jitter: u32(), lastSR: u32(), delaySinceLastSR: u32())
        }
    }
}
