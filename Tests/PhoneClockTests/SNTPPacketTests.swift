import Testing

@testable import PhoneClock

@Suite struct SNTPPacketTests {
    /// An NTP timestamp `s` seconds (binary fractions only, so the arithmetic is exact) after
    /// 2026-01-01 00:00 UTC.
    static func at(_ s: Double) -> NTPTimestamp {
        let base: UInt64 = (1_767_225_600 + 2_208_988_800) << 32
        return NTPTimestamp(raw: base &+ UInt64(Int64(s * 4294967296.0)))
    }

    @Test func requestEncodesToTheRFCLayout() {
        let bytes = SNTPPacket.request(transmit: NTPTimestamp(seconds: 0xE1A2_B3C4, fraction: 0x8000_0001)).encode()
        #expect(bytes.count == 48)
        #expect(bytes[0] == 0x23)                         // LI 0, VN 4, mode 3
        #expect(bytes[1..<40].allSatisfy { $0 == 0 })
        #expect(Array(bytes[40..<48]) == [0xE1, 0xA2, 0xB3, 0xC4, 0x80, 0x00, 0x00, 0x01])
    }

    @Test func replyDecodesEveryField() throws {
        var bytes: [UInt8] = [0xE4, 8, 6, 0xE9]            // LI 3, VN 4, mode 4; stratum 8; poll 6; precision −23
        bytes += [0xFF, 0xFF, 0x80, 0x00]                  // root delay −0.5 s
        bytes += [0x00, 0x01, 0x40, 0x00]                  // root dispersion 1.25 s
        bytes += [127, 127, 1, 1]                          // refid
        for i in 0..<4 { bytes += [0xEC, 0, 0, UInt8(i), 0, 0, 0, UInt8(0x10 + i)] }
        bytes += [0xAA, 0xBB]                              // an extension tail is ignored
        let p = try SNTPPacket(decoding: bytes)
        #expect(p.leapIndicator == 3 && p.version == 4 && p.mode == .server)
        #expect(p.stratum == 8 && p.poll == 6 && p.precision == -23)
        #expect(p.rootDelay == -32768 && p.rootDispersion == 0x0001_4000)
        #expect(p.referenceIDText == "127.127.1.1")
        #expect(p.referenceTimestamp == NTPTimestamp(seconds: 0xEC00_0000, fraction: 0x10))
        #expect(p.originateTimestamp == NTPTimestamp(seconds: 0xEC00_0001, fraction: 0x11))
        #expect(p.receiveTimestamp == NTPTimestamp(seconds: 0xEC00_0002, fraction: 0x12))
        #expect(p.transmitTimestamp == NTPTimestamp(seconds: 0xEC00_0003, fraction: 0x13))
        #expect(p.encode() == Array(bytes.prefix(48)))
        #expect(p.kissCode == nil)
    }

    @Test func shortDatagramIsRejected() {
        #expect(throws: SNTPPacketError.tooShort(47)) { try SNTPPacket(decoding: [UInt8](repeating: 0, count: 47)) }
    }

    @Test func unixAndNTPEpochs() {
        #expect(NTPTimestamp(unixNanoseconds: 0) == NTPTimestamp(seconds: 0x83AA_7E80, fraction: 0))
        #expect(NTPTimestamp(unixNanoseconds: 500_000_000) == NTPTimestamp(seconds: 0x83AA_7E80, fraction: 0x8000_0000))
        #expect(NTPTimestamp(seconds: 0x83AA_7E80, fraction: 0x4000_0000).unixNanoseconds == 250_000_000)
        // 2026-01-01 round trip with nanoseconds (fraction rounding loses under 1 ns).
        let ns: Int64 = 1_767_225_600_123_456_789
        #expect(abs(NTPTimestamp(unixNanoseconds: ns).unixNanoseconds - ns) <= 1)
    }

    @Test func era1AfterFebruary2036() {
        // 2036-02-07 06:28:16 UTC is NTP second 2^32: the seconds field wraps to 0 (era 1).
        let wrap: Int64 = 2_085_978_496
        #expect(NTPTimestamp(unixNanoseconds: wrap * 1_000_000_000) == NTPTimestamp(seconds: 0, fraction: 0))
        #expect(NTPTimestamp(unixNanoseconds: (wrap - 1) * 1_000_000_000) == NTPTimestamp(seconds: 0xFFFF_FFFF, fraction: 0))
        #expect(NTPTimestamp(seconds: 5, fraction: 0).unixNanoseconds == (wrap + 5) * 1_000_000_000)
        #expect(NTPTimestamp(seconds: 0xFFFF_FFFF, fraction: 0x8000_0000).unixNanoseconds == wrap * 1_000_000_000 - 500_000_000)
        #expect(NTPTimestamp(seconds: 2, fraction: 0).nanoseconds(since: NTPTimestamp(seconds: 0xFFFF_FFFF, fraction: 0)) == 3_000_000_000)
    }

    @Test func offsetAndDelayAsRFC4330Says() {
        // Client 10.375 s behind: T2 − T1 = 10.5, T3 − T4 = 10.25.
        let m = SNTPMeasurement(t1: Self.at(0), t2: Self.at(10.5), t3: Self.at(10.75), t4: Self.at(0.5))
        #expect(m.offsetNanoseconds == 10_375_000_000)
        #expect(m.delayNanoseconds == 250_000_000)
    }

    @Test func negativeOffset() {
        // Client 59.875 s ahead.
        let m = SNTPMeasurement(t1: Self.at(100), t2: Self.at(40.25), t3: Self.at(40.5), t4: Self.at(100.5))
        #expect(m.offsetNanoseconds == -59_875_000_000)
        #expect(m.delayNanoseconds == 250_000_000)
    }

    @Test func offsetAcrossThe2036EraWrap() {
        // T1 = 06:28:15.5 (era 0), T2 = 06:28:17.0 and T3 = 06:28:17.25 (era 1), T4 = 06:28:16.125 (era 1).
        let t1 = NTPTimestamp(seconds: 0xFFFF_FFFF, fraction: 0x8000_0000)
        let t2 = NTPTimestamp(seconds: 1, fraction: 0)
        let t3 = NTPTimestamp(seconds: 1, fraction: 0x4000_0000)
        let t4 = NTPTimestamp(seconds: 0, fraction: 0x2000_0000)
        let m = SNTPMeasurement(t1: t1, t2: t2, t3: t3, t4: t4)
        #expect(m.offsetNanoseconds == 1_312_500_000)
        #expect(m.delayNanoseconds == 375_000_000)
    }

    @Test func broadcastSampleHasNoDelay() {
        let m = SNTPMeasurement(broadcastTransmit: Self.at(3), received: Self.at(1.5))
        #expect(m.offsetNanoseconds == 1_500_000_000 && m.delayNanoseconds == 0)
    }

    static let t1 = at(1)
    static func goodReply() -> SNTPPacket {
        SNTPPacket(version: 4, mode: .server, stratum: 2, referenceID: [192, 0, 2, 1], referenceTimestamp: at(0),
                   originateTimestamp: t1, receiveTimestamp: at(1.25), transmitTimestamp: at(1.5))
    }

    @Test func sanityChecksAcceptAGoodReplyAndVersion3() {
        #expect(Self.goodReply().check(.reply(to: Self.t1)) == nil)
        var v3 = Self.goodReply()
        v3.version = 3
        #expect(v3.check(.reply(to: Self.t1)) == nil)
        var broadcast = Self.goodReply()
        broadcast.mode = .broadcast
        broadcast.originateTimestamp = .zero
        #expect(broadcast.check(.broadcast) == nil)
    }

    @Test func sanityChecksRejectEachReason() {
        func with(_ change: (inout SNTPPacket) -> Void) -> SNTPPacket { var p = Self.goodReply(); change(&p); return p }
        let expectation = SNTPPacket.Expectation.reply(to: Self.t1)
        #expect(with { $0.version = 2 }.check(expectation) == .wrongVersion(2))
        #expect(with { $0.version = 5 }.check(expectation) == .wrongVersion(5))
        #expect(with { $0.mode = .client }.check(expectation) == .wrongMode(.client))
        #expect(with { $0.mode = .broadcast }.check(expectation) == .wrongMode(.broadcast))
        #expect(Self.goodReply().check(.broadcast) == .wrongMode(.server))
        #expect(with { $0.originateTimestamp = Self.at(2) }.check(expectation) == .originateMismatch)
        #expect(with { $0.transmitTimestamp = .zero }.check(expectation) == .zeroTransmitTimestamp)
        #expect(with { $0.stratum = 16 }.check(expectation) == .stratumOutOfRange(16))
        #expect(with { $0.leapIndicator = 3 }.check(expectation) == .unsynchronised)
        #expect(with { $0.leapIndicator = 1 }.check(expectation) == nil)
        for code in ["RATE", "DENY", "RSTR"] {
            let kiss = with { $0.stratum = 0; $0.leapIndicator = 3; $0.referenceID = Array(code.utf8) }
            #expect(kiss.kissCode == code)
            #expect(kiss.check(expectation) == .kissOfDeath(code))
            // A kiss that does not echo our timestamp may be forged: not taken as a kiss.
            var forged = kiss
            forged.originateTimestamp = Self.at(7)
            #expect(forged.check(expectation) == .originateMismatch)
        }
    }
}
