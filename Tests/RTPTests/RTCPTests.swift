import Testing
import RTP

@Suite struct RTCPPacketTests {
    @Test func compoundRoundTrip() throws {
        let block = RTCPReportBlock(ssrc: 0xCAFE, fractionLost: 51, cumulativeLost: -3, extendedHighestSequence: 0x1_0005,
                                    jitter: 17, lastSR: 0xB705_2000, delaySinceLastSR: 0x0005_4000)
        let packets: [RTCPPacket] = [
            .senderReport(ssrc: 0x1234, info: RTCPSenderInfo(ntpTimestamp: 0xB705_2000_1234_5678, rtpTimestamp: 160_000,
                                                            packetCount: 1000, octetCount: 160_000), reports: [block]),
            .sourceDescription([RTCPSDESChunk(ssrc: 0x1234, cname: "deskphone@192.0.2.50")]),
            .bye(ssrcs: [0x1234], reason: "hang up"),
        ]
        let bytes = RTCPCompound.serialize(packets)
        #expect(bytes.count % 4 == 0)
        #expect(bytes[0] == 0x81 && bytes[1] == 200)
        #expect(Int(bytes[2]) << 8 | Int(bytes[3]) == (28 + 24) / 4 - 1)   // SR length in words minus one
        let parsed = try RTCPCompound.parse(bytes)
        #expect(parsed == packets)
        if case .sourceDescription(let c) = parsed[1] { #expect(c[0].cname == "deskphone@192.0.2.50") }
    }

    @Test func receiverReportWithoutBlocksAndEmptyBye() throws {
        let packets: [RTCPPacket] = [.receiverReport(ssrc: 5, reports: []), .bye(ssrcs: [5], reason: nil)]
        let bytes = RTCPCompound.serialize(packets)
        #expect(bytes.count == 8 + 8)
        #expect(try RTCPCompound.parse(bytes) == packets)
    }

    @Test func unknownPacketTypesArePassedOver() throws {
        var bytes = RTCPCompound.serialize([.receiverReport(ssrc: 5, reports: [])])
        bytes += [0x80, 204, 0, 2, 0, 0, 0, 5, 0x41, 0x42, 0x43, 0x44]   // APP
        #expect(try RTCPCompound.parse(bytes) == [.receiverReport(ssrc: 5, reports: []), .other(type: 204)])
    }

    @Test(arguments: [
        ([0x80, 201, 0, 1], RTCPError.tooShort),
        ([0x40, 201, 0, 1, 0, 0, 0, 1], .badVersion),
        ([0x80, 202, 0, 1, 0, 0, 0, 1], .badFirstPacket),               // SDES first
        ([0x80, 201, 0, 5, 0, 0, 0, 1], .badLength),                    // longer than the datagram
        ([0xA0, 201, 0, 1, 0, 0, 0, 1], .badPadding),                   // padding on the first packet
        ([0x81, 201, 0, 1, 0, 0, 0, 1], .badContent),                   // one block announced, none there
        ([0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 203], .tooShort),
    ] as [([UInt8], RTCPError)])
    func invalidCompounds(bytes: [UInt8], error: RTCPError) {
        #expect(throws: error) { try RTCPCompound.parse(bytes) }
    }

    /// RFC 3550 §6.4.1's example: A = 0xb710:8000 (46864.5 s), LSR = 0xb705:2000 (46853.125 s),
    /// DLSR = 0x0005:4000 (5.25 s): the round trip is 6.125 s.
    @Test func roundTripOfTheRFCExample() {
        #expect(NTPTime.roundTrip(arrival: 0xB710_8000, lastSR: 0xB705_2000, delaySinceLastSR: 0x0005_4000) == .milliseconds(6125))
        #expect(NTPTime.roundTrip(arrival: 0xB710_8000, lastSR: 0, delaySinceLastSR: 0) == nil)
        #expect(NTPTime.roundTrip(arrival: 0xB705_3000, lastSR: 0xB705_2000, delaySinceLastSR: 0x0005_4000) == nil)
    }

    @Test func ntpFromUnixTime() {
        let ntp = NTPTime.from(unixSeconds: 1_000_000_000, nanoseconds: 500_000_000)
        #expect(ntp >> 32 == 1_000_000_000 + 2_208_988_800)
        #expect(ntp & 0xFFFF_FFFF == 0x8000_0000)
    }
}

@Suite struct RTCPSessionTests {
    @Test func reportsEveryFiveSecondsWithoutDrift() {
        var s = RTCPSession(ssrc: 1, cname: "a", start: .seconds(100))
        var r = RTPReceiver()
        #expect(!s.isDue(.seconds(104) + .milliseconds(999)))
        #expect(s.isDue(.seconds(105)))
        _ = s.makeReport(now: .milliseconds(105_300), ntp: 0, sent: RTPSendStatistics(), receiver: &r)
        #expect(s.nextReport == .seconds(110))       // from the deadline, not from 105.3
        _ = s.makeReport(now: .seconds(117), ntp: 0, sent: RTPSendStatistics(), receiver: &r)
        #expect(s.nextReport == .seconds(120))       // slots missed by a late owner are skipped
        #expect(s.reportsSent == 2)
    }

    /// Two ends exchange SR and RR with a 100 ms one-way delay; the sender measures 200 ms.
    @Test func roundTripFromLSRAndDLSR() throws {
        let ntp0: UInt64 = (3_900_000_000 << 32)
        func ntp(_ d: Duration) -> UInt64 {
            let (s, a) = d.components
            return ntp0 + (UInt64(s) << 32) + UInt64(Double(a) * 1e-18 * 4_294_967_296)
        }
        var alice = RTCPSession(ssrc: 0xA, cname: "alice", start: .zero)
        var bob = RTCPSession(ssrc: 0xB, cname: "bob", start: .zero)
        var aliceSender = RTPSender(payloadType: 0, ssrc: 0xA, initialSequence: 0, initialTimestamp: 0)
        var bobReceiver = RTPReceiver()
        var aliceReceiver = RTPReceiver()
        let src = RTPEndpoint(ipv4: "127.0.0.1", port: 1)!
        for i in 0..<10 {
            _ = bobReceiver.receive(aliceSender.packet(payload: [0, 0], samples: 160), from: src, arrival: .milliseconds(20 * i))
        }
        // Alice's SR at t = 5 s reaches Bob at 5.1 s; Bob reports at 5.6 s; it reaches Alice at 5.7 s.
        let sr = alice.makeReport(now: .seconds(5), ntp: ntp(.seconds(5)), sent: aliceSender.statistics, receiver: &aliceReceiver)
        let parsed = try bob.receive(sr, now: .milliseconds(5100), ntp: ntp(.milliseconds(5100)))
        guard case .senderReport(0xA, let info, []) = parsed.first else { Issue.record("\(parsed)"); return }
        #expect(info.packetCount == 10 && info.octetCount == 20)
        let rr = bob.makeReport(now: .milliseconds(5600), ntp: ntp(.milliseconds(5600)), sent: RTPSendStatistics(), receiver: &bobReceiver)
        guard case .receiverReport(0xB, let blocks) = try RTCPCompound.parse(rr).first else { Issue.record("rr"); return }
        #expect(blocks.count == 1 && blocks[0].ssrc == 0xA && blocks[0].extendedHighestSequence == 9)
        #expect(blocks[0].delaySinceLastSR == 32768)   // 0.5 s
        try alice.receive(rr, now: .milliseconds(5700), ntp: ntp(.milliseconds(5700)))
        let rtt = try #require(alice.roundTrip)
        #expect(rtt > .milliseconds(199) && rtt < .milliseconds(201), "\(rtt)")
        #expect(alice.remoteCNAME == "bob")
        let bye = bob.makeBye(now: .seconds(6), ntp: ntp(.seconds(6)), sent: RTPSendStatistics(), receiver: &bobReceiver)
        try alice.receive(bye, now: .seconds(6), ntp: ntp(.seconds(6)))
        #expect(alice.remoteBye)
    }
}
