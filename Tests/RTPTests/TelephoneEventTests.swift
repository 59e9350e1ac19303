import Testing
import RTP

@Suite struct TelephoneEventTests {
    @Test func payloadEncodingAndDecoding() throws {
        let e = TelephoneEvent(event: 5, end: true, volume: 10, duration: 800)
        #expect(e.payload == [0x05, 0x8A, 0x03, 0x20])
        #expect(TelephoneEvent(payload: [0x05, 0x8A, 0x03, 0x20]) == e)
        #expect(TelephoneEvent(payload: [0x0B, 0x40 | 0x3F, 0xFF, 0xFF]) == TelephoneEvent(event: 11, end: false, volume: 63, duration: 0xFFFF))  // R bit ignored
        #expect(TelephoneEvent(payload: [1, 2, 3]) == nil)
        #expect("0123456789*#ABCD".map { TelephoneEvent.code(for: $0)! } == Array(0...15))
        #expect((0...15).map { TelephoneEvent.key(for: $0)! } == Array("0123456789*#ABCD"))
        #expect(TelephoneEvent.code(for: "x") == nil)
    }

    /// A 100 ms key press at 20 ms packets: start (marker, 160), updates 320 480 640, three end
    /// packets at 800, all with the event's timestamp.
    @Test func senderForOneKeyedDigit() {
        let packets = TelephoneEventSender.packets(event: 9, timestamp: 12345, duration: 800)
        #expect(packets.map(\.event.duration) == [160, 320, 480, 640, 800, 800, 800])
        #expect(packets.map(\.marker) == [true, false, false, false, false, false, false])
        #expect(packets.map(\.event.end) == [false, false, false, false, true, true, true])
        #expect(packets.allSatisfy { $0.timestamp == 12345 && $0.event.event == 9 })
    }

    @Test func senderStateMachine() {
        var s = TelephoneEventSender(interval: 160)
        #expect(s.tick() == nil && s.stop().isEmpty)
        let first = s.start(event: 1, timestamp: 1000)
        #expect(first.count == 1 && first[0].marker && s.isActive)
        #expect(s.tick()?.event.duration == 320)
        // A second key before the first is released ends the first.
        let second = s.start(event: 2, timestamp: 2000)
        #expect(second.count == 4)
        #expect(second[0..<3].allSatisfy { $0.event.event == 1 && $0.event.end && $0.timestamp == 1000 && $0.event.duration == 480 })
        #expect(second[3].event.event == 2 && second[3].marker && second[3].timestamp == 2000)
        #expect(s.stop().count == 3 && !s.isActive)
        // Very long presses are capped, not wrapped.
        for _ in 0..<500 { _ = s.tick() }
        var long = TelephoneEventSender()
        _ = long.start(event: 0, timestamp: 0)
        for _ in 0..<500 { _ = long.tick() }
        #expect(long.stop()[0].event.duration == 0xFFFF)
    }

    @Test func receiverReportsEachDigitOnce() {
        var r = TelephoneEventReceiver()
        let digit = TelephoneEventSender.packets(event: 5, timestamp: 8000, duration: 800)
        var reports: [TelephoneEventReceiver.Report] = []
        // Every packet twice, as a lossy, duplicating network might deliver them.
        for p in digit + digit { reports += r.receive(payload: p.payload, timestamp: p.timestamp) }
        #expect(reports == [.began(event: 5, timestamp: 8000), .ended(event: 5, timestamp: 8000, duration: 800)])
        // The same digit again (a new press: a new timestamp), with its first packets lost.
        let again = TelephoneEventSender.packets(event: 5, timestamp: 9600, duration: 480)
        reports = []
        for p in again.dropFirst(2) { reports += r.receive(payload: p.payload, timestamp: p.timestamp) }
        #expect(reports == [.began(event: 5, timestamp: 9600), .ended(event: 5, timestamp: 9600, duration: 480)])
        // A late packet of the earlier event is not a new digit.
        #expect(r.receive(payload: digit[1].payload, timestamp: 8000).isEmpty)
        #expect(r.receive(payload: [1, 2], timestamp: 20000).isEmpty && r.malformed == 1)
    }

    @Test func receiverAcrossTimestampWrap() {
        var r = TelephoneEventReceiver()
        #expect(r.receive(payload: TelephoneEvent(event: 1, duration: 160).payload, timestamp: 0xFFFF_FF00).count == 1)
        #expect(r.receive(payload: TelephoneEvent(event: 2, duration: 160).payload, timestamp: 0x0000_0100).count == 1)
    }
}

@Suite struct CallStatisticsTests {
    @Test func headerValuesOfGuide99() {
        var rx = RTPReceiveStatistics()
        rx.packets = 1500; rx.octets = 240_000; rx.outOfOrder = 2; rx.jitter = 12
        rx.baseSequence = 100; rx.extendedHighestSequence = 1609   // 1510 expected, 10 lost
        rx.firstArrival = .seconds(10)
        #expect(CallStatistics.rxStat(rx, now: .milliseconds(40_700)) == "Dur=30,Pkt=1500,Oct=240000,LatePkt=2,LostPkt=10,AvgJit=12")
        var tx = RTPSendStatistics()
        tx.packets = 1520; tx.octets = 243_200
        #expect(CallStatistics.txStat(tx, started: .seconds(9), now: .milliseconds(40_700)) == "Dur=31,Pkt=1520,Oct=243200")
        #expect(CallStatistics.rxStat(RTPReceiveStatistics(), now: .seconds(5)) == "Dur=0,Pkt=0,Oct=0,LatePkt=0,LostPkt=0,AvgJit=0")
    }

    /// From a receiver fed a real stream (duplicates never make LostPkt negative).
    @Test func fromTheReceiver() {
        var r = RTPReceiver()
        let src = RTPEndpoint(ipv4: "127.0.0.1", port: 2)!
        var s = RTPSender(payloadType: 0, ssrc: 3, initialSequence: 10, initialTimestamp: 0)
        var packets = (0..<50).map { _ in s.packet(payload: [UInt8](repeating: 0xFF, count: 160), samples: 160) }
        packets.remove(at: 20)
        packets.insert(packets[30], at: 31)
        for (i, p) in packets.enumerated() { _ = r.receive(p, from: src, arrival: .milliseconds(20 * i)) }
        #expect(CallStatistics.rxStat(r.statistics, now: .seconds(2)) == "Dur=2,Pkt=49,Oct=7840,LatePkt=0,LostPkt=1,AvgJit=\(r.statistics.jitter)")
        #expect(r.statistics.duplicates == 1)
    }
}
