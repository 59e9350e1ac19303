// SIP and SIPS URIs (RFC 3261 §19.1, grammar §25.1). Other schemes (tel:, mailto:, http: ...)
// are kept opaque: scheme plus the rest, as absoluteURI allows.

public struct SIPURI: Sendable {
    public enum Scheme: Sendable, Equatable { case sip, sips, tel, other }

    /// The port a SIP URI or Via without one means over UDP and TCP (RFC 3261 §19.1.2, §18.2.2).
    public static let defaultPort = 5060
    /// The same over TLS (sips).
    public static let defaultTLSPort = 5061

    public let storage: [UInt8]
    let raw: RawURI

    init(_ storage: [UInt8], _ raw: RawURI) { self.storage = storage; self.raw = raw }

    public var range: TextRange { raw.range }
    public var scheme: Scheme { raw.scheme }
    var schemeRange: TextRange { raw.schemeRange }
    var opaqueRange: TextRange { raw.opaqueRange }
    var userRange: TextRange? { raw.userRange }
    var passwordRange: TextRange? { raw.passwordRange }
    var hostRange: TextRange? { raw.hostRange }
    /// The port, when given (0...65535).
    public var port: Int? { raw.port }
    var paramsRange: TextRange { raw.paramsRange }
    var headersRange: TextRange? { raw.headersRange }
    var transportRange: TextRange? { raw.transportRange }
    var userParamRange: TextRange? { raw.userParamRange }
    var methodRange: TextRange? { raw.methodRange }
    var maddrRange: TextRange? { raw.maddrRange }
    /// The ttl parameter (0...255).
    public var ttl: Int? { raw.ttl }
    /// The lr parameter (loose routing, RFC 3261 §19.1.1) is present.
    public var lr: Bool { raw.lr }

    public var text: String { storage.string(range) }
    public var schemeName: String { storage.string(schemeRange) }
    public var isSIP: Bool { scheme == .sip || scheme == .sips }
    public var opaque: String { storage.string(opaqueRange) }
    /// The user, %-escapes decoded (RFC 3261 §19.1.4). May contain any byte, NUL included.
    public var user: String? { userRange.map { unescape(storage, $0) } }
    public var userBytes: [UInt8]? { userRange.map { unescapeBytes(storage, $0) } }
    /// The user exactly as written, escapes kept.
    public var rawUser: String? { userRange.map { storage.string($0) } }
    public var password: String? { passwordRange.map { unescape(storage, $0) } }
    /// The host as written; an IPv6 reference keeps its brackets.
    public var host: String? { hostRange.map { storage.string($0) } }
    public var isIPv6Reference: Bool { hostRange.map { storage[$0.lower] == Ch.lbracket } ?? false }
    public var transport: String? { transportRange.map { unescape(storage, $0) } }
    public var userParameter: String? { userParamRange.map { unescape(storage, $0) } }
    public var methodParameter: String? { methodRange.map { unescape(storage, $0) } }
    public var maddr: String? { maddrRange.map { unescape(storage, $0) } }
    public var hasParameters: Bool { !paramsRange.isEmpty }
    public var hasHeaders: Bool { headersRange != nil }

    /// All URI parameters, names and values unescaped, in order; a parameter without value has nil.
    public var parameters: [(name: String, value: String?)] {
        var out: [(String, String?)] = []
        forEachParam(storage, paramsRange, separator: Ch.semi) { n, v in
            out.append((unescape(storage, n), v.map { unescape(storage, $0) }))
        }
        return out
    }
    /// A parameter by name (case-insensitive, escapes decoded). `.some(nil)` when present without value.
    public func parameter(_ name: String) -> String?? {
        let want = name.lowercased()
        for (n, v) in parameters where n.lowercased() == want { return .some(v) }
        return nil
    }
    /// The URI headers (after "?"), names and values unescaped.
    public var headers: [(name: String, value: String)] {
        guard let hr = headersRange else { return [] }
        var out: [(String, String)] = []
        forEachParam(storage, hr, separator: Ch.amp) { n, v in
            out.append((unescape(storage, n), v.map { unescape(storage, $0) } ?? ""))
        }
        return out
    }

    public init(parsing text: String) throws(SIPParseError) {
        let bytes = Array(text.utf8)
        try self.init(storage: bytes, range: TextRange(0, bytes.count))
    }

    /// Parses the URI occupying exactly `range` of `storage`.
    public init(storage: [UInt8], range: TextRange) throws(SIPParseError) {
        let r: Result<SIPURI, SIPParseError> = storage.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return .failure(SIPParseError(.malformedValue, reason: "empty URI")) }
            do throws(SIPParseError) { return .success(SIPURI(storage, try RawURI(p, range))) } catch { return .failure(error) }
        }
        switch r {
        case .success(let u): self = u
        case .failure(let e): throw e
        }
    }

    @inline(__always) static func checkEscape(_ p: UnsafePointer<UInt8>, _ j: Int, _ end: Int) throws(SIPParseError) {
        guard j + 2 < end, hexValue(p[j + 1]) != nil, hexValue(p[j + 2]) != nil else {
            throw SIPParseError(.malformedValue, reason: "URI: bad %-escape")
        }
    }

    @inline(__always) static func scanParamChars(_ p: UnsafePointer<UInt8>, _ s: inout Scanner, _ pred: (UInt8) -> Bool) throws(SIPParseError) -> TextRange {
        let st = s.i
        while s.i < s.end {
            let c = p[s.i]
            if c == Ch.percent { try checkEscape(p, s.i, s.end); s.i += 3; continue }
            if !pred(c) { break }
            s.i += 1
        }
        return TextRange(st, s.i)
    }
}

/// The parsed form of a URI: only offsets and numbers (no reference), so typed values copy as plain bytes.
struct RawURI: Sendable {
    var range: TextRange
    var scheme: SIPURI.Scheme
    var schemeRange: TextRange
    var opaqueRange: TextRange
    @PackedRange var userRange: TextRange?
    @PackedRange var passwordRange: TextRange?
    @PackedRange var hostRange: TextRange?
    @PackedInt var port: Int?
    var paramsRange: TextRange
    @PackedRange var headersRange: TextRange?
    @PackedRange var transportRange: TextRange?
    @PackedRange var userParamRange: TextRange?
    @PackedRange var methodRange: TextRange?
    @PackedRange var maddrRange: TextRange?
    @PackedInt var ttl: Int?
    var lr: Bool

    init(_ p: UnsafePointer<UInt8>, _ range: TextRange) throws(SIPParseError) {
        func fail(_ why: String) -> SIPParseError { SIPParseError(.malformedValue, reason: "URI: \(why)") }
        var s = Scanner(p, range)
        guard let first = s.peek(), isAlpha(first) else { throw fail("no scheme") }
        let schemeRange = s.scan { isAlnum($0) || $0 == 43 || $0 == 45 || $0 == 46 }
        guard s.peekIs(Ch.colon) else { throw fail("no colon after the scheme") }
        s.i += 1
        self.range = range
        self.schemeRange = schemeRange
        self.opaqueRange = TextRange(s.i, range.upper)
        var scheme: SIPURI.Scheme = .other
        if equalsLower(p, schemeRange, "sip") { scheme = .sip }
        else if equalsLower(p, schemeRange, "sips") { scheme = .sips }
        else if equalsLower(p, schemeRange, "tel") { scheme = .tel }
        self.scheme = scheme
        guard scheme == .sip || scheme == .sips else {
            // absoluteURI: kept opaque; it must at least not be empty nor hold white space.
            guard !s.atEnd else { throw fail("nothing after the scheme") }
            for k in s.i..<range.upper where isLWS(p[k]) || p[k] == Ch.lt || p[k] == Ch.gt { throw fail("illegal character") }
            userRange = nil; passwordRange = nil; hostRange = nil; port = nil
            paramsRange = TextRange(range.upper, range.upper); headersRange = nil
            transportRange = nil; userParamRange = nil; methodRange = nil; maddrRange = nil; ttl = nil; lr = false
            return
        }
        // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"; '@' appears nowhere else.
        if let at = find(p, Ch.at, s.i, range.upper) {
            var colon = -1
            var j = s.i
            while j < at {
                let c = p[j]
                if c == Ch.colon { colon = j; break }
                if c == Ch.percent { try SIPURI.checkEscape(p, j, at); j += 3; continue }
                guard isUserChar(c) else { throw fail("illegal character in the user part") }
                j += 1
            }
            let userEnd = colon >= 0 ? colon : at
            guard userEnd > s.i else { throw fail("empty user part") }
            userRange = TextRange(s.i, userEnd)
            if colon >= 0 {
                var q = colon + 1
                while q < at {
                    let c = p[q]
                    if c == Ch.percent { try SIPURI.checkEscape(p, q, at); q += 3; continue }
                    guard isPasswordChar(c) else { throw fail("illegal character in the password") }
                    q += 1
                }
                passwordRange = TextRange(colon + 1, at)
            } else {
                passwordRange = nil
            }
            s.i = at + 1
        } else {
            userRange = nil; passwordRange = nil
        }
        // hostport = host [ ":" port ]
        guard let h = parseHost(&s) else { throw fail("bad host") }
        hostRange = h
        if s.peekIs(Ch.colon) {
            s.i += 1
            guard let v = s.number(max: 65535) else { throw fail("bad port") }
            port = Int(v)
        } else {
            port = nil
        }
        // uri-parameters = *( ";" uri-parameter ); uri-parameter = pname [ "=" pvalue ]
        let paramsStart = s.i < range.upper && p[s.i] == Ch.semi ? s.i + 1 : s.i
        var transportRange: TextRange? = nil, userParamRange: TextRange? = nil, methodRange: TextRange? = nil
        var maddrRange: TextRange? = nil, ttl: Int? = nil, lr = false
        while s.peekIs(Ch.semi) {
            s.i += 1
            let name = try SIPURI.scanParamChars(p, &s, isParamChar)
            guard !name.isEmpty else { throw fail("empty parameter name") }
            var value: TextRange? = nil
            if s.peekIs(Ch.eq) {
                s.i += 1
                let v = try SIPURI.scanParamChars(p, &s, isParamChar)
                guard !v.isEmpty else { throw fail("empty parameter value") }
                value = v
            }
            switch name.count {
            case 2 where equalsFolded(p, name, "lr"): lr = true
            case 3 where equalsFolded(p, name, "ttl"):
                guard let v = value else { throw fail("ttl without value") }
                var t = Scanner(p, v)
                guard let n = t.number(max: 255), t.atEnd else { throw fail("ttl out of range") }
                ttl = Int(n)
            case 4 where equalsFolded(p, name, "user"): userParamRange = value
            case 5 where equalsFolded(p, name, "maddr"): maddrRange = value
            case 6 where equalsFolded(p, name, "method"): methodRange = value
            case 9 where equalsFolded(p, name, "transport"): transportRange = value
            default: break
            }
        }
        paramsRange = TextRange(paramsStart, s.i)
        self.transportRange = transportRange; self.userParamRange = userParamRange; self.methodRange = methodRange
        self.maddrRange = maddrRange; self.ttl = ttl; self.lr = lr
        // headers = "?" header *( "&" header ); header = hname "=" hvalue
        if s.peekIs(Ch.question) {
            s.i += 1
            let hs = s.i
            repeat {
                if s.peekIs(Ch.amp) { s.i += 1 }
                let n = try SIPURI.scanParamChars(p, &s, isHeaderChar)
                guard !n.isEmpty, s.peekIs(Ch.eq) else { throw fail("bad URI header") }
                s.i += 1
                _ = try SIPURI.scanParamChars(p, &s, isHeaderChar)
            } while s.peekIs(Ch.amp)
            headersRange = TextRange(hs, s.i)
        } else {
            headersRange = nil
        }
        guard s.atEnd else { throw fail("unexpected character") }
    }

}

/// host = hostname / IPv4address / IPv6reference
func parseHost(_ s: inout Scanner) -> TextRange? {
    let st = s.i
    if s.peekIs(Ch.lbracket) {
        s.i += 1
        while s.i < s.end, let c = s.peek(), hexValue(c) != nil || c == Ch.colon || c == Ch.dot { s.i += 1 }
        guard s.peekIs(Ch.rbracket), s.i > st + 1 else { return nil }
        s.i += 1
        return TextRange(st, s.i)
    }
    while s.i < s.end && isHostChar(s.p[s.i]) { s.i += 1 }
    return s.i > st ? TextRange(st, s.i) : nil
}

/// Calls `body` for each `name[=value]` in `range`, separated by `separator`.
func forEachParam(_ storage: [UInt8], _ range: TextRange, separator: UInt8, _ body: (TextRange, TextRange?) -> Void) {
    guard !range.isEmpty else { return }
    var k = range.lower
    var start = k
    while k <= range.upper {
        if k == range.upper || storage[k] == separator {
            if k > start {
                var eq = start
                while eq < k && storage[eq] != Ch.eq { eq += 1 }
                if eq < k { body(TextRange(start, eq), TextRange(eq + 1, k)) } else { body(TextRange(start, k), nil) }
            }
            start = k + 1
        }
        k += 1
    }
}

extension SIPURI: CustomStringConvertible {
    public var description: String { text }
}
