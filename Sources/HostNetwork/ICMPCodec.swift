/// ICMP for IPv4 (RFC 792) as bytes: building echo requests, the Internet checksum (RFC 1071)
/// and decoding what comes back. Pure functions, no sockets: the tests feed fixed bytes.
public enum ICMPCodec {
    // RFC 792 message types used by ping and traceroute.
    public static let echoReply: UInt8 = 0
    public static let destinationUnreachable: UInt8 = 3
    public static let echoRequest: UInt8 = 8
    public static let timeExceeded: UInt8 = 11

    public static let headerLength = 8

    /// The Internet checksum (RFC 1071): one's complement of the one's-complement sum of the
    /// 16-bit big-endian words, an odd last byte padded with zero. Over a message that
    /// already carries its checksum the result is 0.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let high = UInt32(bytes[index])
            index = bytes.index(after: index)
            var low: UInt32 = 0
            if index != bytes.endIndex {
                low = UInt32(bytes[index])
                index = bytes.index(after: index)
            }
            sum += high << 8 | low
            sum = (sum & 0xFFFF) + (sum >> 16)
        }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    /// An echo request (RFC 792, type 8 code 0): identifier and sequence number in network
    /// order, then the data, checksum over the whole ICMP message.
    public static func echoRequest(identifier: UInt16, sequence: UInt16, data: [UInt8]) -> [UInt8] {
        var message: [UInt8] = [echoRequest, 0, 0, 0,
                                UInt8(identifier >> 8), UInt8(identifier & 0xFF),
                                UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        message += data
        let sum = checksum(message)
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xFF)
        return message
    }

    /// `size` bytes of echo data: the repeating pattern 0x00, 0x01 … 0xFF, so a corrupted
    /// reply is easy to spot in a capture.
    public static func echoData(size: Int) -> [UInt8] {
        (0..<max(0, size)).map { UInt8(truncatingIfNeeded: $0) }
    }

    /// Decodes an ICMP message. `withIPHeader`: the bytes start with the IPv4 header, as a raw
    /// socket delivers them; a ping socket (SOCK_DGRAM) delivers the ICMP message alone.
    public static func decode(_ bytes: [UInt8], withIPHeader: Bool) -> ICMPPacket? {
        var ip: IPv4Header?
        var icmp = ArraySlice(bytes)
        if withIPHeader {
            guard let header = IPv4Header(bytes), header.protocolNumber == 1 else { return nil }
            ip = header
            icmp = bytes[header.headerLength...]
        }
        guard icmp.count >= headerLength else { return nil }
        let base = icmp.startIndex
        let type = icmp[base], code = icmp[base + 1]
        var quoted: QuotedDatagram?
        if type == destinationUnreachable || type == timeExceeded {
            // RFC 792: after the 8-byte header comes the original IP header and at least the
            // first 64 bits of the original datagram's data.
            quoted = QuotedDatagram(Array(icmp.dropFirst(headerLength)))
        }
        return ICMPPacket(
            type: type, code: code,
            identifier: UInt16(icmp[base + 4]) << 8 | UInt16(icmp[base + 5]),
            sequence: UInt16(icmp[base + 6]) << 8 | UInt16(icmp[base + 7]),
            dataLength: icmp.count - headerLength,
            checksumValid: checksum(icmp) == 0,
            source: ip?.source, ttl: ip?.ttl, quoted: quoted)
    }

    /// Decodes the payload of an `IP_RECVERR` control message (`struct sock_extended_err`,
    /// linux/errqueue.h, native byte order) followed by the offender's `sockaddr_in`
    /// (SO_EE_OFFENDER), as a ping socket reports an ICMP error for one of its requests.
    public static func decodeExtendedError(_ bytes: [UInt8]) -> ExtendedError? {
        // u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info; u32 ee_data
        guard bytes.count >= 16 else { return nil }
        let errno = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) }
        var offender: IPv4Address?
        // sockaddr_in: u16 sin_family (native order), u16 port, 4 address bytes in network order.
        if bytes.count >= 16 + 8 {
            let family = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt16.self) }
            if family == 2 /* AF_INET */ { offender = IPv4Address(bytes: bytes[20..<24]) }
        }
        return ExtendedError(errno: Int32(bitPattern: errno), origin: bytes[4], type: bytes[5],
                             code: bytes[6], offender: offender)
    }
}

/// The fields of an IPv4 header (RFC 791) that ping and traceroute need.
public struct IPv4Header: Sendable, Equatable {
    public var headerLength: Int
    public var ttl: UInt8
    public var protocolNumber: UInt8
    public var source: IPv4Address
    public var destination: IPv4Address

    public init?(_ bytes: some Collection<UInt8>) {
        let b = Array(bytes.prefix(60))
        guard b.count >= 20, b[0] >> 4 == 4 else { return nil }
        let length = Int(b[0] & 0x0F) * 4
        guard length >= 20, b.count >= length else { return nil }
        headerLength = length
        ttl = b[8]
        protocolNumber = b[9]
        source = IPv4Address(bytes: b[12..<16])
        destination = IPv4Address(bytes: b[16..<20])
    }
}

/// The original datagram quoted in a time-exceeded or destination-unreachable message: its IP
/// header and, when it was an ICMP echo request, the echo's identifier and sequence number.
public struct QuotedDatagram: Sendable, Equatable {
    public var header: IPv4Header
    public var icmpType: UInt8?
    public var identifier: UInt16?
    public var sequence: UInt16?

    public init?(_ bytes: [UInt8]) {
        guard let header = IPv4Header(bytes) else { return nil }
        self.header = header
        let rest = bytes.dropFirst(header.headerLength)
        if header.protocolNumber == 1, rest.count >= 8 {
            let b = rest.startIndex
            icmpType = rest[b]
            identifier = UInt16(rest[b + 4]) << 8 | UInt16(rest[b + 5])
            sequence = UInt16(rest[b + 6]) << 8 | UInt16(rest[b + 7])
        }
    }
}

/// One decoded ICMP message.
public struct ICMPPacket: Sendable, Equatable {
    public var type: UInt8
    public var code: UInt8
    /// Bytes 4–5 and 6–7 of the header: identifier and sequence for echo messages.
    public var identifier: UInt16
    public var sequence: UInt16
    /// Bytes after the 8-byte ICMP header.
    public var dataLength: Int
    public var checksumValid: Bool
    /// From the IP header, when the bytes carried one (raw socket).
    public var source: IPv4Address?
    public var ttl: UInt8?
    /// For time exceeded and destination unreachable.
    public var quoted: QuotedDatagram?
}

/// `struct sock_extended_err` and its offender, as read from a socket's error queue.
public struct ExtendedError: Sendable, Equatable {
    /// SO_EE_ORIGIN_ICMP: the error came from an ICMP message.
    public static let originICMP: UInt8 = 2
    public var errno: Int32
    public var origin: UInt8
    public var type: UInt8
    public var code: UInt8
    public var offender: IPv4Address?
}

/// The control messages (`cmsghdr` chain) of a `recvmsg` control buffer: level, type, data.
/// Layout per Linux: `size_t cmsg_len; int cmsg_level; int cmsg_type;` then data, each
/// message aligned to `size_t`.
func controlMessages(_ buffer: UnsafeRawBufferPointer, length: Int) -> [(level: Int32, type: Int32, data: [UInt8])] {
    let word = MemoryLayout<Int>.size
    let headerSize = word + 8
    var result: [(level: Int32, type: Int32, data: [UInt8])] = []
    var offset = 0
    while offset + headerSize <= length {
        let messageLength = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt.self))
        guard messageLength >= headerSize, offset + messageLength <= length else { break }
        let level = buffer.loadUnaligned(fromByteOffset: offset + word, as: Int32.self)
        let type = buffer.loadUnaligned(fromByteOffset: offset + word + 4, as: Int32.self)
        result.append((level, type, Array(buffer[(offset + headerSize)..<(offset + messageLength)])))
        offset += (messageLength + word - 1) / word * word
    }
    return result
}
