import PhoneClock

/// The value types of the configuration parameters (GUIDE.md §2.2). Each type validates and
/// normalises a raw value from a .cnf line and describes its valid values for error messages
/// and the man page.
public enum ParameterType: Sendable {
    /// An integer in a range.
    case integer(ClosedRange<Int>)
    /// `0` or `1`.
    case boolean
    /// The four "user-control" preferences (GUIDE.md §2.2.6): 0–3.
    case userControl
    /// One of a fixed set of words, compared case-insensitively, stored in the listed spelling.
    case choice([String])
    /// A dotted-quad IPv4 address.
    case ipv4
    /// A dotted-quad IPv4 address or a DNS host name.
    case host
    /// A host with an optional `:port` (`sntp_server`: the port is this implementation's
    /// documented extension, so tests can use a high port; the standard port is the default).
    case hostPort
    /// A dotted IPv4 address with an optional `:port` (`dyn_dns_addr_N`; the port is this
    /// implementation's extension so tests can point at a DNS server on a high port).
    case ipv4Port
    /// A UDP/TCP port, 1–65535.
    case port
    /// A URL (`scheme:rest`, no spaces).
    case url
    /// Free text of at most `maxLength` bytes (nil: the parser's line limit only).
    case text(maxLength: Int?)
    /// A path relative to the TFTP root (`tftp_cfg_dir`): no `..` components, no NUL.
    case relativePath
    /// A file name without directory (e.g. `dial_template`, no `.xml`).
    case fileName
    /// `hour/minute` or `hour` (DST change times). Stored as minutes after midnight.
    case timeOfDay
    /// `[+|-]hour/minute` or `[+|-]hour` (`dst_offset`). Stored as signed minutes.
    case signedOffset
    /// `January`…`December`, `Jan`…`Dec`, or 1–12.
    case month
    /// `Sunday`/`Sun` … `Saturday`/`Sat`, or 1–7 with 1 = Sunday.
    case dayOfWeek
    /// 1–6, or 8 = the last week of the month.
    case weekOfMonth
    /// 1–31, or 0 = use the day-of-week rule. An empty value means 0.
    case dayOfMonth
    /// An abbreviation of GUIDE.md §6.2's table (PhoneClock.TimeZoneTable).
    case timeZone
    /// An RTP dynamic payload type, 96–127; a value above 127 falls back to `fallback`
    /// (GUIDE.md §2.2.4, `dtmf_avt_payload`).
    case dynamicPayload(fallback: Int)

    /// What `(valid: …)` says in an error and what the man page lists.
    public var validValues: String {
        switch self {
        case .integer(let r): return "\(r.lowerBound)–\(r.upperBound)"
        case .boolean: return "0 or 1"
        case .userControl: return "0 (off, user may change), 1 (on, user may change), 2 (always off), 3 (always on)"
        case .choice(let words): return words.joined(separator: ", ")
        case .ipv4: return "a dotted IPv4 address"
        case .host: return "a dotted IPv4 address or a DNS host name"
        case .port: return "1–65535"
        case .hostPort: return "a dotted IPv4 address or a DNS host name, optionally followed by :port"
        case .ipv4Port: return "a dotted IPv4 address, optionally followed by :port"
        case .url: return "a URL (scheme:…, no spaces)"
        case .text(let max?): return "text of at most \(max) characters"
        case .text(nil): return "text"
        case .relativePath: return "a path relative to the TFTP root, without '..'"
        case .fileName: return "a file name without '/'"
        case .timeOfDay: return "hour/minute or hour, e.g. 02/00 or 2"
        case .signedOffset: return "[+|-]hour/minute or [+|-]hour, e.g. 01/00 or -1"
        case .month: return "January…December, Jan…Dec or 1–12"
        case .dayOfWeek: return "Sunday…Saturday, Sun…Sat or 1–7 (1 = Sunday)"
        case .weekOfMonth: return "1–6, or 8 for the last week"
        case .dayOfMonth: return "1–31, or 0 to use the day-of-week rule"
        case .timeZone: return "a time-zone abbreviation such as PST, EST, GMT, CET (see deskphone.cnf(5))"
        case .dynamicPayload: return "96–127"
        }
    }

    /// Validates `raw` (already unquoted). The empty string and `UNPROVISIONED` are handled by
    /// the caller (they clear a parameter) and never reach here.
    public func validate(_ raw: String) -> Result<ParameterValue, ParameterProblem> {
        switch self {
        case .integer(let range):
            guard let n = Self.integer(raw) else { return .failure(.invalid("not a whole number")) }
            guard range.contains(n) else { return .failure(.invalid("\(n) is out of range")) }
            return .success(ParameterValue(text: String(n), number: n))
        case .boolean:
            switch raw {
            case "0": return .success(ParameterValue(text: "0", number: 0))
            case "1": return .success(ParameterValue(text: "1", number: 1))
            default: return .failure(.invalid("'\(raw)' is not 0 or 1"))
            }
        case .userControl:
            return ParameterType.integer(0...3).validate(raw)
        case .choice(let words):
            guard let w = words.first(where: { $0.lowercased() == raw.lowercased() }) else {
                return .failure(.invalid("'\(raw)' is not one of the allowed values"))
            }
            return .success(ParameterValue(text: w))
        case .ipv4:
            guard IPv4.parse(raw) != nil else { return .failure(.invalid("'\(raw)' is not a dotted IPv4 address")) }
            return .success(ParameterValue(text: raw))
        case .host:
            guard IPv4.parse(raw) != nil || HostName.isValid(raw) else {
                return .failure(.invalid("'\(raw)' is neither an IPv4 address nor a host name"))
            }
            return .success(ParameterValue(text: raw))
        case .port:
            return ParameterType.integer(1...65535).validate(raw)
        case .ipv4Port:
            let host = raw.split(separator: ":", maxSplits: 1).first ?? ""
            guard IPv4.parse(host) != nil else { return .failure(.invalid("'\(raw)' is not a dotted IPv4 address")) }
            return ParameterType.hostPort.validate(raw)
        case .hostPort:
            var host = Substring(raw)
            if let colon = raw.lastIndex(of: ":") {
                guard let port = Int(raw[raw.index(after: colon)...]), (1...65535).contains(port) else {
                    return .failure(.invalid("'\(raw)' has no valid port after ':'"))
                }
                host = raw[..<colon]
            }
            guard IPv4.parse(host) != nil || HostName.isValid(host) else {
                return .failure(.invalid("'\(host)' is neither an IPv4 address nor a host name"))
            }
            return .success(ParameterValue(text: raw))
        case .url:
            guard let colon = raw.firstIndex(of: ":"), colon != raw.startIndex,
                  raw[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
                  !raw.contains(" ")
            else { return .failure(.invalid("'\(raw)' is not a URL")) }
            return .success(ParameterValue(text: raw))
        case .text(let max):
            if let max, raw.utf8.count > max {
                return .failure(.invalid("\(raw.utf8.count) characters is longer than \(max)"))
            }
            return .success(ParameterValue(text: raw))
        case .relativePath:
            let parts = raw.split(separator: "/", omittingEmptySubsequences: true)
            guard !raw.hasPrefix("/"), !parts.contains(".."), !raw.contains("\0") else {
                return .failure(.invalid("'\(raw)' must stay inside the TFTP root"))
            }
            return .success(ParameterValue(text: raw))
        case .fileName:
            guard !raw.contains("/"), !raw.contains("\\"), raw != ".", raw != ".." else {
                return .failure(.invalid("'\(raw)' is not a plain file name"))
            }
            return .success(ParameterValue(text: raw))
        case .timeOfDay:
            guard let (sign, h, m) = Self.hourMinute(raw), sign == nil, (0...23).contains(h), (0...59).contains(m) else {
                return .failure(.invalid("'\(raw)' is not a time of day"))
            }
            return .success(ParameterValue(text: raw, number: h * 60 + m))
        case .signedOffset:
            guard let (sign, h, m) = Self.hourMinute(raw), (0...23).contains(h), (0...59).contains(m) else {
                return .failure(.invalid("'\(raw)' is not an offset"))
            }
            return .success(ParameterValue(text: raw, number: (sign == "-" ? -1 : 1) * (h * 60 + m)))
        case .month:
            if let n = Self.integer(raw), (1...12).contains(n) { return .success(ParameterValue(text: raw, number: n)) }
            if let i = Self.nameIndex(raw, Self.months) { return .success(ParameterValue(text: raw, number: i + 1)) }
            return .failure(.invalid("'\(raw)' is not a month"))
        case .dayOfWeek:
            if let n = Self.integer(raw), (1...7).contains(n) { return .success(ParameterValue(text: raw, number: n)) }
            if let i = Self.nameIndex(raw, Self.weekdays) { return .success(ParameterValue(text: raw, number: i + 1)) }
            return .failure(.invalid("'\(raw)' is not a day of the week"))
        case .weekOfMonth:
            guard let n = Self.integer(raw), (1...6).contains(n) || n == 8 else {
                return .failure(.invalid("'\(raw)' is not a week of the month"))
            }
            return .success(ParameterValue(text: String(n), number: n))
        case .dayOfMonth:
            return ParameterType.integer(0...31).validate(raw)
        case .timeZone:
            guard let zone = TimeZoneTable.zone(named: raw) else {
                return .failure(.invalid("'\(raw)' is not a known time zone"))
            }
            return .success(ParameterValue(text: zone.abbreviation, number: zone.offsetMinutes))
        case .dynamicPayload(let fallback):
            guard let n = Self.integer(raw) else { return .failure(.invalid("not a whole number")) }
            if n > 127 {
                return .failure(.replaced(ParameterValue(text: String(fallback), number: fallback),
                                          "\(n) is above 127; using \(fallback)"))
            }
            guard n >= 96 else { return .failure(.invalid("\(n) is out of range")) }
            return .success(ParameterValue(text: String(n), number: n))
        }
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July",
                         "August", "September", "October", "November", "December"]
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Full name or three-letter abbreviation, case-insensitive (GUIDE.md §6.3: 6.x+ behaviour).
    static func nameIndex(_ raw: String, _ names: [String]) -> Int? {
        let l = raw.lowercased()
        return names.firstIndex { $0.lowercased() == l || $0.prefix(3).lowercased() == l }
    }

    /// A decimal integer with an optional sign; nil for anything else (including overflow).
    static func integer(_ raw: String) -> Int? {
        var s = Substring(raw)
        var negative = false
        if s.first == "+" || s.first == "-" { negative = s.first == "-"; s = s.dropFirst() }
        guard !s.isEmpty, s.count <= 18, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard let v = Int(s) else { return nil }
        return negative ? -v : v
    }

    /// `[+|-]h[/m]`, also `h:m` (the guide prints `14:30` as an hour example).
    static func hourMinute(_ raw: String) -> (Character?, Int, Int)? {
        var s = Substring(raw)
        var sign: Character?
        if let f = s.first, f == "+" || f == "-" { sign = f; s = s.dropFirst() }
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let fields = parts.count == 2 ? parts : s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        func num(_ x: Substring) -> Int? {
            guard !x.isEmpty, x.count <= 2, x.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(x)
        }
        guard let h = fields.first.flatMap(num) else { return nil }
        if fields.count == 1 { return (sign, h, 0) }
        guard let m = num(fields[1]) else { return nil }
        return (sign, h, m)
    }
}

/// Why a value was not taken as written.
public enum ParameterProblem: Error, Sendable, Equatable {
    /// The value is rejected; the earlier value stays in force.
    case invalid(String)
    /// The value is replaced by another, as the guide specifies (a warning, not an error).
    case replaced(ParameterValue, String)
}
