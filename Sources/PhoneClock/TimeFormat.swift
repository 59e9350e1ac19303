/// The LCD's date and time display (GUIDE.md §6.4: `date_format`, `time_format_24hr`).
///
/// Choices for what the guide does not show, all (unverified):
/// - fields are two digits, zero-padded, the year as its last two digits: `11/25/26`;
/// - 24-hour time is `HH:MM` zero-padded (`09:05`, `14:05`);
/// - 12-hour time is the hour without padding, the minutes, and `a`/`p` with no space, as the
///   7960-class LCD abbreviates it: `2:05p`, `12:00a` (midnight), `12:00p` (noon);
/// - the 12-hour clock is used when `time_format_24hr` is 0 *or* `date_format` has the `A`
///   suffix ([sipcc] `M/D/YA`);
/// - the combined string is the date, one space, the time: `11/25/26 14:05`.
public struct TimeFormat: Sendable, Hashable {
    /// The order of the date fields.
    public enum DateOrder: String, Sendable, Hashable, CaseIterable {
        case monthDayYear = "M/D/Y"
        case dayMonthYear = "D/M/Y"
        case yearMonthDay = "Y/M/D"
        case yearDayMonth = "Y/D/M"
    }

    public var dateOrder: DateOrder
    public var twentyFourHour: Bool

    public init(dateOrder: DateOrder = .monthDayYear, twentyFourHour: Bool = true) {
        self.dateOrder = dateOrder
        self.twentyFourHour = twentyFourHour
    }

    /// From the parameter values: `date_format` (`M/D/Y` … with an optional `A` suffix, case
    /// ignored) and `time_format_24hr` (1 = 24-hour). Nil for an unknown date format.
    public init?(dateFormat: String, timeFormat24hr: Bool) {
        var text = dateFormat.uppercased()
        var twelve = false
        if text.hasSuffix("A") {
            twelve = true
            text.removeLast()
        }
        guard let order = DateOrder(rawValue: text) else { return nil }
        self.init(dateOrder: order, twentyFourHour: timeFormat24hr && !twelve)
    }

    /// The parameter defaults: `M/D/Y`, 24-hour.
    public static let parameterDefaults = TimeFormat()

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `11/25/26`, `25/11/26`, `26/11/25`, `26/25/11`.
    public func date(_ t: LocalDateTime) -> String {
        let y = Self.two(((t.year % 100) + 100) % 100), m = Self.two(t.month), d = Self.two(t.day)
        switch dateOrder {
        case .monthDayYear: return "\(m)/\(d)/\(y)"
        case .dayMonthYear: return "\(d)/\(m)/\(y)"
        case .yearMonthDay: return "\(y)/\(m)/\(d)"
        case .yearDayMonth: return "\(y)/\(d)/\(m)"
        }
    }

    /// `14:05` or `2:05p`.
    public func time(_ t: LocalDateTime) -> String {
        if twentyFourHour { return "\(Self.two(t.hour)):\(Self.two(t.minute))" }
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        return "\(hour12):\(Self.two(t.minute))\(t.hour < 12 ? "a" : "p")"
    }

    /// `11/25/26 14:05`.
    public func dateTime(_ t: LocalDateTime) -> String { "\(date(t)) \(time(t))" }
}
