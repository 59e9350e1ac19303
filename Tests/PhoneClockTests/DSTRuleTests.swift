import Testing

@testable import PhoneClock

/// Expected instants come from Python's zoneinfo (tzdata) for the real zones, and from an
/// independent calendar computation for the old US and absolute rules.
@Suite struct DSTRuleTests {
    static func relative(_ month: Int, weekday: Int = 1, week: Int, _ minutes: Int) -> DSTPoint {
        DSTPoint(month: month, dayOfMonth: 0, weekday: weekday, weekOfMonth: week, minutes: minutes)
    }

    static let pst = -8 * 60
    static let cet = 60
    static let aest = 10 * 60

    /// 2nd Sunday of March 02:00 → 1st Sunday of November 02:00.
    static let usRule = DSTRule(start: relative(3, week: 2, 120), stop: relative(11, week: 1, 120))
    /// 1st Sunday of April → last Sunday of October (the parameter defaults).
    static let oldUSRule = DSTRule.parameterDefaults
    /// GUIDE.md §6.3 relative example: last Sunday March "02" → last Sunday October "3", CET.
    static let euRule = DSTRule(start: relative(3, week: 8, 120), stop: relative(10, week: 8, 180))
    /// GUIDE.md §6.3 absolute example: April 1 02/00 → October 1 02/00, PST, autoadjust 1.
    static let absoluteRule = DSTRule(
        start: DSTPoint(month: 4, dayOfMonth: 1, weekday: 1, weekOfMonth: 1, minutes: 120),
        stop: DSTPoint(month: 10, dayOfMonth: 1, weekday: 1, weekOfMonth: 1, minutes: 120),
        offsetMinutes: 60, stopInDaylightTime: true)
    /// Sydney: 1st Sunday October 02:00 standard → 1st Sunday April 03:00 daylight, +10:00.
    static let southernRule = DSTRule(start: relative(10, week: 1, 120), stop: relative(4, week: 1, 180))

    static func checkYears(_ rule: DSTRule, offset: Int, _ expected: [Int: (start: Int, stop: Int)]) {
        for (year, want) in expected.sorted(by: { $0.key < $1.key }) {
            let got = rule.transitions(in: year, standardOffsetMinutes: offset)
            #expect(got.start == want.start, "start \(year)")
            #expect(got.stop == want.stop, "stop \(year)")
            #expect(!rule.isInEffect(atUTC: want.start - 1, standardOffsetMinutes: offset), "before start \(year)")
            #expect(rule.isInEffect(atUTC: want.start, standardOffsetMinutes: offset), "at start \(year)")
            #expect(rule.isInEffect(atUTC: want.stop - 1, standardOffsetMinutes: offset), "before stop \(year)")
            #expect(!rule.isInEffect(atUTC: want.stop, standardOffsetMinutes: offset), "at stop \(year)")
        }
    }

    @Test func usRule2024to2030MatchesTzdata() {
        Self.checkYears(Self.usRule, offset: Self.pst, [
            2024: (1710064800, 1730624400), 2025: (1741514400, 1762074000), 2026: (1772964000, 1793523600),
            2027: (1805018400, 1825578000), 2028: (1836468000, 1857027600), 2029: (1867917600, 1888477200),
            2030: (1899367200, 1919926800),
        ])
    }

    @Test func oldUSRule2024to2030() {
        Self.checkYears(Self.oldUSRule, offset: Self.pst, [
            2024: (1712484000, 1730019600), 2025: (1743933600, 1761469200), 2026: (1775383200, 1792918800),
            2027: (1806832800, 1824973200), 2028: (1838282400, 1856422800), 2029: (1869732000, 1887872400),
            2030: (1901786400, 1919322000),
        ])
    }

    @Test func euExampleOfTheGuideMatchesTzdataForBerlin() {
        Self.checkYears(Self.euRule, offset: Self.cet, [
            2024: (1711846800, 1729990800), 2025: (1743296400, 1761440400), 2026: (1774746000, 1792890000),
            2027: (1806195600, 1824944400), 2028: (1837645200, 1856394000), 2029: (1869094800, 1887843600),
            2030: (1901149200, 1919293200),
        ])
    }

    @Test func absoluteExampleOfTheGuide() {
        Self.checkYears(Self.absoluteRule, offset: Self.pst, [
            2024: (1711965600, 1727773200), 2025: (1743501600, 1759309200), 2026: (1775037600, 1790845200),
            2027: (1806573600, 1822381200), 2028: (1838196000, 1854003600), 2029: (1869732000, 1885539600),
            2030: (1901268000, 1917075600),
        ])
    }

    @Test func southernHemisphereMatchesTzdataForSydney() {
        // (start, stop) of each calendar year: stop in April, start in October.
        Self.checkYears(Self.southernRule, offset: Self.aest, [
            2024: (1728144000, 1712419200), 2025: (1759593600, 1743868800), 2026: (1791043200, 1775318400),
            2027: (1822492800, 1806768000), 2028: (1853942400, 1838217600), 2029: (1885996800, 1869667200),
            2030: (1917446400, 1901721600),
        ])
        // Midsummer and the new year are in daylight time; midwinter is not.
        let rule = LocalTimeRule(zone: "EAST", dst: Self.southernRule)!
        #expect(rule.localTime(atUTC: utc(2026, 1, 1, 0, 0)) == LocalDateTime(year: 2026, month: 1, day: 1, hour: 11))
        #expect(rule.localTime(atUTC: utc(2026, 7, 1, 0, 0)) == LocalDateTime(year: 2026, month: 7, day: 1, hour: 10))
        #expect(rule.localTime(atUTC: utc(2025, 12, 31, 13, 0)) == LocalDateTime(year: 2026, month: 1, day: 1))
    }

    @Test func usSkippedHourAndRepeatedHour() {
        let rule = LocalTimeRule(zone: "PST", dst: Self.usRule)!
        // 2026-03-08: 01:59:59 PST is followed by 03:00:00 PDT (02:xx never shows).
        let skip = 1772964000
        #expect(rule.localTime(atUTC: skip - 1) == LocalDateTime(year: 2026, month: 3, day: 8, hour: 1, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: skip) == LocalDateTime(year: 2026, month: 3, day: 8, hour: 3))
        // 2026-11-01: 01:30 shows twice, at 08:30 UTC (PDT) and 09:30 UTC (PST).
        let first = utc(2026, 11, 1, 8, 30), second = utc(2026, 11, 1, 9, 30)
        let wall = LocalDateTime(year: 2026, month: 11, day: 1, hour: 1, minute: 30)
        #expect(rule.localTime(atUTC: first) == wall)
        #expect(rule.isDaylightTime(atUTC: first))
        #expect(rule.localTime(atUTC: second) == wall)
        #expect(!rule.isDaylightTime(atUTC: second))
        #expect(rule.localTime(atUTC: 1793523600 - 1) == LocalDateTime(year: 2026, month: 11, day: 1, hour: 1, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: 1793523600) == LocalDateTime(year: 2026, month: 11, day: 1, hour: 1))
    }

    @Test func euSkippedAndRepeatedHourOfTheGuideExample() {
        let rule = LocalTimeRule(zone: "CET", dst: Self.euRule)!
        // 2026-03-29 01:00 UTC: 01:59:59 CET → 03:00 CEST.
        #expect(rule.localTime(atUTC: 1774746000 - 1) == LocalDateTime(year: 2026, month: 3, day: 29, hour: 1, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: 1774746000) == LocalDateTime(year: 2026, month: 3, day: 29, hour: 3))
        // 2026-10-25: 02:30 twice, at 00:30 and 01:30 UTC.
        let wall = LocalDateTime(year: 2026, month: 10, day: 25, hour: 2, minute: 30)
        #expect(rule.localTime(atUTC: utc(2026, 10, 25, 0, 30)) == wall)
        #expect(rule.localTime(atUTC: utc(2026, 10, 25, 1, 30)) == wall)
        // Summer and winter days.
        #expect(rule.localTime(atUTC: utc(2026, 7, 14, 10, 0)).hour == 12)
        #expect(rule.localTime(atUTC: utc(2026, 12, 24, 18, 0)).hour == 19)
    }

    @Test func absoluteExampleLocalTimes() {
        let rule = LocalTimeRule(zone: "PST", dst: Self.absoluteRule)!
        #expect(rule.localTime(atUTC: utc(2027, 4, 1, 9, 59, 59)) == LocalDateTime(year: 2027, month: 4, day: 1, hour: 1, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: utc(2027, 4, 1, 10, 0)) == LocalDateTime(year: 2027, month: 4, day: 1, hour: 3))
        #expect(rule.localTime(atUTC: utc(2027, 10, 1, 8, 30)) == LocalDateTime(year: 2027, month: 10, day: 1, hour: 1, minute: 30))
        #expect(rule.localTime(atUTC: utc(2027, 10, 1, 9, 30)) == LocalDateTime(year: 2027, month: 10, day: 1, hour: 1, minute: 30))
        #expect(rule.localTime(atUTC: utc(2027, 12, 25, 20, 0)).hour == 12)
    }

    @Test func stopReadInStandardTimeWhenStopAutoadjustIsZero() {
        var rule = Self.usRule
        rule.stopInDaylightTime = false
        // 02:00 PST = 10:00 UTC, an hour later than the daylight reading.
        #expect(rule.transitions(in: 2026, standardOffsetMinutes: Self.pst).stop == 1793523600 + 3600)
    }

    @Test func autoAdjustZeroDisablesDST() {
        var rule = Self.usRule
        rule.autoAdjust = false
        #expect(!rule.isInEffect(atUTC: utc(2026, 7, 1, 0, 0), standardOffsetMinutes: Self.pst))
        #expect(LocalTimeRule(zone: "PST", dst: rule)!.localTime(atUTC: utc(2026, 7, 1, 20, 0)).hour == 12)
    }

    @Test func negativeOffsetAndHalfHourZone() {
        // Newfoundland NST −03:30, +1 h DST under the US rule: July noon UTC = 09:30 NDT.
        let rule = LocalTimeRule(zone: "NST", dst: Self.usRule)!
        #expect(rule.localTime(atUTC: utc(2026, 7, 1, 12, 0)) == LocalDateTime(year: 2026, month: 7, day: 1, hour: 9, minute: 30))
        // A −1 h offset ("winter time" style) moves the clock back while in effect.
        var back = Self.usRule
        back.offsetMinutes = -60
        #expect(LocalTimeRule(zone: "GMT", dst: back)!.localTime(atUTC: utc(2026, 7, 1, 12, 0)).hour == 11)
    }

    @Test func weekFiveAndSixClampToTheLastOccurrence() {
        // March 2026 has five Sundays (1, 8, 15, 22, 29); February 2026 has four (1, 8, 15, 22).
        #expect(Self.relative(3, week: 5, 0).dayOfMonth(in: 2026) == 29)
        #expect(Self.relative(3, week: 6, 0).dayOfMonth(in: 2026) == 29)
        #expect(Self.relative(2, week: 5, 0).dayOfMonth(in: 2026) == 22)
        #expect(Self.relative(2, week: 6, 0).dayOfMonth(in: 2026) == 22)
        #expect(Self.relative(2, week: 8, 0).dayOfMonth(in: 2026) == 22)
        // Saturday (7) in May 2026: 2, 9, 16, 23, 30.
        #expect(Self.relative(5, weekday: 7, week: 1, 0).dayOfMonth(in: 2026) == 2)
        #expect(Self.relative(5, weekday: 7, week: 5, 0).dayOfMonth(in: 2026) == 30)
        // Absolute day past the month's end: the last day.
        #expect(DSTPoint(month: 4, day: .date(31), minutes: 0).dayOfMonth(in: 2026) == 30)
    }

    @Test func leapYears() {
        #expect(CivilCalendar.isLeapYear(2024) && CivilCalendar.isLeapYear(2000))
        #expect(!CivilCalendar.isLeapYear(2100) && !CivilCalendar.isLeapYear(2026))
        // Last Thursday (5) of February: 29th in 2024, 26th in 2026; an absolute Feb 29 in 2026 is Feb 28.
        #expect(Self.relative(2, weekday: 5, week: 8, 0).dayOfMonth(in: 2024) == 29)
        #expect(Self.relative(2, weekday: 5, week: 8, 0).dayOfMonth(in: 2026) == 26)
        #expect(DSTPoint(month: 2, day: .date(29), minutes: 0).dayOfMonth(in: 2026) == 28)
        #expect(DSTPoint(month: 2, day: .date(29), minutes: 0).dayOfMonth(in: 2028) == 29)
        #expect(LocalDateTime(secondsSinceEpoch: utc(2024, 2, 28, 23, 59, 59) + 1) == LocalDateTime(year: 2024, month: 2, day: 29))
    }

    @Test func civilDateRoundTripsOverFourCenturies() {
        var days = CivilCalendar.daysFromCivil(year: 1900, month: 1, day: 1)
        let end = CivilCalendar.daysFromCivil(year: 2300, month: 1, day: 1)
        var expected = (year: 1900, month: 1, day: 1)
        var weekday = 2 // 1900-01-01 was a Monday
        while days < end {
            let got = CivilCalendar.civilFromDays(days)
            guard got == expected, CivilCalendar.weekday(ofDay: days) == weekday,
                  CivilCalendar.daysFromCivil(year: got.year, month: got.month, day: got.day) == days else {
                Issue.record("day \(days): \(got) weekday \(CivilCalendar.weekday(ofDay: days)), want \(expected) \(weekday)")
                return
            }
            expected.day += 1
            if expected.day > CivilCalendar.daysInMonth(year: expected.year, month: expected.month) {
                expected.day = 1
                expected.month += 1
                if expected.month > 12 { expected.month = 1; expected.year += 1 }
            }
            weekday = weekday % 7 + 1
            days += 1
        }
        #expect(CivilCalendar.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(LocalDateTime(secondsSinceEpoch: -1) == LocalDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test func localTimeRuleFromTheZoneTable() {
        #expect(LocalTimeRule(zone: "cet", dst: nil)?.standardOffsetMinutes == 60)
        #expect(LocalTimeRule(zone: "XYZ", dst: nil) == nil)
        #expect(LocalTimeRule.parameterDefaults.zoneName == "PST")
    }
}

func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int = 0) -> Int {
    CivilCalendar.daysFromCivil(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + s
}
