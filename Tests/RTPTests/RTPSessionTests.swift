import Testing
import RTP

struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RTPSessionTests {
    let alice = RTPEndpoint(ipv4: "127.0.0.1", port: 20000)!
    let bob = RTPEndpoint(ipv4: "127.0.0.1", port: 30000)!

    func session(expecting: RTPEndpoint, dtmf: UInt8? = 101, seed: UInt64) -> RTPSession {
        var g = Seeded(state: seed)
        return RTPSession(payloadType: 0, dtmfPayloadType: dtmf, expectedSource: expecting, cname: "x", start: .zero, using: &g)
    }

    /// Audio, a keyed digit, audio again: what goes on the wire.
    @Test func keyedDigitReplacesAudioWithTelephoneEvents() throws {
        var a = session(expecting: bob, seed: 1)
        let frame = [UInt8](repeating: 0xFF, count: 160)
        var wire: [[UInt8]] = []
        var t = Duration.zero
        func tick(_ payload: [UInt8]?) { wire += a.frame(payload, now: t); t += .milliseconds(20) }
        for _ in 0..<3 { tick(frame) }
        let keyed = a.keyDown("5")
        #expect(keyed)
        tick(frame); tick(frame)
        a.keyUp()                              // released after 40 ms: held to the minimum
        for _ in 0..<6 { tick(frame) }
        tick(frame)
        let headers = try wire.map { try RTPHeader(parsing: $0) }
        let base = headers[0].timestamp
        // 3 audio, start + 4 updates (5 packets = 100 ms minimum) + 3 end, then audio.
        #expect(headers.map(\.payloadType) == [0, 0, 0, 101, 101, 101, 101, 101, 101, 101, 101, 0, 0, 0])
        #expect(headers.map(\.marker) == [true, false, false, true, false, false, false, false, false, false, false, false, false, false])
        #expect(zip(headers, headers.dropFirst()).allSatisfy { $1.sequenceNumber == $0.sequenceNumber &+ 1 })
        let events = zip(wire, headers).filter { $1.payloadType == 101 }.map { TelephoneEvent(payload: $0.0[$0.1.payloadRange])! }
        #expect(events.map(\.duration) == [160, 320, 480, 640, 800, 960, 960, 960])
        #expect(events.map(\.end) == [false, false, false, false, false, true, true, true])
        #expect(events.allSatisfy { $0.event == 5 })
        #expect(headers[3..<11].allSatisfy { $0.timestamp == base &+ 480 })
        // The audio clock ran on under the event: 6 frames of it.
        #expect(headers[11].timestamp == base &+ 480 &+ 6 * 160)
        #expect(a.firstSent == .zero)
    }

    @Test func withoutTelephoneEventTheOwnerPlaysInBand() {
        var a = session(expecting: bob, dtmf: nil, seed: 2)
        let keyed = a.keyDown("5")
        #expect(!keyed)
        let sent = a.frame([1, 2], now: .zero)
        #expect(sent.count == 1)
        var b = session(expecting: bob, seed: 3)
        let notAKey = b.keyDown("x")
        #expect(!notAKey)
    }

    /// Alice's session to Bob's: Bob hears the audio and exactly one digit.
    @Test func twoSessionsTalk() throws {
        var a = session(expecting: bob, seed: 4)
        var b = session(expecting: alice, seed: 5)
        var heard: [RTPSession.Incoming] = []
        var t = Duration.zero
        for i in 0..<50 {
            if i == 10 { a.keyDown("#") }
            if i == 12 { a.keyUp() }
            for p in a.frame([UInt8](repeating: 0xFF, count: 160), now: t) {
                heard += b.receive(p, from: alice, arrival: t)
                heard += b.receive(p, from: alice, arrival: t)        // every packet twice
            }
            t += .milliseconds(20)
        }
        let digits = heard.compactMap { if case .digit(let r) = $0 { r } else { nil } }
        #expect(digits.count == 2)
        if case .began(11, _)? = digits.first {} else { Issue.record("\(digits)") }
        if case .ended(11, _, 960)? = digits.last {} else { Issue.record("\(digits)") }
        let audio = heard.filter { if case .audio = $0 { true } else { false } }.count
        #expect(audio == 50 - 6)
        #expect(b.receiver.statistics.duplicates == 50 - 6 + 8)
        #expect(b.receiver.statistics.lost == 0)
        #expect(b.rxStat(now: t).hasPrefix("Dur=1,Pkt=52,Oct=\(44 * 160 + 8 * 4),LatePkt=0,LostPkt=0,AvgJit="))
        #expect(a.txStat(now: t) == "Dur=1,Pkt=52,Oct=\(44 * 160 + 8 * 4)")
        // Other sources are dropped and counted while the call goes on.
        let short = b.receive([0x80, 0, 0], from: alice, arrival: t)
        #expect(short == [.dropped(.tooShort)])
        let packet = a.frame([0], now: t)[0]
        let wrong = b.receive(packet, from: bob, arrival: t)
        #expect(wrong == [.dropped(.wrongSource)])
    }

    @Test func rtcpEveryFiveSecondsAndBye() throws {
        var a = session(expecting: bob, seed: 6)
        let early = a.rtcpIfDue(now: .seconds(4), ntp: 1)
        #expect(early == nil)
        _ = a.frame([1], now: .zero)
        let due = a.rtcpIfDue(now: .seconds(5), ntp: 1 << 32)
        let report = try #require(due)
        guard case .senderReport(let ssrc, let info, _)? = try RTCPCompound.parse(report).first else { Issue.record("no SR"); return }
        #expect(ssrc == a.sender.ssrc && info.packetCount == 1)
        let notYet = a.rtcpIfDue(now: .seconds(6), ntp: 1)
        #expect(notYet == nil)
        let bye = try RTCPCompound.parse(a.bye(now: .seconds(7), ntp: 1))
        #expect(bye.last == .bye(ssrcs: [a.sender.ssrc], reason: nil))
    }
}
