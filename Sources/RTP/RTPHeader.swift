// The RTP fixed header (RFC 3550 §5.1) with CSRCs, the header extension (§5.3.1) and padding,
// read from and written to bytes. No Strings, no NIO: the socket adapter hands over the
// datagram's bytes and gets them back.

/// Why a datagram is not an RTP packet.
public enum RTPPacketError: Error, Sendable, Hashable {
    /// Fewer than the 12 bytes of a fixed header, or than the CSRCs and extension it announces.
    case tooShort
    /// The version field is not 2.
    case badVersion(UInt8)
    /// The padding count is zero or more than the bytes after the header.
    case badPadding
}

public struct RTPHeader: Sendable, Hashable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    /// The header extension's profile-defined 16 bits and its data (a multiple of 4 bytes).
    public var extensionProfile: UInt16?
    public var extensionData: [UInt8]
    /// Where the payload is in the bytes the header was parsed from (padding excluded).
    public var payloadRange: Range<Int>
    /// Padding bytes at the end (including the count byte).
    public var paddingCount: Int

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], extensionProfile: UInt16? = nil, extensionData: [UInt8] = []) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensionProfile = extensionProfile
        self.extensionData = extensionData
        self.payloadRange = 0..<0
        self.paddingCount = 0
    }

    public static let fixedSize = 12

    /// The size of this header when written.
    public var size: Int {
        Self.fixedSize + 4 * min(csrcs.count, 15) + (extensionProfile == nil ? 0 : 4 + (extensionData.count + 3) / 4 * 4)
    }

    /// Parses the header of a datagram; `payloadRange` indexes `bytes` (offset from its start).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPPacketError) {
        let n = bytes.count
        guard n >= Self.fixedSize else { throw .tooShort }
        let b0 = bytes[0]
        let version = b0 >> 6
        guard version == 2 else { throw .badVersion(version) }
        let hasPadding = b0 & 0x20 != 0
        let hasExtension = b0 & 0x10 != 0
        let cc = Int(b0 & 0x0F)
        let b1 = bytes[1]
        marker = b1 & 0x80 != 0
        payloadType = b1 & 0x7F
        sequenceNumber = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = Self.read32(bytes, 4)
        ssrc = Self.read32(bytes, 8)
        var offset = Self.fixedSize
        guard n >= offset + 4 * cc else { throw .tooShort }
        csrcs = (0..<cc).map { Self.read32(bytes, Self.fixedSize + 4 * $0) }
        offset += 4 * cc
        if hasExtension {
            guard n >= offset + 4 else { throw .tooShort }
            extensionProfile = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let words = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            offset += 4
            guard n >= offset + 4 * words else { throw .tooShort }
            extensionData = Array(bytes[offset..<(offset + 4 * words)])
            offset += 4 * words
        } else {
            extensionProfile = nil
            extensionData = []
        }
        var end = n
        paddingCount = 0
        if hasPadding {
            let count = Int(bytes[n - 1])
            guard count > 0, count <= n - offset else { throw .badPadding }
            paddingCount = count
            end = n - count
        }
        payloadRange = offset..<end
    }

    public init(parsing bytes: [UInt8]) throws(RTPPacketError) {
        let result = bytes.withUnsafeBytes { raw in
            Result<RTPHeader, RTPPacketError> { () throws(RTPPacketError) in try RTPHeader(parsing: raw) }
        }
        self = try result.get()
    }

    /// Appends the header (without padding) to `out`.
    public func write(to out: inout [UInt8], padding: Bool = false) {
        let cc = min(csrcs.count, 15)
        out.append(0x80 | (padding ? 0x20 : 0) | (extensionProfile == nil ? 0 : 0x10) | UInt8(cc))
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        out.append(UInt8(sequenceNumber >> 8))
        out.append(UInt8(truncatingIfNeeded: sequenceNumber))
        Self.append32(timestamp, to: &out)
        Self.append32(ssrc, to: &out)
        for c in csrcs.prefix(cc) { Self.append32(c, to: &out) }
        if let profile = extensionProfile {
            let words = (extensionData.count + 3) / 4
            out.append(UInt8(profile >> 8))
            out.append(UInt8(truncatingIfNeeded: profile))
            out.append(UInt8(truncatingIfNeeded: words >> 8))
            out.append(UInt8(truncatingIfNeeded: words))
            out.append(contentsOf: extensionData)
            out.append(contentsOf: repeatElement(0, count: words * 4 - extensionData.count))
        }
    }

    /// A whole packet: header, payload and `padding` bytes of padding (RFC 3550 §5.1: the last
    /// one holds the count).
    public func packet(payload: some Collection<UInt8>, padding: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size + payload.count + padding)
        let pad = min(max(padding, 0), 255)
        write(to: &out, padding: pad > 0)
        out.append(contentsOf: payload)
        if pad > 0 {
            out.append(contentsOf: repeatElement(0, count: pad - 1))
            out.append(UInt8(pad))
        }
        return out
    }

    @inline(__always) static func read32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    @inline(__always) static func append32(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(v >> 24))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v))
    }
}
