// Header parameters (generic-param, RFC 3261 §25.1) and name-addr / addr-spec with display
// names (From, To, Contact, Route, Record-Route, Reply-To, Refer-To ...).

/// `*( SEMI generic-param )` after a header value; generic-param = token [ EQUAL gen-value ],
/// gen-value = token / host / quoted-string.
public struct SIPParameters: Sendable {
    let storage: [UInt8]
    /// From the first ";" to the end of the last parameter (empty when there are none).
    let range: TextRange

    init(_ storage: [UInt8], _ range: TextRange) { self.storage = storage; self.range = range }
    static func empty(_ storage: [UInt8]) -> SIPParameters { SIPParameters(storage, TextRange(0, 0)) }

    public var isEmpty: Bool { range.isEmpty }
    /// Names as written; quoted values without quotes and with quoted-pairs resolved.
    public var all: [(name: String, value: String?)] {
        var out: [(String, String?)] = []
        storage.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            var s = Scanner(p, range)
            try? scanGenericParams(p, &s) { n, v, quoted in
                out.append((storage.string(n), v.map { quoted ? unquote(storage, $0) : storage.string($0) }))
            }
        }
        return out
    }
    /// The parameter's value by name (case-insensitive); `.some(nil)` when present without a value.
    public subscript(_ name: String) -> String?? {
        let want = name.lowercased()
        for (n, v) in all where n.lowercased() == want { return .some(v) }
        return nil
    }
    public func contains(_ name: String) -> Bool { self[name] != nil }
}

/// Scans `*( SEMI generic-param )`, stopping before a top-level comma or at the end.
/// The body gets the name, the value (inside the quotes when quoted) and whether it was quoted.
func scanGenericParams(_ p: UnsafePointer<UInt8>, _ s: inout Scanner,
                       _ body: (TextRange, TextRange?, Bool) throws(SIPParseError) -> Void) throws(SIPParseError) {
    while s.consume(Ch.semi) {
        s.skipLWS()
        guard let name = s.token() else {
            throw SIPParseError(.malformedValue, reason: "a parameter has no name")
        }
        if s.consume(Ch.eq) {
            s.skipLWS()
            if s.peekIs(Ch.dquote) {
                guard let q = s.quotedString() else { throw SIPParseError(.malformedValue, reason: "unterminated quoted string") }
                try body(name, q, true)
            } else {
                let v = s.scan { isTokenChar($0) || $0 == Ch.colon || $0 == Ch.lbracket || $0 == Ch.rbracket }
                guard !v.isEmpty else { throw SIPParseError(.malformedValue, reason: "parameter without value after '='") }
                try body(name, v, false)
            }
        } else {
            try body(name, nil, false)
        }
    }
}

/// name-addr / addr-spec with its header parameters (RFC 3261 §20.10, §20.20, §20.39).
public struct SIPNameAddr: Sendable {
    public let storage: [UInt8]
    let raw: RawNameAddr

    init(_ storage: [UInt8], _ raw: RawNameAddr) { self.storage = storage; self.raw = raw }

    public var uri: SIPURI { SIPURI(storage, raw.uri) }
    /// True when the URI was written inside "<" ">" (name-addr form).
    public var isNameAddr: Bool { raw.isNameAddr }
    public var parameters: SIPParameters { SIPParameters(storage, raw.paramsRange) }
    /// The expires parameter (Contact, RFC 3261 §20.10).
    public var expires: UInt32? { raw.expires }
    /// The display name: quotes removed and quoted-pairs resolved, or the tokens as written.
    public var displayName: String? {
        guard let r = raw.displayRange else { return nil }
        return raw.displayQuoted ? unquote(storage, r) : storage.string(r)
    }
    public var tag: String? { raw.tagRange.map { storage.string($0) } }
    public var q: String? { raw.qRange.map { storage.string($0) } }

    public init(parsing text: String) throws(SIPParseError) {
        let bytes = Array(text.utf8)
        let r: Result<RawNameAddr, SIPParseError> = bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return .failure(SIPParseError(.malformedValue, reason: "empty")) }
            var s = Scanner(p, 0, b.count)
            do throws(SIPParseError) {
                let v = try RawNameAddr(p, &s)
                s.skipLWS()
                guard s.atEnd else { throw SIPParseError(.malformedValue, reason: "unexpected text after the address") }
                return .success(v)
            } catch { return .failure(error) }
        }
        switch r { case .success(let v): self.init(bytes, v); case .failure(let e): throw e }
    }
}

/// The parsed form of a name-addr: offsets and numbers only.
struct RawNameAddr: Sendable {
    @PackedRange var displayRange: TextRange?
    var displayQuoted: Bool
    var isNameAddr: Bool
    var uri: RawURI
    var paramsRange: TextRange
    @PackedRange var tagRange: TextRange?
    var expires: UInt32?
    @PackedRange var qRange: TextRange?

    init(_ p: UnsafePointer<UInt8>, _ s: inout Scanner) throws(SIPParseError) {
        func fail(_ why: String) -> SIPParseError { SIPParseError(.malformedValue, reason: why) }
        s.skipLWS()
        var display: TextRange? = nil
        var quoted = false
        var angle = false
        if s.peekIs(Ch.dquote) {
            guard let q = s.quotedString() else { throw fail("unterminated quoted display name") }
            display = q; quoted = true
            guard s.consume(Ch.lt) else { throw fail("no '<' after the display name") }
            angle = true
        } else if s.peekIs(Ch.lt) {
            s.i += 1; angle = true
        } else {
            // display-name = *(token LWS), or an addr-spec: look ahead for "<".
            let save = s.i
            var lastEnd = s.i
            while s.token() != nil {
                lastEnd = s.i
                s.skipLWS()
            }
            if s.peekIs(Ch.lt), lastEnd > save {
                display = TextRange(save, lastEnd)
                s.i += 1; angle = true
            } else {
                s.i = save
            }
        }
        let uriStart = s.i
        if angle {
            // No LWS inside the brackets (RFC 4475 §3.1.2.14).
            // No LWS inside the brackets (RFC 4475 §3.1.2.14).
            if s.i < s.end && isLWS(p[s.i]) { throw fail("white space after '<'") }
            guard let gt = find(p, Ch.gt, s.i, s.end) else { throw fail("no '>' closing the address") }
            s.i = gt
            uri = try RawURI(p, TextRange(uriStart, s.i))
            s.i += 1
        } else {
            // addr-spec: parameters after it belong to the header, so the URI ends at ";" or ",";
            // "?" would need the name-addr form (RFC 3261 §20.10).
            while s.i < s.end {
                let c = p[s.i]
                if c == Ch.semi || c == Ch.comma || isLWS(c) { break }
                if c == Ch.question { throw fail("an addr-spec with '?' must be enclosed in '<' '>'") }
                s.i += 1
            }
            guard s.i > uriStart else { throw fail("no address") }
            uri = try RawURI(p, TextRange(uriStart, s.i))
        }
        self.displayRange = display
        self.displayQuoted = quoted
        self.isNameAddr = angle
        let paramsStart = s.i
        var tag: TextRange? = nil, expires: UInt32? = nil, q: TextRange? = nil
        try scanGenericParams(p, &s) { (n, v, _) throws(SIPParseError) in
            switch n.count {
            case 3 where equalsFolded(p, n, "tag"):
                guard let v else { throw SIPParseError(.malformedValue, reason: "tag without value") }
                tag = v
            case 7 where equalsFolded(p, n, "expires"):
                guard let v else { throw SIPParseError(.malformedValue, reason: "expires without value") }
                var t = Scanner(p, v)
                guard let e = t.number(max: UInt64(UInt32.max)), t.atEnd else {
                    throw SIPParseError(.malformedValue, reason: "expires parameter out of range")
                }
                expires = UInt32(e)
            case 1 where equalsFolded(p, n, "q"): q = v
            default: break
            }
        }
        self.paramsRange = TextRange(paramsStart, s.i)
        self.tagRange = tag; self.expires = expires; self.qRange = q
    }
}
