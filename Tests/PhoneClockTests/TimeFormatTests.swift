import Testing

@testable import PhoneClock

@Suite struct TimeFormatTests {
    let afternoon = LocalDateTime(year: 2026, month: 11, day: 25, hour: 14, minute: 5)
    let morning = LocalDateTime(year: 2009, month: 3, day: 7, hour: 9, minute: 7)

    @Test(arguments: [
        ("M/D/Y", true, "11/25/26 14:05", "03/07/09 09:07"),
        ("D/M/Y", true, "25/11/26 14:05", "07/03/09 09:07"),
        ("Y/M/D", true, "26/11/25 14:05", "09/03/07 09:07"),
        ("Y/D/M", true, "26/25/11 14:05", "09/07/03 09:07"),
        ("M/D/Y", false, "11/25/26 2:05p", "03/07/09 9:07a"),
        ("D/M/YA", true, "25/11/26 2:05p", "07/03/09 9:07a"),
        ("m/d/ya", true, "11/25/26 2:05p", "03/07/09 9:07a"),
    ])
    func displays(_ dateFormat: String, _ twentyFour: Bool, _ first: String, _ second: String) throws {
        let format = try #require(TimeFormat(dateFormat: dateFormat, timeFormat24hr: twentyFour))
        #expect(format.dateTime(afternoon) == first)
        #expect(format.dateTime(morning) == second)
    }

    @Test func midnightAndNoonOnTheTwelveHourClock() {
        let f = TimeFormat(twentyFourHour: false)
        #expect(f.time(LocalDateTime(year: 2026, month: 1, day: 1, hour: 0, minute: 0)) == "12:00a")
        #expect(f.time(LocalDateTime(year: 2026, month: 1, day: 1, hour: 12, minute: 30)) == "12:30p")
        #expect(f.time(LocalDateTime(year: 2026, month: 1, day: 1, hour: 23, minute: 59)) == "11:59p")
        #expect(TimeFormat().time(LocalDateTime(year: 2026, month: 1, day: 1, hour: 0, minute: 0)) == "00:00")
    }

    @Test func unknownDateFormatIsNil() {
        #expect(TimeFormat(dateFormat: "D-M-Y", timeFormat24hr: true) == nil)
        #expect(TimeFormat.parameterDefaults == TimeFormat(dateFormat: "M/D/Y", timeFormat24hr: true))
    }

    @Test func yearsKeepTheirLastTwoDigits() {
        #expect(TimeFormat().date(LocalDateTime(year: 2100, month: 1, day: 2)) == "01/02/00")
    }
}
