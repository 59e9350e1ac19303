import Testing
import RTP

@Suite struct RTPHeaderTests {
    @Test func parsesTheFixedHeader() throws {
        // V=2, M=1, PT=0, seq 0x1234, ts 0xDEADBEEF, SSRC 0x01020304, 4 payload bytes.
        let bytes: [UInt8] = [0x80, 0x80, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 0xFF, 0xFE, 0xFD, 0xFC]
        let h = try RTPHeader(parsing: bytes)
        #expect(h.marker && h.payloadType == 0 && h.sequenceNumber == 0x1234 && h.timestamp == 0xDEAD_BEEF && h.ssrc == 0x0102_0304)
        #expect(h.csrcs.isEmpty && h.extensionProfile == nil && h.paddingCount == 0)
        #expect(h.payloadRange == 12..<16)
        #expect(h.packet(payload: bytes[12...]) == bytes)
    }

    @Test func csrcExtensionAndPaddingRoundTrip() throws {
        var h = RTPHeader(marker: false, payloadType: 101, sequenceNumber: 65535, timestamp: 7, ssrc: 9,
                          csrcs: [0xAAAA_AAAA, 0xBBBB_BBBB], extensionProfile: 0xBEDE, extensionData: [1, 2, 3, 4, 5])
        let payload: [UInt8] = [9, 8, 7]
        let bytes = h.packet(payload: payload, padding: 5)
        #expect(bytes[0] == 0x80 | 0x20 | 0x10 | 2)
        #expect(bytes.count == 12 + 8 + 4 + 8 + 3 + 5)
        #expect(bytes.last == 5)
        let p = try RTPHeader(parsing: bytes)
        #expect(p.csrcs == [0xAAAA_AAAA, 0xBBBB_BBBB])
        #expect(p.extensionProfile == 0xBEDE && p.extensionData == [1, 2, 3, 4, 5, 0, 0, 0])
        #expect(p.paddingCount == 5)
        #expect(Array(bytes[p.payloadRange]) == payload)
        h.extensionData = [1, 2, 3, 4, 5, 0, 0, 0]
        h.payloadRange = p.payloadRange
        h.paddingCount = 5
        #expect(p == h)
    }

    @Test(arguments: [
        ([UInt8](repeating: 0x80, count: 11), RTPPacketError.tooShort),
        ([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], .badVersion(1)),
        ([0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], .badVersion(0)),
        ([0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], .tooShort),                  // 3 CSRCs announced, 1 there
        ([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 2, 1, 2, 3, 4], .tooShort), // extension longer than the packet
        ([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE], .tooShort),
        ([0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], .badPadding),                      // padding count 0
        ([0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9], .badPadding),                      // more than there is
    ] as [([UInt8], RTPPacketError)])
    func refusesBrokenHeaders(bytes: [UInt8], error: RTPPacketError) {
        #expect(throws: error) { try RTPHeader(parsing: bytes) }
    }
}

@Suite struct RTPSenderTests {
    @Test func sequenceTimestampAndMarker() throws {
        var s = RTPSender(payloadType: 8, ssrc: 0x1122_3344, initialSequence: 65534, initialTimestamp: 0xFFFF_FF00)
        let payload = [UInt8](repeating: 0xD5, count: 160)
        var headers: [RTPHeader] = []
        for _ in 0..<3 { headers.append(try RTPHeader(parsing: s.packet(payload: payload, samples: 160))) }
        s.skip(samples: 160 * 50)   // a second of silence suppressed
        headers.append(try RTPHeader(parsing: s.packet(payload: payload, samples: 160)))
        headers.append(try RTPHeader(parsing: s.packet(payload: payload, samples: 160)))
        #expect(headers.map(\.sequenceNumber) == [65534, 65535, 0, 1, 2])
        let expected: [UInt32] = [0xFFFF_FF00, 0xFFFF_FFA0, 0x40, 0x40 + 160 * 51, 0x40 + 160 * 52]
        #expect(headers.map(\.timestamp) == expected)
        #expect(headers.map(\.marker) == [true, false, false, true, false])
        #expect(headers.allSatisfy { $0.ssrc == 0x1122_3344 && $0.payloadType == 8 })
        #expect(s.statistics.packets == 5 && s.statistics.octets == 800)
        // An event packet takes the next sequence number, keeps its own timestamp.
        let e = try RTPHeader(parsing: s.packet(payloadType: 101, timestamp: 42, marker: true, payload: [1, 2, 3, 4]))
        #expect(e.sequenceNumber == 3 && e.timestamp == 42 && e.payloadType == 101 && e.marker)
    }

    @Test func randomStartingPoints() {
        let a = RTPSender(payloadType: 0), b = RTPSender(payloadType: 0)
        #expect((a.ssrc, a.sequenceNumber, a.timestamp) != (b.ssrc, b.sequenceNumber, b.timestamp))
    }
}
