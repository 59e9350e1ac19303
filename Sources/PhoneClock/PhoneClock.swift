#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// The phone's own clock (GUIDE.md §6): the monotonic clock plus the last SNTP sample gives UTC
/// now; the zone and DST rule give the LCD's wall time. It never sets the host's clock.
///
/// Until the first good SNTP sample the phone is "unsynchronised": UTC then comes from the
/// host's real-time clock, and every reading says so (`synchronised == false`), so the display
/// can flag it (choice, unverified: the reference phone shows nothing useful before SNTP).
public final class PhoneClock: Sendable {
    /// UTC now and where it came from.
    public struct Now: Sendable, Hashable {
        public var utcNanoseconds: Int64
        public var synchronised: Bool
        public var utcSeconds: Int { Int(utcNanoseconds >= 0 ? utcNanoseconds / 1_000_000_000
                                          : -((-utcNanoseconds + 999_999_999) / 1_000_000_000)) }
    }

    /// The wall time for the LCD.
    public struct Local: Sendable, Hashable {
        public var time: LocalDateTime
        public var isDaylightTime: Bool
        public var synchronised: Bool
        /// Offset east of GMT in force, minutes.
        public var utcOffsetMinutes: Int
    }

    private struct State {
        var rule: LocalTimeRule
        var format: TimeFormat
        /// (monotonic, UTC) at the last sample.
        var base: (monotonic: Int64, utc: Int64)?
    }

    private let monotonic: @Sendable () -> Int64
    private let hostUTC: @Sendable () -> Int64
    private let state: NIOLockedValueBox<State>

    /// `monotonic` and `hostUTC` return nanoseconds; the defaults read CLOCK_MONOTONIC and
    /// CLOCK_REALTIME. Tests inject manual clocks.
    public init(rule: LocalTimeRule = .parameterDefaults, format: TimeFormat = .parameterDefaults,
                monotonic: @escaping @Sendable () -> Int64 = PhoneClock.systemMonotonic,
                hostUTC: @escaping @Sendable () -> Int64 = PhoneClock.systemRealtime) {
        self.monotonic = monotonic
        self.hostUTC = hostUTC
        state = NIOLockedValueBox(State(rule: rule, format: format, base: nil))
    }

    public static let systemMonotonic: @Sendable () -> Int64 = { PhoneClock.readClock(CLOCK_MONOTONIC) }
    public static let systemRealtime: @Sendable () -> Int64 = { PhoneClock.readClock(CLOCK_REALTIME) }

    private static func readClock(_ id: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    // MARK: configuration

    /// Time zone and DST (after each provisioning boot).
    public func setRule(_ rule: LocalTimeRule) { state.withLockedValue { $0.rule = rule } }
    public func setFormat(_ format: TimeFormat) { state.withLockedValue { $0.format = format } }
    public var rule: LocalTimeRule { state.withLockedValue { $0.rule } }
    public var format: TimeFormat { state.withLockedValue { $0.format } }

    // MARK: SNTP

    /// Takes an SNTP sample: from now on UTC = sample's UTC + monotonic time elapsed since.
    public func apply(_ sample: SNTPSample) {
        state.withLockedValue { $0.base = (sample.monotonicNanoseconds, sample.utcNanoseconds) }
    }

    public var isSynchronised: Bool { state.withLockedValue { $0.base != nil } }

    /// The reading the SNTP client takes its T1/T4 from (the phone's own best UTC).
    public func reading() -> ClockReading {
        let m = monotonic()
        return ClockReading(monotonicNanoseconds: m, utcNanoseconds: utc(atMonotonic: m).utcNanoseconds)
    }

    // MARK: time

    public func now() -> Now { utc(atMonotonic: monotonic()) }

    private func utc(atMonotonic m: Int64) -> Now {
        if let base = state.withLockedValue({ $0.base }) {
            return Now(utcNanoseconds: base.utc + (m - base.monotonic), synchronised: true)
        }
        return Now(utcNanoseconds: hostUTC(), synchronised: false)
    }

    public func localNow() -> Local {
        let n = now()
        let rule = self.rule
        let offset = rule.utcOffsetMinutes(atUTC: n.utcSeconds)
        return Local(time: LocalDateTime(secondsSinceEpoch: n.utcSeconds + offset * 60),
                     isDaylightTime: offset != rule.standardOffsetMinutes, synchronised: n.synchronised,
                     utcOffsetMinutes: offset)
    }

    /// The LCD's date and time, e.g. `11/25/26 14:05`.
    public func display() -> String { format.dateTime(localNow().time) }
}
