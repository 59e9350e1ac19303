/// Daylight saving time rules of GUIDE.md §6.3 (`dst_*` parameters) and the civil-calendar
/// arithmetic they need. Pure values and functions: no clock, no Foundation.
///
/// Instants are seconds since the Unix epoch (UTC); offsets are minutes east of GMT.

/// Proleptic Gregorian calendar arithmetic (H. Hinnant's days_from_civil / civil_from_days).
public enum CivilCalendar {
    /// Days since 1970-01-01 of a date (month 1–12, day 1–31).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400                                      // [0, 399]
        let mp = (month + 9) % 12                                     // March = 0
        let doy = (153 * mp + 2) / 5 + day - 1                        // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy               // [0, 146096]
        return era * 146097 + doe - 719468
    }

    /// The date of a day number (days since 1970-01-01).
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 1 = Sunday … 7 = Saturday (the guide's `day_of_week` numbering). 1970-01-01 was a Thursday.
    public static func weekday(ofDay days: Int) -> Int {
        let w = (days + 4) % 7                                        // 0 = Sunday
        return (w < 0 ? w + 7 : w) + 1
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division, for splitting negative instants into days and seconds.
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// A wall-clock date and time (what the LCD shows), without zone.
public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// The wall time `seconds` after 1970-01-01 00:00 (seconds of a local time scale).
    public init(secondsSinceEpoch seconds: Int) {
        let days = CivilCalendar.floorDiv(seconds, 86_400)
        let rest = seconds - days * 86_400
        let (y, m, d) = CivilCalendar.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: rest / 3600, minute: rest % 3600 / 60, second: rest % 60)
    }

    /// Seconds after 1970-01-01 00:00 of this wall time, read on its own scale.
    public var secondsSinceEpoch: Int {
        CivilCalendar.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// 1 = Sunday … 7 = Saturday.
    public var weekday: Int { CivilCalendar.weekday(ofDay: CivilCalendar.daysFromCivil(year: year, month: month, day: day)) }

    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
    }
}

/// One DST change point: `dst_start_*` or `dst_stop_*`.
public struct DSTPoint: Sendable, Hashable {
    /// Which day of the month.
    public enum Day: Sendable, Hashable {
        /// Absolute style: `dst_*_day` 1–31. A day past the month's end (April 31) means the
        /// month's last day (choice, unverified).
        case date(Int)
        /// Relative style (`dst_*_day` = 0): the `week`-th occurrence of `weekday` (1 = Sunday)
        /// in the month; week 8 = the last occurrence. A week 5 or 6 that the month does not
        /// have means the last occurrence (choice, unverified: clamp, never roll into the next
        /// month). Week = occurrence of the weekday, not calendar week (GUIDE.md §6.3 advice).
        case weekday(Int, week: Int)
    }

    public var month: Int
    public var day: Day
    /// Minutes after local midnight (`dst_*_time`).
    public var minutes: Int

    public init(month: Int, day: Day, minutes: Int) {
        self.month = month
        self.day = day
        self.minutes = minutes
    }

    /// From the parameters as the configuration types them: `dayOfMonth` 0 selects the
    /// relative style (GUIDE.md §6.3).
    public init(month: Int, dayOfMonth: Int, weekday: Int, weekOfMonth: Int, minutes: Int) {
        self.init(month: month, day: dayOfMonth == 0 ? .weekday(weekday, week: weekOfMonth) : .date(dayOfMonth),
                  minutes: minutes)
    }

    /// The day of the month this point falls on in `year`.
    public func dayOfMonth(in year: Int) -> Int {
        let length = CivilCalendar.daysInMonth(year: year, month: month)
        switch day {
        case .date(let d):
            return min(max(d, 1), length)
        case .weekday(let weekday, let week):
            let firstWeekday = CivilCalendar.weekday(ofDay: CivilCalendar.daysFromCivil(year: year, month: month, day: 1))
            let first = 1 + ((weekday - firstWeekday) % 7 + 7) % 7
            var d = first + 7 * (min(max(week, 1), 8) - 1)
            while d > length { d -= 7 }
            return d
        }
    }

    /// The wall-clock seconds (local scale) of this point in `year`.
    public func localSeconds(in year: Int) -> Int {
        CivilCalendar.daysFromCivil(year: year, month: month, day: dayOfMonth(in: year)) * 86_400 + minutes * 60
    }
}

/// The DST rule: start and stop points, the offset, and the two switches.
public struct DSTRule: Sendable, Hashable {
    public var start: DSTPoint
    public var stop: DSTPoint
    /// `dst_offset`, minutes added while DST is in effect (may be negative).
    public var offsetMinutes: Int
    /// `dst_auto_adjust`: false disables DST processing entirely (GUIDE.md §6.3).
    public var autoAdjust: Bool
    /// `dst_stop_autoadjust` — its meaning is (unverified) in the guide. Choice: true (the
    /// default, 1) = the stop time is read in daylight time, the usual US/EU convention
    /// (US "02:00" ends DST at 02:00 PDT = 01:00 PST; the guide's EU example stops at "3" =
    /// 03:00 CEST = 01:00 UTC); false = the stop time is read in standard time.
    /// The start time is always read in standard time.
    public var stopInDaylightTime: Bool

    public init(start: DSTPoint, stop: DSTPoint, offsetMinutes: Int = 60, autoAdjust: Bool = true,
                stopInDaylightTime: Bool = true) {
        self.start = start
        self.stop = stop
        self.offsetMinutes = offsetMinutes
        self.autoAdjust = autoAdjust
        self.stopInDaylightTime = stopInDaylightTime
    }

    /// The parameter defaults (ParameterTable): first Sunday of April 02:00 to the last Sunday
    /// of October 02:00, offset 1 hour — the pre-2007 US rule.
    public static let parameterDefaults = DSTRule(
        start: DSTPoint(month: 4, day: .weekday(1, week: 1), minutes: 120),
        stop: DSTPoint(month: 10, day: .weekday(1, week: 8), minutes: 120))

    /// The UTC instants (seconds) of the start and stop points in `year`.
    public func transitions(in year: Int, standardOffsetMinutes: Int) -> (start: Int, stop: Int) {
        let startUTC = start.localSeconds(in: year) - standardOffsetMinutes * 60
        let stopOffset = standardOffsetMinutes + (stopInDaylightTime ? offsetMinutes : 0)
        return (startUTC, stop.localSeconds(in: year) - stopOffset * 60)
    }

    /// Whether DST is in effect at `utc` (seconds since the epoch). The latest start or stop
    /// point at or before the instant decides, looking at the neighbouring years too, so both
    /// hemispheres (start month after stop month) and year ends work alike.
    public func isInEffect(atUTC utc: Int, standardOffsetMinutes: Int) -> Bool {
        guard autoAdjust, offsetMinutes != 0 else { return false }
        let year = LocalDateTime(secondsSinceEpoch: utc + standardOffsetMinutes * 60).year
        var latest: (instant: Int, isStart: Bool)?
        for y in (year - 1)...(year + 1) {
            let t = transitions(in: y, standardOffsetMinutes: standardOffsetMinutes)
            // At equal instants a stop wins (listed last and compared with >=).
            for (instant, isStart) in [(t.start, true), (t.stop, false)] where instant <= utc {
                if latest == nil || instant >= latest!.instant { latest = (instant, isStart) }
            }
        }
        return latest?.isStart ?? false
    }

    /// The offset east of GMT in force at `utc`, minutes.
    public func utcOffsetMinutes(atUTC utc: Int, standardOffsetMinutes: Int) -> Int {
        standardOffsetMinutes + (isInEffect(atUTC: utc, standardOffsetMinutes: standardOffsetMinutes) ? offsetMinutes : 0)
    }

    /// The wall-clock time at `utc`. In the skipped hour no instant maps to a wall time; in the
    /// repeated hour two instants map to the same wall time (the first in daylight time).
    public func localTime(atUTC utc: Int, standardOffsetMinutes: Int) -> LocalDateTime {
        LocalDateTime(secondsSinceEpoch: utc + utcOffsetMinutes(atUTC: utc, standardOffsetMinutes: standardOffsetMinutes) * 60)
    }
}

/// What the phone needs to turn UTC into the LCD's wall time: the `time_zone` offset and the
/// DST rule (nil: no DST).
public struct LocalTimeRule: Sendable, Hashable {
    /// The `time_zone` abbreviation as configured (for `show`); TimeZoneTable gives the offset.
    public var zoneName: String
    public var standardOffsetMinutes: Int
    public var dst: DSTRule?

    public init(zoneName: String, standardOffsetMinutes: Int, dst: DSTRule?) {
        self.zoneName = zoneName
        self.standardOffsetMinutes = standardOffsetMinutes
        self.dst = dst
    }

    /// A zone from TimeZoneTable; nil for an unknown abbreviation.
    public init?(zone name: String, dst: DSTRule?) {
        guard let zone = TimeZoneTable.zone(named: name) else { return nil }
        self.init(zoneName: zone.abbreviation, standardOffsetMinutes: zone.offsetMinutes, dst: dst)
    }

    /// The parameter defaults: PST with the default DST rule.
    public static let parameterDefaults = LocalTimeRule(zone: TimeZoneTable.defaultAbbreviation, dst: .parameterDefaults)!

    public func isDaylightTime(atUTC utc: Int) -> Bool {
        dst?.isInEffect(atUTC: utc, standardOffsetMinutes: standardOffsetMinutes) ?? false
    }

    public func utcOffsetMinutes(atUTC utc: Int) -> Int {
        dst?.utcOffsetMinutes(atUTC: utc, standardOffsetMinutes: standardOffsetMinutes) ?? standardOffsetMinutes
    }

    public func localTime(atUTC utc: Int) -> LocalDateTime {
        LocalDateTime(secondsSinceEpoch: utc + utcOffsetMinutes(atUTC: utc) * 60)
    }
}
