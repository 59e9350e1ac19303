import Provisioning
import TestKit
import Testing

@testable import PhoneClock

/// GUIDE.md §6.3's configuration examples, read by the real .cnf parser and parameter table,
/// mapped to PhoneClock's types as the phone layer does, give the right wall times.
@Suite struct PhoneClockSettingsTests {
    static func settings(_ cnf: String) -> (PhoneClockSettings, [Diagnostic]) {
        var config = Configuration()
        let diagnostics = config.apply(Array(cnf.utf8), file: "SIPDefault.cnf", as: .defaultFile)
        return (PhoneClockSettings(number: config.number, text: config.text), diagnostics)
    }

    @Test func guideAbsoluteExample() {
        let (s, diagnostics) = Self.settings(GuideExamples.absoluteDST)
        #expect(diagnostics.isEmpty)
        #expect(s.problems.isEmpty)
        let rule = s.localTime
        #expect(rule.standardOffsetMinutes == -480)
        #expect(rule.dst?.start == DSTPoint(month: 4, day: .date(1), minutes: 120))
        #expect(rule.dst?.stop == DSTPoint(month: 10, day: .date(1), minutes: 120))
        // 2026-04-01 09:59:59 UTC = 01:59:59 PST; 10:00 UTC = 03:00 PDT.
        #expect(rule.localTime(atUTC: utc(2026, 4, 1, 9, 59, 59)) == LocalDateTime(year: 2026, month: 4, day: 1, hour: 1, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: utc(2026, 4, 1, 10, 0)) == LocalDateTime(year: 2026, month: 4, day: 1, hour: 3))
        // Summer noon PDT, and after October 1 02:00 PDT (09:00 UTC) standard time again.
        #expect(rule.localTime(atUTC: utc(2026, 7, 1, 19, 0)).hour == 12)
        #expect(rule.localTime(atUTC: utc(2026, 10, 1, 8, 59)).hour == 1)
        #expect(rule.localTime(atUTC: utc(2026, 10, 1, 9, 0)) == LocalDateTime(year: 2026, month: 10, day: 1, hour: 1))
        #expect(rule.localTime(atUTC: utc(2026, 12, 1, 20, 0)).hour == 12)
    }

    @Test func guideRelativeEUExample() {
        let (s, diagnostics) = Self.settings(GuideExamples.relativeDST + "date_format: D/M/Y\ntime_format_24hr: 1\n")
        #expect(diagnostics.isEmpty)
        let rule = s.localTime
        #expect(rule.dst?.start == DSTPoint(month: 3, day: .weekday(1, week: 8), minutes: 120))
        #expect(rule.dst?.stop == DSTPoint(month: 10, day: .weekday(1, week: 8), minutes: 180))
        // Berlin 2027 (tzdata): DST from 2027-03-28 01:00 UTC to 2027-10-31 01:00 UTC.
        #expect(rule.localTime(atUTC: 1806195600 - 1) == LocalDateTime(year: 2027, month: 3, day: 28, hour: 1, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: 1806195600) == LocalDateTime(year: 2027, month: 3, day: 28, hour: 3))
        #expect(rule.localTime(atUTC: 1824944400 - 1) == LocalDateTime(year: 2027, month: 10, day: 31, hour: 2, minute: 59, second: 59))
        #expect(rule.localTime(atUTC: 1824944400) == LocalDateTime(year: 2027, month: 10, day: 31, hour: 2))
        #expect(s.format.dateTime(rule.localTime(atUTC: utc(2027, 11, 25, 13, 5))) == "25/11/27 14:05")
    }

    @Test func defaultsAndSNTPParameters() {
        let (s, _) = Self.settings("""
            sntp_mode: unicast
            sntp_server: 10.1.2.3
            dst_auto_adjust: 0
            date_format: M/D/YA

            """)
        #expect(s.sntp.mode == .unicast && s.sntp.server == SNTPEndpoint(host: "10.1.2.3", port: 123))
        #expect(s.localTime.zoneName == "PST" && s.localTime.dst?.autoAdjust == false)
        #expect(!s.localTime.isDaylightTime(atUTC: utc(2026, 7, 1, 0, 0)))
        #expect(s.format == TimeFormat(dateOrder: .monthDayYear, twentyFourHour: false))
        // The :port extension, from a .cnf file through the parameter table (`.hostPort`).
        let (p, portDiagnostics) = Self.settings("sntp_server: 127.0.0.1:40123\n")
        #expect(portDiagnostics.isEmpty && p.sntp.server == SNTPEndpoint(host: "127.0.0.1", port: 40123))
        let (d, _) = Self.settings("")
        #expect(d.sntp.mode == .directedbroadcast && d.sntp.server == nil)
        #expect(d.localTime == .parameterDefaults && d.format == .parameterDefaults)
    }
}
