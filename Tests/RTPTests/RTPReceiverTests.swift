import Testing
import RTP

let far = RTPEndpoint(ipv4: "192.0.2.9", port: 40000)!

/// A far-end stream: packets of 160 samples every 20 ms, arrivals as given.
struct Stream {
    var ssrc: UInt32 = 0xCAFE_F00D
    var pt: UInt8 = 0

    func packet(seq: UInt16, ts: UInt32, marker: Bool = false, payload: Int = 160, ssrc: UInt32? = nil) -> [UInt8] {
        RTPHeader(marker: marker, payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: ssrc ?? self.ssrc)
            .packet(payload: [UInt8](repeating: 0xFF, count: payload))
    }
}

func ms(_ v: Double) -> Duration { .nanoseconds(Int64(v * 1_000_000)) }

@Suite struct RTPReceiverTests {
    @Test func probationThenCountsFromTheFirstPacket() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        guard case .probation = r.receive(s.packet(seq: 100, ts: 0), from: far, arrival: ms(0)) else { Issue.record("1st"); return }
        #expect(r.lockedSSRC == nil)
        guard case .accepted = r.receive(s.packet(seq: 101, ts: 160), from: far, arrival: ms(20)) else { Issue.record("2nd"); return }
        #expect(r.lockedSSRC == 0xCAFE_F00D)
        #expect(r.statistics.packets == 2 && r.statistics.octets == 320 && r.statistics.expected == 2 && r.statistics.lost == 0)
        #expect(r.statistics.baseSequence == 100 && r.statistics.extendedHighestSequence == 101)
        #expect(r.statistics.firstArrival == ms(0))
    }

    @Test func aDuplicateDuringProbationIsADuplicate() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        _ = r.receive(s.packet(seq: 100, ts: 0), from: far, arrival: ms(0))
        #expect(r.receive(s.packet(seq: 100, ts: 0), from: far, arrival: ms(1)) == .duplicate(try! RTPHeader(parsing: s.packet(seq: 100, ts: 0))))
        _ = r.receive(s.packet(seq: 101, ts: 160), from: far, arrival: ms(20))
        #expect(r.lockedSSRC == s.ssrc && r.statistics.packets == 2 && r.statistics.duplicates == 1)
    }

    @Test func aStraySSRCDuringProbationDoesNotLockIn() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        _ = r.receive(s.packet(seq: 7, ts: 0, ssrc: 1), from: far, arrival: ms(0))
        _ = r.receive(s.packet(seq: 500, ts: 0), from: far, arrival: ms(1))
        _ = r.receive(s.packet(seq: 501, ts: 160), from: far, arrival: ms(21))
        #expect(r.lockedSSRC == s.ssrc)
        #expect(r.statistics.packets == 2)
    }

    @Test func sequenceWrapExtendsTheSequence() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        for i in 0..<20 {
            _ = r.receive(s.packet(seq: UInt16(truncatingIfNeeded: 65530 + i), ts: UInt32(i * 160)), from: far, arrival: ms(Double(i) * 20))
        }
        #expect(r.statistics.extendedHighestSequence == 65530 + 19)
        #expect(r.statistics.extendedHighestSequence >> 16 == 1)    // one cycle
        #expect(r.statistics.expected == 20 && r.statistics.packets == 20 && r.statistics.lost == 0)
        #expect(r.statistics.outOfOrder == 0 && r.statistics.duplicates == 0)
    }

    @Test func wrapRightAtTheStart() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        for (i, seq) in [UInt16(65535), 0, 1, 2].enumerated() {
            _ = r.receive(s.packet(seq: seq, ts: UInt32(i * 160)), from: far, arrival: ms(Double(i) * 20))
        }
        #expect(r.statistics.expected == 4 && r.statistics.packets == 4 && r.statistics.lost == 0)
    }

    @Test func lossDuplicatesAndReordering() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        // 0 1 2 _ _ 5 7 6 7 8 9 (3 and 4 lost, 6 late, 7 twice)
        let order: [UInt16] = [0, 1, 2, 5, 7, 6, 7, 8, 9]
        var results: [RTPReceiveResult] = []
        for (i, seq) in order.enumerated() {
            results.append(r.receive(s.packet(seq: 1000 + seq, ts: UInt32(seq) * 160), from: far, arrival: ms(Double(i) * 20)))
        }
        #expect(r.statistics.packets == 8)
        #expect(r.statistics.expected == 10)
        #expect(r.statistics.lost == 2)
        #expect(r.statistics.duplicates == 1)
        #expect(r.statistics.outOfOrder == 1)
        if case .duplicate = results[6] {} else { Issue.record("the second 7 is a duplicate: \(results[6])") }
        // A.3: 2 lost of 10 expected = 51/256.
        let (fraction, cumulative) = r.intervalLoss()
        #expect(fraction == UInt8((2 << 8) / 10) && cumulative == 2)
        // The next interval: 5 more, none lost.
        for seq: UInt16 in 10..<15 { _ = r.receive(s.packet(seq: 1000 + seq, ts: UInt32(seq) * 160), from: far, arrival: ms(Double(seq) * 20)) }
        let (f2, c2) = r.intervalLoss()
        #expect(f2 == 0 && c2 == 2)
    }

    /// RFC 3550 A.1: a jump of more than MAX_DROPOUT is believed only when the next packet
    /// follows it; a lone stray one is not counted.
    @Test func largeSequenceJumps() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        for seq: UInt16 in 0..<5 { _ = r.receive(s.packet(seq: seq, ts: UInt32(seq) * 160), from: far, arrival: ms(Double(seq) * 20)) }
        let stray = r.receive(s.packet(seq: 30000, ts: 800), from: far, arrival: ms(100))
        if case .probation = stray {} else { Issue.record("\(stray)") }
        #expect(r.statistics.packets == 5)
        _ = r.receive(s.packet(seq: 5, ts: 800), from: far, arrival: ms(100))
        #expect(r.statistics.packets == 6 && r.statistics.lost == 0)
        // The source restarts at 40000: two in a row resynchronise.
        _ = r.receive(s.packet(seq: 40000, ts: 960), from: far, arrival: ms(120))
        _ = r.receive(s.packet(seq: 40001, ts: 1120), from: far, arrival: ms(140))
        _ = r.receive(s.packet(seq: 40002, ts: 1280), from: far, arrival: ms(160))
        #expect(r.statistics.packets == 8)
        #expect(r.statistics.lost == 0, "expected \(r.statistics.expected)")
        #expect(r.statistics.extendedHighestSequence == 40002)
    }

    @Test func dropsAreCountedPerReason() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        for seq: UInt16 in 0..<3 { _ = r.receive(s.packet(seq: seq, ts: UInt32(seq) * 160), from: far, arrival: ms(Double(seq) * 20)) }
        let other = RTPEndpoint(ipv4: "192.0.2.10", port: 40000)!
        let otherPort = RTPEndpoint(ipv4: "192.0.2.9", port: 40002)!
        #expect(r.receive(s.packet(seq: 3, ts: 480), from: other, arrival: ms(60)) == .dropped(.wrongSource))
        #expect(r.receive(s.packet(seq: 3, ts: 480), from: otherPort, arrival: ms(60)) == .dropped(.wrongSource))
        var v1 = s.packet(seq: 3, ts: 480)
        v1[0] = 0x40
        #expect(r.receive(v1, from: far, arrival: ms(60)) == .dropped(.badVersion))
        #expect(r.receive([0x80, 0, 0, 3], from: far, arrival: ms(60)) == .dropped(.tooShort))
        #expect(r.receive([], from: far, arrival: ms(60)) == .dropped(.tooShort))
        for _ in 0..<3 { #expect(r.receive(s.packet(seq: 3, ts: 480, ssrc: 0xBAD), from: far, arrival: ms(60)) == .dropped(.wrongSSRC)) }
        var padded = s.packet(seq: 3, ts: 480)
        padded[0] |= 0x20
        padded[padded.count - 1] = 200
        #expect(r.receive(padded, from: far, arrival: ms(60)) == .dropped(.malformed))
        #expect(r.drops.wrongSource == 2 && r.drops.badVersion == 1 && r.drops.tooShort == 2 && r.drops.wrongSSRC == 3 && r.drops.malformed == 1)
        #expect(r.drops.total == 9)
        // The call goes on: the right packet still counts.
        guard case .accepted = r.receive(s.packet(seq: 3, ts: 480), from: far, arrival: ms(60)) else { Issue.record("after drops"); return }
        #expect(r.statistics.packets == 4 && r.statistics.lost == 0)
        // After a re-INVITE the owner unlocks: a new SSRC is taken after its probation.
        r.unlockSource()
        _ = r.receive(s.packet(seq: 9000, ts: 0, ssrc: 0xBAD), from: far, arrival: ms(80))
        _ = r.receive(s.packet(seq: 9001, ts: 160, ssrc: 0xBAD), from: far, arrival: ms(100))
        #expect(r.lockedSSRC == 0xBAD)
    }

    /// RFC 3550 A.8 worked by hand (timestamp units, 8 kHz: 1 ms = 8 units):
    ///   packet  ts   arrival   transit  |D|  J×16 = J×16 + |D| − ((J×16 + 8) >> 4)   J
    ///   0        0     0 ms       0      –    0                                        0
    ///   1      160    20 ms       0      0    0                                        0
    ///   2      320    50 ms      80     80    0 + 80 − 0 = 80                          5
    ///   3      480    60 ms       0     80    80 + 80 − 5 = 155                        9
    ///   4      640    80 ms       0      0    155 + 0 − 10 = 145                       9
    ///   5      800   100 ms       0      0    145 − 9 = 136                            8
    @Test func interarrivalJitterWorkedExample() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        var jitters: [UInt32] = []
        for (i, arrival) in [0.0, 20, 50, 60, 80, 100].enumerated() {
            _ = r.receive(s.packet(seq: UInt16(i), ts: UInt32(i * 160)), from: far, arrival: ms(arrival))
            jitters.append(r.statistics.jitter)
        }
        #expect(jitters == [0, 0, 5, 9, 9, 8])
    }

    /// Against the floating-point form of A.8 (J += (|D| − J)/16) over a long random stream.
    @Test func jitterAgreesWithTheFloatingPointFormula() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        var seed: UInt64 = 42
        var j = 0.0
        var lastTransit: Double?
        for i in 0..<2000 {
            seed = seed &* 6364136223846793005 &+ 1
            let delay = Double((seed >> 33) % 30)   // 0–29 ms of network delay
            let arrival = Double(i) * 20 + delay
            _ = r.receive(s.packet(seq: UInt16(i), ts: UInt32(i * 160)), from: far, arrival: ms(arrival))
            let transit = (arrival * 8).rounded(.down) - Double(i * 160)
            if let lastTransit { j += (abs(transit - lastTransit) - j) / 16 }
            lastTransit = transit
        }
        #expect(abs(Double(r.statistics.jitter) - j) <= 1.5, "integer \(r.statistics.jitter), float \(j)")
        #expect(j > 40)   // the delays were really there: ~10 ms of mean deviation
    }

    /// Timestamps that jump with the clock (silence suppressed for 2 s) are not jitter; nor
    /// is a discontinuous jump of the timestamp (more than 3 s), nor RFC 4733 updates that
    /// repeat one timestamp.
    @Test func timestampJumps() {
        var r = RTPReceiver(expectedSource: far)
        let s = Stream()
        var seq: UInt16 = 0
        var ts: UInt32 = 0
        var t = 0.0
        func send(_ n: Int) {
            for _ in 0..<n {
                _ = r.receive(s.packet(seq: seq, ts: ts), from: far, arrival: ms(t))
                seq &+= 1; ts &+= 160; t += 20
            }
        }
        send(10)
        ts &+= 16000; t += 2000           // 2 s of silence
        send(10)
        ts &+= 5_000_000                  // a discontinuity with no time passing
        send(10)
        for _ in 0..<5 {                  // telephone-event updates: one timestamp, 20 ms apart
            _ = r.receive(s.packet(seq: seq, ts: ts), from: far, arrival: ms(t))
            seq &+= 1; t += 20
        }
        ts &+= 800
        send(5)
        #expect(r.statistics.jitter == 0)
        #expect(r.statistics.packets == 40 && r.statistics.lost == 0)
    }
}
