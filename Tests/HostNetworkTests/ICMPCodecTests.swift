import Testing
@testable import HostNetwork

@Suite struct ICMPCodecTests {
    @Test func checksumOfRFC1071Example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
        #expect(ICMPCodec.checksum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0x220D)
    }

    @Test func checksumPadsAnOddByteAndVerifiesToZero() {
        #expect(ICMPCodec.checksum([0x01]) == 0xFEFF)
        #expect(ICMPCodec.checksum([]) == 0xFFFF)
        let message = ICMPCodec.echoRequest(identifier: 0xBEEF, sequence: 9, data: [1, 2, 3])
        #expect(ICMPCodec.checksum(message) == 0)
    }

    @Test func echoRequestBytes() {
        // 0800 + 1234 + 0001 + 6162 + 6364 = defb, complement 2104.
        let message = ICMPCodec.echoRequest(identifier: 0x1234, sequence: 1, data: Array("abcd".utf8))
        #expect(message == [0x08, 0x00, 0x21, 0x04, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64])
    }

    @Test func echoDataPattern() {
        #expect(ICMPCodec.echoData(size: 3) == [0, 1, 2])
        #expect(ICMPCodec.echoData(size: 257).last == 0)
    }

    static let echoReply: [UInt8] = [0x00, 0x00, 0x29, 0x04, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64]
    static let ipHeader: [UInt8] = [0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00,
                                    0x3F, 0x01, 0x00, 0x00, 0x7F, 0x00, 0x00, 0x02, 0x7F, 0x00, 0x00, 0x01]

    @Test func echoReplyDatagramForm() throws {
        let packet = try #require(ICMPCodec.decode(Self.echoReply, withIPHeader: false))
        #expect(packet.type == ICMPCodec.echoReply)
        #expect(packet.identifier == 0x1234 && packet.sequence == 1)
        #expect(packet.dataLength == 4)
        #expect(packet.checksumValid)
        #expect(packet.source == nil && packet.ttl == nil && packet.quoted == nil)
    }

    @Test func echoReplyRawFormWithIPHeader() throws {
        let packet = try #require(ICMPCodec.decode(Self.ipHeader + Self.echoReply, withIPHeader: true))
        #expect(packet.type == ICMPCodec.echoReply && packet.sequence == 1)
        #expect(packet.source == IPv4Address(127, 0, 0, 2))
        #expect(packet.ttl == 63)
        #expect(packet.checksumValid)
    }

    @Test func rejectsShortOrForeignPackets() {
        #expect(ICMPCodec.decode([0, 0, 0], withIPHeader: false) == nil)
        var udp = Self.ipHeader
        udp[9] = 17
        #expect(ICMPCodec.decode(udp + Self.echoReply, withIPHeader: true) == nil)
        #expect(ICMPCodec.decode(Array(Self.ipHeader.prefix(19)), withIPHeader: true) == nil)
        let corrupted = [0x00, 0x00, 0x29, 0x05] + Self.echoReply.dropFirst(4)
        #expect(ICMPCodec.decode(corrupted, withIPHeader: false)?.checksumValid == false)
    }

    /// A router 10.0.0.1 answering time exceeded for our echo (id 1234, seq 7) to 192.0.2.99.
    static let timeExceeded: [UInt8] = {
        let quotedHeader: [UInt8] = [0x45, 0x00, 0x00, 0x3C, 0xAB, 0xCD, 0x40, 0x00,
                                     0x01, 0x01, 0x00, 0x00, 0x0A, 0x00, 0x01, 0x02, 0xC0, 0x00, 0x02, 0x63]
        let quotedEcho: [UInt8] = [0x08, 0x00, 0x55, 0x66, 0x12, 0x34, 0x00, 0x07]
        var icmp: [UInt8] = [0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] + quotedHeader + quotedEcho
        let sum = ICMPCodec.checksum(icmp)
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xFF)
        return icmp
    }()

    @Test func timeExceededDatagramForm() throws {
        let packet = try #require(ICMPCodec.decode(Self.timeExceeded, withIPHeader: false))
        #expect(packet.type == ICMPCodec.timeExceeded && packet.code == 0 && packet.checksumValid)
        let quoted = try #require(packet.quoted)
        #expect(quoted.header.destination == IPv4Address(192, 0, 2, 99))
        #expect(quoted.header.source == IPv4Address(10, 0, 1, 2))
        #expect(quoted.header.ttl == 1)
        #expect(quoted.icmpType == ICMPCodec.echoRequest)
        #expect(quoted.identifier == 0x1234 && quoted.sequence == 7)
    }

    @Test func timeExceededRawFormMatchesTheProbe() throws {
        let outer: [UInt8] = [0x45, 0xC0, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00,
                              0x40, 0x01, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x01, 0x0A, 0x00, 0x01, 0x02]
        let packet = try #require(ICMPCodec.decode(outer + Self.timeExceeded, withIPHeader: true))
        #expect(packet.source == IPv4Address(10, 0, 0, 1) && packet.ttl == 64)
        let target = IPv4Address(192, 0, 2, 99)
        let probe = Traceroute.answer(packet, from: IPv4Address(10, 0, 0, 1), at: .milliseconds(3), target: target,
                                      identifier: 0x1234, sequence: 7, matchIdentifier: true)
        #expect(probe == TracerouteProbe(answer: .timeExceeded, from: IPv4Address(10, 0, 0, 1), rtt: .milliseconds(3)))
        // Another prober's sequence or identifier, or another destination: not ours.
        #expect(Traceroute.answer(packet, from: IPv4Address(10, 0, 0, 1), at: .zero, target: target,
                                  identifier: 0x1234, sequence: 8, matchIdentifier: true) == nil)
        #expect(Traceroute.answer(packet, from: IPv4Address(10, 0, 0, 1), at: .zero, target: target,
                                  identifier: 0x9999, sequence: 7, matchIdentifier: true) == nil)
        #expect(Traceroute.answer(packet, from: IPv4Address(10, 0, 0, 1), at: .zero, target: IPv4Address(192, 0, 2, 98),
                                  identifier: 0x1234, sequence: 7, matchIdentifier: true) == nil)
        // A ping socket's identifier is the kernel's: sequence and destination decide.
        #expect(Traceroute.answer(packet, from: IPv4Address(10, 0, 0, 1), at: .zero, target: target,
                                  identifier: 0x9999, sequence: 7, matchIdentifier: false)?.answer == .timeExceeded)
    }

    @Test func echoReplyMatching() throws {
        let packet = try #require(ICMPCodec.decode(Self.echoReply, withIPHeader: false))
        let target = IPv4Address(127, 0, 0, 1)
        #expect(Ping.isReply(packet, from: target, to: target, identifier: 0x1234, sequence: 1, matchIdentifier: true))
        #expect(!Ping.isReply(packet, from: target, to: target, identifier: 0x4321, sequence: 1, matchIdentifier: true))
        #expect(Ping.isReply(packet, from: target, to: target, identifier: 0x4321, sequence: 1, matchIdentifier: false))
        #expect(!Ping.isReply(packet, from: target, to: target, identifier: 0x1234, sequence: 2, matchIdentifier: false))
        #expect(!Ping.isReply(packet, from: IPv4Address(127, 0, 0, 2), to: target, identifier: 0x1234, sequence: 1,
                              matchIdentifier: false))
    }

    /// `struct sock_extended_err` + offender `sockaddr_in`, in this host's byte order, as
    /// IP_RECVERR delivers them for a ping socket.
    static func extendedError(type: UInt8, code: UInt8, offender: [UInt8]) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(113)) { Array($0) }  // EHOSTUNREACH
        bytes += [2 /* SO_EE_ORIGIN_ICMP */, type, code, 0]
        bytes += [UInt8](repeating: 0, count: 8)  // ee_info, ee_data
        bytes += withUnsafeBytes(of: UInt16(2)) { Array($0) } + [0, 0] + offender + [UInt8](repeating: 0, count: 8)
        return bytes
    }

    @Test func extendedErrorFromTheErrorQueue() throws {
        let error = try #require(ICMPCodec.decodeExtendedError(Self.extendedError(type: 11, code: 0, offender: [10, 0, 0, 1])))
        #expect(error == ExtendedError(errno: 113, origin: ExtendedError.originICMP, type: 11, code: 0,
                                       offender: IPv4Address(10, 0, 0, 1)))
        // The error queue's data is our own request's ICMP header (the kernel's identifier).
        let original = ICMPCodec.decode([0x08, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x05], withIPHeader: false)
        #expect(Traceroute.answer(error, original: original, at: .milliseconds(1), sequence: 5)
                == TracerouteProbe(answer: .timeExceeded, from: IPv4Address(10, 0, 0, 1), rtt: .milliseconds(1)))
        #expect(Traceroute.answer(error, original: original, at: .milliseconds(1), sequence: 6) == nil)
        let unreachable = try #require(ICMPCodec.decodeExtendedError(Self.extendedError(type: 3, code: 1, offender: [10, 0, 0, 1])))
        #expect(Traceroute.answer(unreachable, original: original, at: .zero, sequence: 5)?.answer == .unreachable(code: 1))
        #expect(ICMPCodec.decodeExtendedError([1, 2, 3]) == nil)
    }

    @Test func controlMessageChain() {
        // Two cmsghdrs: IP_TTL with an int, then IP_RECVERR with 4 bytes; size_t-aligned.
        let word = MemoryLayout<Int>.size
        func message(level: Int32, type: Int32, data: [UInt8]) -> [UInt8] {
            var bytes = withUnsafeBytes(of: UInt(word + 8 + data.count)) { Array($0) }
            bytes += withUnsafeBytes(of: level) { Array($0) } + withUnsafeBytes(of: type) { Array($0) } + data
            while bytes.count % word != 0 { bytes.append(0) }
            return bytes
        }
        let buffer = message(level: 0, type: 2, data: withUnsafeBytes(of: Int32(64)) { Array($0) })
            + message(level: 0, type: 11, data: [9, 8, 7, 6, 5])
        let parsed = buffer.withUnsafeBytes { controlMessages($0, length: buffer.count) }
        #expect(parsed.count == 2)
        #expect(parsed.first?.type == 2 && parsed.first?.data == [64, 0, 0, 0])
        #expect(parsed.last?.type == 11 && parsed.last?.data == [9, 8, 7, 6, 5])
    }

    @Test func eventLines() {
        let reply = PingEvent.reply(PingReply(bytes: 108, from: IPv4Address(127, 0, 0, 1), sequence: 1, ttl: 64,
                                              rtt: .microseconds(52)))
        #expect(reply.text == "108 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.052 ms")
        #expect(PingEvent.timeout(sequence: 2).text == "Request timeout for icmp_seq=2")
        let summary = PingSummary(sent: 3, received: 2, rtts: [.milliseconds(1), .milliseconds(3)])
        #expect(PingEvent.finished(summary).text
                == "3 packets transmitted, 2 received, 33% packet loss\nrtt min/avg/max = 1.000/2.000/3.000 ms")
        #expect(PingEvent.finished(PingSummary(sent: 2)).text == "2 packets transmitted, 0 received, 100% packet loss")
        let hop = TracerouteHop(ttl: 2, probes: [
            TracerouteProbe(answer: .timeExceeded, from: IPv4Address(10, 0, 0, 1), rtt: .microseconds(412)),
            TracerouteProbe(answer: .timeExceeded, from: IPv4Address(10, 0, 0, 1), rtt: .microseconds(1388)),
            .timeout,
        ])
        #expect(hop.text == " 2  10.0.0.1  0.412 ms  1.388 ms *")
    }
}
