#if canImport(Glibc)
import Glibc
#endif
import Testing
import RTP

@Suite struct MediaPortRangeTests {
    @Test func evenPortsWithRoomForRTCP() throws {
        var r = try #require(MediaPortRange(start: 16384, end: 32766))
        #expect(r.first == 16384 && r.last == 32764 && r.count == 8191)
        let c = r.candidates()
        #expect(c.first == 16384 && c.count == 8191 && c.allSatisfy { $0 % 2 == 0 && $0 + 1 <= 32766 })
        #expect(Set(c).count == c.count)
        var odd = try #require(MediaPortRange(start: 20001, end: 20006))
        #expect(odd.candidates() == [20002, 20004])
        #expect(odd.candidates() == [20002, 20004])   // wrapped around
        var rotating = try #require(MediaPortRange(start: 20000, end: 20009, initial: 20004))
        #expect(rotating.candidates() == [20004, 20006, 20008, 20000, 20002])
        #expect(MediaPortRange(start: 20000, end: 20000) == nil)
        #expect(MediaPortRange(start: 30000, end: 20000) == nil)
    }
}

@Suite struct RTPSocketPairTests {
    /// A high range of its own, random per run, so parallel test runs do not collide.
    static func range() -> MediaPortRange {
        let base = 2 * Int.random(in: 20000...30000)
        return MediaPortRange(start: base, end: base + 40)!
    }

    /// Waits up to `milliseconds` for input on either socket of `pair`.
    static func poll(_ pair: RTPSocketPair, milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: pair.rtpDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: pair.rtcpDescriptor, events: Int16(POLLIN), revents: 0)]
        return Glibc.poll(&fds, 2, milliseconds) > 0
    }

    /// How long ago a CLOCK_REALTIME instant was.
    static func secondsAgo(_ t: timespec) -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - t.tv_sec) + Double(now.tv_nsec - t.tv_nsec) / 1e9
    }

    @Test func datagramsArriveInOrderWithRTCPOnPortPlusOne() throws {
        var ports = Self.range()
        let receiver = try RTPSocketPair.bind(host: "127.0.0.1", range: &ports, tos: 0xA0)
        let sender = try RTPSocketPair.bind(host: "127.0.0.1", range: &ports)
        #expect(receiver.rtpPort % 2 == 0 && receiver.rtcpPort == receiver.rtpPort + 1)
        #expect(sender.rtpPort != receiver.rtpPort)

        let to = RTPEndpoint(ipv4: "127.0.0.1", port: UInt16(receiver.rtpPort))!
        let toRTCP = RTPEndpoint(ipv4: "127.0.0.1", port: UInt16(receiver.rtcpPort))!
        var s = RTPSender(payloadType: 0, ssrc: 77, initialSequence: 1, initialTimestamp: 0)
        for _ in 0..<100 { sender.sendRTP(s.packet(payload: [UInt8](repeating: 0xFF, count: 160), samples: 160), to: to) }
        sender.sendRTCP(RTCPCompound.serialize([.receiverReport(ssrc: 77, reports: [])]), to: toRTCP)

        var rtp = RTPReceiver(expectedSource: RTPEndpoint(ipv4: "127.0.0.1", port: UInt16(sender.rtpPort))!)
        var sequence: [UInt16] = []
        var rtcp = 0
        let batch = RTPReceiveBatch(capacity: 8)
        var fullBatches = 0
        while sequence.count < 99 || rtcp < 1, Self.poll(receiver, milliseconds: 2000) {
            while receiver.receive(.rtp, into: batch) > 0 {
                if batch.count == batch.capacity { fullBatches += 1 }
                for i in 0..<batch.count {
                    #expect(batch.arrival(i).map { Self.secondsAgo($0) < 5 } == true, "a kernel arrival time, just now")
                    let from = try #require(batch.source(i))
                    #expect(from.port == UInt16(sender.rtpPort))
                    #expect(batch.bytes(i).count == 172)
                    if case .accepted(let h) = rtp.receive(Array(batch.bytes(i)), from: from, arrival: .zero) { sequence.append(h.sequenceNumber) }
                }
            }
            while receiver.receive(.rtcp, into: batch) > 0 {
                for i in 0..<batch.count {
                    #expect(batch.source(i)?.port == UInt16(sender.rtcpPort))
                    #expect((try? RTCPCompound.parse(Array(batch.bytes(i)))) == [.receiverReport(ssrc: 77, reports: [])])
                    rtcp += 1
                }
            }
        }
        #expect(sequence == Array(2...100))              // the first one counted at validation
        #expect(rtcp == 1)
        #expect(rtp.statistics.packets == 100 && rtp.statistics.lost == 0)
        // 100 datagrams waiting at once came in batches of 8 (one recvmmsg each), in order.
        #expect(fullBatches >= 1)
        // Nothing waiting: 0, not a block.
        #expect(receiver.receive(.rtp, into: batch) == 0 && batch.count == 0)
        receiver.close()
        receiver.close()   // again: nothing
        sender.close()
    }

    @Test func takenPortsAreSkippedAndAFullRangeIsAnError() throws {
        let base = 2 * Int.random(in: 20000...30000)
        var one = MediaPortRange(start: base, end: base + 1)!
        let first = try RTPSocketPair.bind(host: "127.0.0.1", range: &one)
        #expect(first.rtpPort == base)
        var again = MediaPortRange(start: base, end: base + 1)!
        #expect(throws: RTPSocketPair.BindError.noFreePort(first: base, last: base)) {
            _ = try RTPSocketPair.bind(host: "127.0.0.1", range: &again)
        }
        var two = MediaPortRange(start: base, end: base + 3)!
        let second = try RTPSocketPair.bind(host: "127.0.0.1", range: &two)
        #expect(second.rtpPort == base + 2)
        first.close()
        second.close()
    }

    @Test func aNameIsNotANumericHost() {
        var r = Self.range()
        #expect(throws: RTPSocketPair.BindError.badHost("phone.example")) {
            _ = try RTPSocketPair.bind(host: "phone.example", range: &r)
        }
    }

    @Test func ipv6LoopbackWorksToo() throws {
        var ports = Self.range()
        let a = try RTPSocketPair.bind(host: "::1", range: &ports)
        let b = try RTPSocketPair.bind(host: "::1", range: &ports)
        let to = RTPEndpoint(address: .v6(0, 1), port: UInt16(b.rtpPort))
        a.sendRTP([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9], to: to)
        #expect(Self.poll(b, milliseconds: 2000))
        let batch = RTPReceiveBatch(capacity: 2, datagramSize: 64)
        #expect(b.receive(.rtp, into: batch) == 1)
        #expect(batch.bytes(0).count == 12 && batch.source(0) == RTPEndpoint(address: .v6(0, 1), port: UInt16(a.rtpPort)) && batch.arrival(0) != nil)
    }
}
