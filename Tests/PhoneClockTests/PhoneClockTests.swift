import Synchronization
import Testing

@testable import PhoneClock

final class ManualTime: Sendable {
    let monotonic = Atomic<Int64>(1_000)
    let host = Atomic<Int64>(1_767_225_600_000_000_000)   // 2026-01-01 00:00 UTC

    func advance(seconds: Int64) {
        monotonic.add(seconds * 1_000_000_000, ordering: .relaxed)
        host.add(seconds * 1_000_000_000, ordering: .relaxed)
    }

    func clock(_ rule: LocalTimeRule = .parameterDefaults, _ format: TimeFormat = .parameterDefaults) -> PhoneClock {
        PhoneClock(rule: rule, format: format, monotonic: { self.monotonic.load(ordering: .relaxed) },
                   hostUTC: { self.host.load(ordering: .relaxed) })
    }
}

@Suite struct PhoneClockTests {
    static func sample(utc: Int64, monotonic: Int64) -> SNTPSample {
        SNTPSample(server: SNTPEndpoint(host: "10.0.0.1"), stratum: 2, referenceID: "GPS",
                   measurement: SNTPMeasurement(broadcastTransmit: .zero, received: .zero), isBroadcast: false,
                   monotonicNanoseconds: monotonic, utcNanoseconds: utc)
    }

    @Test func unsynchronisedFallsBackToTheHostClockFlagged() {
        let t = ManualTime()
        let clock = t.clock()
        let now = clock.now()
        #expect(!now.synchronised && !clock.isSynchronised)
        #expect(now.utcNanoseconds == t.host.load(ordering: .relaxed))
        #expect(clock.reading().utcNanoseconds == t.host.load(ordering: .relaxed))
    }

    @Test func sampleThenMonotonicTimeNeverTheHostClock() {
        let t = ManualTime()
        let clock = t.clock()
        // The server says it is 2026-07-04 12:00:00 UTC at monotonic 1000.
        let serverUTC: Int64 = 1_783_166_400_000_000_000
        clock.apply(Self.sample(utc: serverUTC, monotonic: 1_000))
        t.advance(seconds: 90)
        // The host clock jumps; the phone's does not follow it.
        t.host.store(0, ordering: .relaxed)
        let now = clock.now()
        #expect(now.synchronised)
        #expect(now.utcNanoseconds == serverUTC + 90_000_000_000)
        #expect(clock.reading() == ClockReading(monotonicNanoseconds: 90_000_001_000, utcNanoseconds: serverUTC + 90_000_000_000))
    }

    @Test func localTimeAndDisplayFollowZoneDSTAndFormat() {
        let t = ManualTime()
        let us = DSTRule(start: DSTPoint(month: 3, day: .weekday(1, week: 2), minutes: 120),
                         stop: DSTPoint(month: 11, day: .weekday(1, week: 1), minutes: 120))
        let clock = t.clock(LocalTimeRule(zone: "EST", dst: us)!, TimeFormat(dateOrder: .dayMonthYear, twentyFourHour: false))
        // 2026-11-25 19:05 UTC = 14:05 EST.
        clock.apply(Self.sample(utc: 1_795_633_500_000_000_000, monotonic: 1_000))
        let local = clock.localNow()
        #expect(local.time == LocalDateTime(year: 2026, month: 11, day: 25, hour: 14, minute: 5))
        #expect(!local.isDaylightTime && local.utcOffsetMinutes == -300 && local.synchronised)
        #expect(clock.display() == "25/11/26 2:05p")
        clock.setFormat(.parameterDefaults)
        #expect(clock.display() == "11/25/26 14:05")
        // Summer: EDT.
        clock.apply(Self.sample(utc: 1_783_166_400_000_000_000, monotonic: 1_000))
        #expect(clock.localNow().isDaylightTime && clock.localNow().time.hour == 8)
        clock.setRule(LocalTimeRule(zone: "EST", dst: nil)!)
        #expect(clock.localNow().time.hour == 7)
    }
}
