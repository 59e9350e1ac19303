import NIOCore
import NIOPosix
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

    @Test func datagramsArriveInOrderOnTheLoopWithRTCPOnPortPlusOne() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var ports = Self.range()
        let (stream, continuation) = AsyncStream<(RTPSocketPair.Kind, [UInt8], RTPEndpoint, Bool)>.makeStream()
        let receiver = try await RTPSocketPair.bind(on: loop, host: "127.0.0.1", range: &ports, tos: 0xA0) { kind, buffer, from in
            continuation.yield((kind, Array(buffer.readableBytesView), from, loop.inEventLoop))
        }
        let sender = try await RTPSocketPair.bind(on: loop, host: "127.0.0.1", range: &ports) { _, _, _ in }
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
        var onLoop = true
        for await (kind, bytes, from, inLoop) in stream {
            onLoop = onLoop && inLoop
            switch kind {
            case .rtp:
                #expect(from.port == UInt16(sender.rtpPort))
                if case .accepted(let h) = rtp.receive(bytes, from: from, arrival: .zero) { sequence.append(h.sequenceNumber) }
            case .rtcp:
                #expect(from.port == UInt16(sender.rtcpPort))
                #expect(try RTCPCompound.parse(bytes) == [.receiverReport(ssrc: 77, reports: [])])
                rtcp += 1
            }
            if sequence.count == 99 && rtcp == 1 { break }
        }
        #expect(onLoop)
        #expect(sequence == Array(2...100))              // the first one counted at validation
        #expect(rtp.statistics.packets == 100 && rtp.statistics.lost == 0)
        await receiver.close()
        await sender.close()
        try await group.shutdownGracefully()
    }

    @Test func takenPortsAreSkippedAndAFullRangeIsAnError() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let base = 2 * Int.random(in: 20000...30000)
        var one = MediaPortRange(start: base, end: base + 1)!
        let first = try await RTPSocketPair.bind(on: loop, host: "127.0.0.1", range: &one) { _, _, _ in }
        #expect(first.rtpPort == base)
        var again = MediaPortRange(start: base, end: base + 1)!
        await #expect(throws: RTPSocketPair.BindError.noFreePort(first: base, last: base)) {
            _ = try await RTPSocketPair.bind(on: loop, host: "127.0.0.1", range: &again) { _, _, _ in }
        }
        var two = MediaPortRange(start: base, end: base + 3)!
        let second = try await RTPSocketPair.bind(on: loop, host: "127.0.0.1", range: &two) { _, _, _ in }
        #expect(second.rtpPort == base + 2)
        await first.close()
        await second.close()
        try await group.shutdownGracefully()
    }
}
