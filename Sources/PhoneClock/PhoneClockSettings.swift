/// The time parameters of GUIDE.md §2.2.7 / §6 as PhoneClock's value types.
///
/// PhoneClock does not import Provisioning (Provisioning imports PhoneClock), so the phone
/// layer hands in the configuration's two typed lookups:
/// `PhoneClockSettings(number: config.number, text: config.text)`. Numbers are as the
/// parameter table stores them: months 1–12, weekdays 1–7 (1 = Sunday), week 1–6 or 8, times
/// and offsets in minutes, booleans 0/1. A missing value means the parameter's default.
public struct PhoneClockSettings: Sendable, Hashable {
    public var localTime: LocalTimeRule
    public var format: TimeFormat
    public var sntp: SNTPConfiguration
    /// Values that could not be used (logged by the caller), e.g. an unknown zone.
    public var problems: [String]

    public init(number: (String) -> Int?, text: (String) -> String?) {
        var problems: [String] = []
        func point(_ which: String, month: Int, week: Int) -> DSTPoint {
            DSTPoint(month: number("dst_\(which)_month") ?? month, dayOfMonth: number("dst_\(which)_day") ?? 0,
                     weekday: number("dst_\(which)_day_of_week") ?? 1,
                     weekOfMonth: number("dst_\(which)_week_of_month") ?? week,
                     minutes: number("dst_\(which)_time") ?? 120)
        }
        let dst = DSTRule(start: point("start", month: 4, week: 1), stop: point("stop", month: 10, week: 8),
                          offsetMinutes: number("dst_offset") ?? 60,
                          autoAdjust: (number("dst_auto_adjust") ?? 1) != 0,
                          stopInDaylightTime: (number("dst_stop_autoadjust") ?? 1) != 0)
        let zoneName = text("time_zone") ?? TimeZoneTable.defaultAbbreviation
        if let rule = LocalTimeRule(zone: zoneName, dst: dst) {
            localTime = rule
        } else {
            problems.append("time_zone \(zoneName) is unknown; using \(TimeZoneTable.defaultAbbreviation)")
            localTime = LocalTimeRule(zone: TimeZoneTable.defaultAbbreviation, dst: dst)!
        }
        let dateFormat = text("date_format") ?? "M/D/Y"
        if let f = TimeFormat(dateFormat: dateFormat, timeFormat24hr: (number("time_format_24hr") ?? 1) != 0) {
            format = f
        } else {
            problems.append("date_format \(dateFormat) is unknown; using M/D/Y")
            format = TimeFormat(twentyFourHour: (number("time_format_24hr") ?? 1) != 0)
        }
        if let raw = text("sntp_server"), SNTPEndpoint.server(raw) == nil,
           !raw.isEmpty, raw != "0.0.0.0" {
            problems.append("sntp_server \(raw) is not usable; treated as unset")
        }
        sntp = SNTPConfiguration(sntpMode: text("sntp_mode"), sntpServer: text("sntp_server"))
        self.problems = problems
    }
}
