// The dial template file (`dialplan.xml`, GUIDE.md §5.1): parse and validate. Matching the
// digits keyed against the rules (§5.2–§5.4) is `DialPlanMatcher`'s.

/// One `<TEMPLATE …/>` rule (GUIDE.md §5.1).
public struct DialRule: Sendable, Equatable {
    /// `User=`: appended to the request URI as `;user=ip` / `;user=phone`.
    public enum User: Sendable, Equatable {
        case ip, phone, unspecified
    }

    /// `Route=` [sipcc]; `emergency` routes via `proxy_emergency`.
    public enum Route: Sendable, Equatable {
        case `default`, emergency, fqdn
    }

    /// `MATCH=`, as written (escapes such as `\*` are kept; the matcher interprets them).
    public var match: String
    /// `Timeout=`, seconds; `0` = dial immediately.
    public var timeout: Int
    public var user: User
    /// `Rewrite=`; nil when absent or empty (both mean "send the input unchanged").
    public var rewrite: String?
    public var route: Route
    /// `Tone=` per comma in the pattern: element 0 is the tone for the first comma, and so on.
    /// Names use the spelling of `DialRule.toneNames`; "" means the default tone
    /// (`Bellcore-Outside`), from `Tone=""` or from a gap such as `Tone2` without `Tone`.
    public var tones: [String]
    /// `Line=`; nil for all lines (`0` or absent).
    public var line: Int?

    public init(
        match: String, timeout: Int = DialRule.defaultTimeout, user: User = .unspecified,
        rewrite: String? = nil, route: Route = .default, tones: [String] = [], line: Int? = nil
    ) {
        self.match = match
        self.timeout = timeout
        self.user = user
        self.rewrite = rewrite
        self.route = route
        self.tones = tones
        self.line = line
    }

    /// GUIDE.md §5.1: `Timeout` omitted → 10 s [sipcc `DIAL_TIMEOUT`].
    public static let defaultTimeout = 10
    /// GUIDE.md §5.1: "up to 3 Tone attributes per rule".
    public static let maximumTones = 3
    /// GUIDE.md §5.5, in the [sipcc] table order. Matched case-insensitively.
    public static let toneNames: [String] = [
        "Bellcore-Inside", "Bellcore-Outside", "Bellcore-Busy", "Bellcore-Alerting",
        "Bellcore-BusyVerify", "Bellcore-Stutter", "Bellcore-MsgWaiting", "Bellcore-Reorder",
        "Bellcore-CallWaiting", "Bellcore-Cw2", "Bellcore-Cw3", "Bellcore-Cw4", "Bellcore-Hold",
        "Bellcore-Confirmation", "Bellcore-Permanent", "Bellcore-Reminder", "Bellcore-None",
        "Cisco-ZipZip", "Cisco-Zip", "Cisco-BeepBonk",
    ]
}

/// A parsed dial template file.
public struct DialTemplate: Sendable, Equatable {
    /// `<versionStamp>` with surrounding whitespace and one pair of braces removed; nil if absent.
    public var versionStamp: String?
    public var rules: [DialRule]

    public init(versionStamp: String? = nil, rules: [DialRule]) {
        self.versionStamp = versionStamp
        self.rules = rules
    }

    /// GUIDE.md §5.1: maximum file size 0x2000 bytes [sipcc].
    public static let maximumFileSize = 0x2000
    /// GUIDE.md §5.1: maximum template length 196 [sipcc]. Counted in UTF-8 bytes, as the C
    /// buffer it comes from does (the same as characters for the ASCII patterns plans use).
    public static let maximumPatternLength = 196
    /// GUIDE.md §5.1: `<versionStamp>` up to 64 characters, counted after the braces are stripped.
    public static let maximumVersionStampLength = 64

    /// Parses and validates `dialplan.xml`. Any bad rule fails the whole file, as [sipcc] does
    /// (GUIDE.md §5.1: "the file is reported as failed").
    public static func parse(_ bytes: [UInt8]) throws(DialTemplateError) -> DialTemplate {
        if bytes.count > maximumFileSize {
            throw DialTemplateError(
                position: positionOfByte(maximumFileSize, in: bytes), reason: .fileTooLarge(bytes: bytes.count))
        }
        let root: XMLElement
        do {
            root = try XMLTree.parse(bytes, options: XMLTokenizer.Options(
                endTagsAllowingSlash: ["DIALTEMPLATE"],
                // Several `Tone` attributes on one rule are tolerated (see `tones(of:)`).
                repeatableAttributes: ["Tone"]))
        } catch {
            throw DialTemplateError(position: error.position, reason: .xml(error.reason))
        }
        // Element names are case-sensitive, as in XML.
        guard root.name == "DIALTEMPLATE" else {
            throw DialTemplateError(position: root.position, reason: .wrongRoot(root.name))
        }
        if let attribute = root.attributes.first {
            throw DialTemplateError(position: attribute.position, reason: .unknownAttribute(attribute.name))
        }

        var template = DialTemplate(rules: [])
        var stampSeen = false
        for child in root.children {
            switch child {
            case .text(let text, let position):
                try requireWhitespace(text, at: position, in: root.name)
            case .element(let element):
                switch element.name {
                case "TEMPLATE":
                    template.rules.append(try rule(from: element))
                case "versionStamp":
                    guard !stampSeen else {
                        throw DialTemplateError(position: element.position, reason: .duplicateVersionStamp)
                    }
                    stampSeen = true
                    template.versionStamp = try versionStamp(from: element)
                default:
                    // GUIDE.md §5.1: "The element name TEMPLATE must be upper case [sipcc]".
                    if element.name.uppercased() == "TEMPLATE" {
                        throw DialTemplateError(position: element.position, reason: .templateNotUpperCase(element.name))
                    }
                    throw DialTemplateError(position: element.position, reason: .unknownElement(element.name))
                }
            }
        }
        return template
    }

    // MARK: - Rules

    private static func rule(from element: XMLElement) throws(DialTemplateError) -> DialRule {
        for child in element.children {
            switch child {
            case .text(let text, let position):
                try requireWhitespace(text, at: position, in: element.name)
            case .element(let inner):
                throw DialTemplateError(position: inner.position, reason: .unexpectedContent(element: element.name))
            }
        }

        var match: String?
        var rule = DialRule(match: "")
        var seen: Set<String> = []
        for attribute in element.attributes {
            // Attribute names are case-insensitive (GUIDE.md §5.1).
            let key = attribute.name.lowercased()
            let value = attribute.value
            let position = attribute.position
            if key != "tone" {
                guard seen.insert(key).inserted else {
                    throw DialTemplateError(position: position, reason: .duplicateAttribute(attribute.name))
                }
            }
            switch key {
            case "match":
                guard !value.isEmpty else { throw DialTemplateError(position: position, reason: .emptyMatch) }
                guard value.utf8.count <= maximumPatternLength else {
                    throw DialTemplateError(position: position, reason: .patternTooLong(length: value.utf8.count))
                }
                match = value
            case "timeout":
                guard let seconds = wholeNumber(value) else {
                    throw DialTemplateError(position: position, reason: .badTimeout(value))
                }
                guard seconds >= 0 else {
                    throw DialTemplateError(position: position, reason: .negativeTimeout(seconds))
                }
                rule.timeout = seconds
            case "user":
                switch value.lowercased() {
                case "ip": rule.user = .ip
                case "phone": rule.user = .phone
                default: throw DialTemplateError(position: position, reason: .badUser(value))
                }
            case "rewrite":
                rule.rewrite = value.isEmpty ? nil : value
            case "route":
                switch value.lowercased() {
                case "default": rule.route = .default
                case "emergency": rule.route = .emergency
                case "fqdn": rule.route = .fqdn
                default: throw DialTemplateError(position: position, reason: .badRoute(value))
                }
            case "line":
                guard let number = wholeNumber(value), number >= 0 else {
                    throw DialTemplateError(position: position, reason: .badLine(value))
                }
                rule.line = number == 0 ? nil : number
            case "tone", "tone2", "tone3":
                continue  // collected in order by `tones(of:)`
            default:
                throw DialTemplateError(position: position, reason: .unknownAttribute(attribute.name))
            }
        }
        guard let match else { throw DialTemplateError(position: element.position, reason: .missingMatch) }
        rule.match = match
        rule.tones = try tones(of: element)
        return rule
    }

    /// The guide allows "up to 3 Tone attributes per rule", which strict XML forbids (attribute
    /// names must be unique). We accept both spellings a plan might use:
    /// * repeated `Tone` attributes, filling the 1st, 2nd, 3rd comma in order of appearance;
    /// * `Tone2` and `Tone3`, naming the 2nd and 3rd comma explicitly.
    /// A comma given a tone twice, or a fourth tone, is an error. Gaps get "" (default tone).
    private static func tones(of element: XMLElement) throws(DialTemplateError) -> [String] {
        var slots: [String?] = Array(repeating: nil, count: maximumToneSlots)
        var nextRepeated = 0
        for attribute in element.attributes {
            let slot: Int
            switch attribute.name.lowercased() {
            case "tone":
                guard nextRepeated < DialRule.maximumTones else {
                    throw DialTemplateError(position: attribute.position, reason: .tooManyTones)
                }
                slot = nextRepeated
                nextRepeated += 1
            case "tone2": slot = 1
            case "tone3": slot = 2
            default: continue
            }
            guard slots[slot] == nil else {
                throw DialTemplateError(position: attribute.position, reason: .duplicateTone(comma: slot + 1))
            }
            slots[slot] = try toneName(attribute.value, at: attribute.position)
        }
        guard let last = slots.lastIndex(where: { $0 != nil }) else { return [] }
        return slots[...last].map { $0 ?? "" }
    }

    private static let maximumToneSlots = DialRule.maximumTones

    private static func toneName(_ value: String, at position: XMLPosition) throws(DialTemplateError) -> String {
        if value.isEmpty { return "" }  // GUIDE.md §5.5: `Tone=""` = default tone.
        let lowered = value.lowercased()
        guard let name = DialRule.toneNames.first(where: { $0.lowercased() == lowered }) else {
            throw DialTemplateError(position: position, reason: .badTone(value))
        }
        return name
    }

    // MARK: - versionStamp

    private static func versionStamp(from element: XMLElement) throws(DialTemplateError) -> String? {
        if let attribute = element.attributes.first {
            throw DialTemplateError(position: attribute.position, reason: .unknownAttribute(attribute.name))
        }
        for case .element(let inner) in element.children {
            throw DialTemplateError(position: inner.position, reason: .unexpectedContent(element: element.name))
        }
        var stamp = Substring(element.text)
        while let c = stamp.first, c.isWhitespace { stamp.removeFirst() }
        while let c = stamp.last, c.isWhitespace { stamp.removeLast() }
        // GUIDE.md §5.1: braces `{…}` stripped.
        if stamp.first == "{" && stamp.last == "}" && stamp.count >= 2 {
            stamp = stamp.dropFirst().dropLast()
        }
        guard stamp.count <= maximumVersionStampLength else {
            throw DialTemplateError(position: element.position, reason: .versionStampTooLong(length: stamp.count))
        }
        return stamp.isEmpty ? nil : String(stamp)
    }

    // MARK: - Helpers

    private static func requireWhitespace(
        _ text: String, at position: XMLPosition, in element: String
    ) throws(DialTemplateError) {
        guard text.utf8.allSatisfy(Ascii.isSpace) else {
            throw DialTemplateError(
                position: position.skippingLeadingWhitespace(of: text), reason: .unexpectedText(element: element))
        }
    }

    /// Optional `-` then ASCII digits only (no `+`, spaces or hex); nil if malformed or too large.
    private static func wholeNumber(_ text: String) -> Int? {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// Line and column of byte `offset`, for errors that are about size rather than syntax.
    private static func positionOfByte(_ offset: Int, in bytes: [UInt8]) -> XMLPosition {
        var position = XMLPosition(line: 1, column: 1)
        var i = 0
        while i < min(offset, bytes.count) {
            let b = bytes[i]
            if b == Ascii.lf || (b == Ascii.cr && (i + 1 >= bytes.count || bytes[i + 1] != Ascii.lf)) {
                position.line += 1
                position.column = 1
            } else if b != Ascii.cr && b & 0xC0 != 0x80 {
                position.column += 1
            }
            i += 1
        }
        return position
    }
}

/// Why `dialplan.xml` was rejected, and where (GUIDE.md §5.1: errors are logged under
/// `LOG_CFG_PARSE_DIAL` and the file is reported as failed).
public enum DialTemplateReason: PositionedReason {
    /// The file is not well-formed XML (of the subset we read).
    case xml(XMLSyntaxReason)
    case fileTooLarge(bytes: Int)
    case wrongRoot(String)
    case unknownElement(String)
    case templateNotUpperCase(String)
    /// Non-whitespace text directly inside `element`.
    case unexpectedText(element: String)
    /// A child element inside `<TEMPLATE>` or `<versionStamp>`.
    case unexpectedContent(element: String)
    case unknownAttribute(String)
    case duplicateAttribute(String)
    case missingMatch
    case emptyMatch
    case patternTooLong(length: Int)
    case badTimeout(String)
    case negativeTimeout(Int)
    case badUser(String)
    case badRoute(String)
    case badTone(String)
    case tooManyTones
    case duplicateTone(comma: Int)
    case badLine(String)
    case duplicateVersionStamp
    case versionStampTooLong(length: Int)
}

/// A rejected dial plan: where in the file, and why (an XML reason wrapped in `.xml`).
public typealias DialTemplateError = PositionedError<DialTemplateReason>

extension DialTemplateReason {
    public var text: String {
        switch self {
        case .xml(let r): r.text
        case .fileTooLarge(let n): "file is \(n) bytes; the limit is \(DialTemplate.maximumFileSize)"
        case .wrongRoot(let n): "root element is <\(n)>, expected <DIALTEMPLATE>"
        case .unknownElement(let n): "unknown element <\(n)> (expected <TEMPLATE> or <versionStamp>)"
        case .templateNotUpperCase(let n): "element <\(n)> must be written <TEMPLATE> (upper case)"
        case .unexpectedText(let e): "unexpected text inside <\(e)>"
        case .unexpectedContent(let e): "<\(e)> cannot contain elements"
        case .unknownAttribute(let a): "unknown attribute \(a)"
        case .duplicateAttribute(let a): "attribute \(a) appears twice (names are case-insensitive)"
        case .missingMatch: "rule has no MATCH attribute"
        case .emptyMatch: "MATCH is empty"
        case .patternTooLong(let n): "MATCH is \(n) characters; the limit is \(DialTemplate.maximumPatternLength)"
        case .badTimeout(let v): "Timeout \"\(v)\" is not a whole number of seconds"
        case .negativeTimeout(let v): "Timeout \(v) is negative"
        case .badUser(let v): "User \"\(v)\" is not IP or Phone"
        case .badRoute(let v): "Route \"\(v)\" is not Default, Emergency or FQDN"
        case .badTone(let v): "Tone \"\(v)\" is not a known tone name"
        case .tooManyTones: "more than \(DialRule.maximumTones) Tone attributes"
        case .duplicateTone(let c): "two tones given for comma \(c)"
        case .badLine(let v): "Line \"\(v)\" is not a line number"
        case .duplicateVersionStamp: "second <versionStamp>"
        case .versionStampTooLong(let n):
            "versionStamp is \(n) characters; the limit is \(DialTemplate.maximumVersionStampLength)"
        }
    }
}
