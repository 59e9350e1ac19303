// Typed access to a parsed message's headers, the full parse (every header to its typed value,
// as PJSIP's parser does) and the checks a user agent applies before acting on a request.

/// Every header of a message parsed to its typed value (see `SIPMessage.parseAll()`).
/// The parse stores offsets and numbers; the typed views (`SIPVia`, `SIPNameAddr`, `SIPURI`)
/// are made when a property is read, and strings when a view's property is read.
public struct SIPTypedHeaders: Sendable {
    public let storage: [UInt8]
    var rawRequestURI: RawURI?
    var rawVias: [RawVia] = []
    var rawFrom: RawNameAddr?
    var rawTo: RawNameAddr?
    var callIDRange: TextRange?
    var cseqNumber: UInt32 = 0
    var cseqMethod: TextRange?
    /// Contact, Route, Record-Route and the other address headers, in message order, in one array.
    var rawAddresses: [(SIPHeaderName, RawNameAddr)] = []
    /// WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization, in order.
    var rawAuth: [(SIPHeaderName, RawAuth)] = []
    /// Token-list header lines (Allow, Supported, Require ...): value range and token count.
    var tokenLines: [(SIPHeaderName, TextRange, Int)] = []
    var rawContentType: RawMediaType?
    var rawAccept: [RawMediaType] = []
    var rawEvent: RawTokenWithParams?
    var rawSubscriptionState: RawTokenWithParams?

    init(storage: [UInt8]) { self.storage = storage }

    public var requestURI: SIPURI? { rawRequestURI.map { SIPURI(storage, $0) } }
    public var vias: [SIPVia] { rawVias.map { SIPVia(storage, $0) } }
    public var viaCount: Int { rawVias.count }
    public var from: SIPNameAddr? { rawFrom.map { SIPNameAddr(storage, $0) } }
    public var to: SIPNameAddr? { rawTo.map { SIPNameAddr(storage, $0) } }
    public var callID: String? { callIDRange.map { storage.string($0) } }
    public var cseq: SIPCSeq? { cseqMethod.map { SIPCSeq(number: cseqNumber, method: storage.string($0)) } }
    /// The CSeq number without making the method string.
    public var cseqSequence: UInt32? { cseqMethod == nil ? nil : cseqNumber }
    public internal(set) var maxForwards: Int?
    public internal(set) var expires: UInt32?
    public internal(set) var minExpires: UInt32?
    public internal(set) var contentLength: Int?
    public var contentType: SIPMediaType? { rawContentType.map { SIPMediaType(storage, $0) } }
    public var accept: [SIPMediaType] { rawAccept.map { SIPMediaType(storage, $0) } }

    func addresses(_ name: SIPHeaderName) -> [SIPNameAddr] {
        rawAddresses.compactMap { $0.0 == name ? SIPNameAddr(storage, $0.1) : nil }
    }
    /// Contact addresses; empty with `wildcardContact` for "Contact: *" (RFC 3261 §10.2.2).
    public var contacts: [SIPNameAddr] { addresses(.contact) }
    public var contactCount: Int { rawAddresses.reduce(0) { $0 + ($1.0 == .contact ? 1 : 0) } }
    public internal(set) var wildcardContact = false
    public var routes: [SIPNameAddr] { addresses(.route) }
    public var recordRoutes: [SIPNameAddr] { addresses(.recordRoute) }
    /// Other address headers: Reply-To, Refer-To, Referred-By, P-Asserted-Identity, Path ...
    public var otherAddresses: [(SIPHeaderName, SIPNameAddr)] {
        rawAddresses.compactMap { [.contact, .route, .recordRoute].contains($0.0) ? nil : ($0.0, SIPNameAddr(storage, $0.1)) }
    }

    func auth(_ name: SIPHeaderName) -> [SIPAuthValue] {
        rawAuth.compactMap { $0.0 == name ? SIPAuthValue(storage, $0.1) : nil }
    }
    public var wwwAuthenticate: [SIPAuthValue] { auth(.wwwAuthenticate) }
    public var proxyAuthenticate: [SIPAuthValue] { auth(.proxyAuthenticate) }
    public var authorization: [SIPAuthValue] { auth(.authorization) }
    public var proxyAuthorization: [SIPAuthValue] { auth(.proxyAuthorization) }

    /// A token-list header across its lines (Allow, Supported, Require, Proxy-Require, Unsupported, Allow-Events).
    public func tokenList(_ name: SIPHeaderName) -> SIPTokenList? {
        var lines: [TextRange] = []
        var count = 0
        for (n, r, c) in tokenLines where n == name { lines.append(r); count += c }
        return lines.isEmpty ? nil : SIPTokenList(storage: storage, lines: lines, count: count)
    }
    public var allow: SIPTokenList? { tokenList(.allow) }
    public var supported: SIPTokenList? { tokenList(.supported) }
    public var require: SIPTokenList? { tokenList(.require) }
    public var proxyRequire: SIPTokenList? { tokenList(.proxyRequire) }
    public var unsupported: SIPTokenList? { tokenList(.unsupported) }
    public var event: SIPTokenWithParams? { rawEvent.map { SIPTokenWithParams(storage, $0) } }
    public var subscriptionState: SIPTokenWithParams? { rawSubscriptionState.map { SIPTokenWithParams(storage, $0) } }
    public internal(set) var date: SIPDate?
    public internal(set) var retryAfter: UInt32?
    /// Text-valued headers (Subject, User-Agent, Server, Organization ...) and extension headers
    /// are kept as ranges: their value is the text (`SIPMessage.value(of:)`).
    public internal(set) var textHeaders = 0
}

/// An RFC 1123 date in GMT as SIP requires (RFC 3261 §20.17).
public struct SIPDate: Sendable, Equatable {
    public let day: Int, month: Int, year: Int, hour: Int, minute: Int, second: Int
    public init(day: Int, month: Int, year: Int, hour: Int, minute: Int, second: Int) {
        self.day = day; self.month = month; self.year = year; self.hour = hour; self.minute = minute; self.second = second
    }
}

extension SIPMessage {
    @inline(__always) func withPointer<R>(_ body: (UnsafePointer<UInt8>) throws(SIPParseError) -> R) throws(SIPParseError) -> R {
        let r: Result<R, SIPParseError> = bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return .failure(SIPParseError(.malformedValue, reason: "empty message")) }
            do throws(SIPParseError) { return .success(try body(p)) } catch { return .failure(error) }
        }
        switch r {
        case .success(let v): return v
        case .failure(let e): throw e
        }
    }

    private func tag(_ e: SIPParseError, _ name: SIPHeaderName) -> SIPParseError {
        var e = e
        if e.header == nil { e.header = name.canonicalName }
        if e.kind == .malformedValue { e.kind = .malformedHeader }
        e.isResponse = isResponse
        return e
    }

    /// The Request-URI as a URI (sip/sips parsed, other schemes opaque); nil for a response.
    public func requestURI() throws(SIPParseError) -> SIPURI? {
        guard case .request(_, let u) = startLine else { return nil }
        return try withPointer { p throws(SIPParseError) in
            do throws(SIPParseError) { return SIPURI(bytes, try RawURI(p, u)) } catch {
                throw SIPParseError(.malformedRequestURI, reason: error.reason)
            }
        }
    }

    /// All Via entries, top first, across every Via line.
    public func vias() throws(SIPParseError) -> [SIPVia] {
        var out: [RawVia] = []
        try withPointer { p throws(SIPParseError) in
            for f in headers where f.name == .via { try Self.parseVias(p, f.valueRange, into: &out) }
        }
        return out.map { SIPVia(bytes, $0) }
    }
    public func topVia() throws(SIPParseError) -> SIPVia {
        guard let v = try vias().first else { throw SIPParseError(.missingHeader, header: "Via", reason: "missing", isResponse: isResponse) }
        return v
    }
    public func from() throws(SIPParseError) -> SIPNameAddr { try singleAddress(.from) }
    public func to() throws(SIPParseError) -> SIPNameAddr { try singleAddress(.to) }
    public func callID() throws(SIPParseError) -> String {
        guard let f = field(.callID) else { throw SIPParseError(.missingHeader, header: "Call-ID", reason: "missing", isResponse: isResponse) }
        try withPointer { p throws(SIPParseError) in try Self.checkCallID(p, f.valueRange) }
        return bytes.string(f.valueRange)
    }
    public func cseq() throws(SIPParseError) -> SIPCSeq {
        guard let f = field(.cseq) else { throw SIPParseError(.missingHeader, header: "CSeq", reason: "missing", isResponse: isResponse) }
        let (n, m) = try withPointer { p throws(SIPParseError) in try SIPCSeq.parse(p, f.valueRange) }
        return SIPCSeq(number: n, method: bytes.string(m))
    }
    public func maxForwards() throws(SIPParseError) -> Int? {
        guard let f = field(.maxForwards) else { return nil }
        return Int(try number(f, max: 255))
    }
    public func expires() throws(SIPParseError) -> UInt32? {
        guard let f = field(.expires) else { return nil }
        return UInt32(try number(f, max: UInt64(UInt32.max)))
    }
    public func contentType() throws(SIPParseError) -> SIPMediaType? { try parseAll(only: .contentType).contentType }
    /// Contact addresses across all Contact lines; empty for "*" (see `isWildcardContact`).
    public func contacts() throws(SIPParseError) -> [SIPNameAddr] { try parseAll(only: .contact).contacts }
    public var isWildcardContact: Bool { (try? parseAll(only: .contact).wildcardContact) ?? false }
    public func routes() throws(SIPParseError) -> [SIPNameAddr] { try parseAll(only: .route).routes }
    public func recordRoutes() throws(SIPParseError) -> [SIPNameAddr] { try parseAll(only: .recordRoute).recordRoutes }
    /// Challenges or credentials of one of the four authentication headers.
    public func authValues(_ name: SIPHeaderName) throws(SIPParseError) -> [SIPAuthValue] {
        let t = try parseAll(only: name)
        switch name {
        case .wwwAuthenticate: return t.wwwAuthenticate
        case .proxyAuthenticate: return t.proxyAuthenticate
        case .authorization: return t.authorization
        case .proxyAuthorization: return t.proxyAuthorization
        default: return []
        }
    }
    /// A token-list header (Allow, Supported, Require, Proxy-Require, Unsupported, Allow-Events ...) across its lines.
    public func tokenList(_ name: SIPHeaderName) throws(SIPParseError) -> SIPTokenList? {
        try parseAll(only: name).tokenList(name)
    }
    public func event() throws(SIPParseError) -> SIPTokenWithParams? { try parseAll(only: .event).event }
    public func subscriptionState() throws(SIPParseError) -> SIPTokenWithParams? { try parseAll(only: .subscriptionState).subscriptionState }

    private func singleAddress(_ name: SIPHeaderName) throws(SIPParseError) -> SIPNameAddr {
        let t = try parseAll(only: name)
        guard let a = name == .from ? t.from : t.to else {
            throw SIPParseError(.missingHeader, header: name.canonicalName, reason: "missing", isResponse: isResponse)
        }
        return a
    }

    private func number(_ f: SIPHeaderField, max: UInt64) throws(SIPParseError) -> UInt64 {
        try withPointer { p throws(SIPParseError) in
            var s = Scanner(p, f.valueRange)
            guard let v = s.number(max: max), s.atEnd else {
                throw SIPParseError(.malformedHeader, header: f.name.canonicalName, reason: "not a number in 0...\(max)", isResponse: isResponse)
            }
            return v
        }
    }

    /// Parses every header to its typed value. Throws the first error, naming the header.
    public func parseAll() throws(SIPParseError) -> SIPTypedHeaders { try parseAll(only: nil) }

    func parseAll(only: SIPHeaderName?) throws(SIPParseError) -> SIPTypedHeaders {
        var t = SIPTypedHeaders(storage: bytes)
        var failure: SIPParseError? = nil
        // Filled in place (no Result wrapping): the typed headers are a large value.
        bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            if only == nil, case .request(_, let u) = startLine {
                do throws(SIPParseError) { t.rawRequestURI = try RawURI(p, u) } catch {
                    failure = SIPParseError(.malformedRequestURI, reason: error.reason)
                    return
                }
            }
            for f in headers {
                if let only, f.name != only { continue }
                do throws(SIPParseError) { try parseField(f, p, &t) } catch { failure = tag(error, f.name); return }
            }
        }
        if let failure { throw failure }
        return t
    }

    private func parseField(_ f: SIPHeaderField, _ p: UnsafePointer<UInt8>, _ t: inout SIPTypedHeaders) throws(SIPParseError) {
        let r = f.valueRange
        func num(_ max: UInt64) throws(SIPParseError) -> UInt64 {
            var s = Scanner(p, r)
            guard let v = s.number(max: max), s.atEnd else {
                throw SIPParseError(.malformedHeader, header: f.name.canonicalName, reason: "not a number in 0...\(max)")
            }
            return v
        }
        func once(_ seen: Bool) throws(SIPParseError) {
            // RFC 3261 §7.3.1: these headers carry one value; RFC 4475 §3.3.8 (multi01) answers 400.
            if seen { throw SIPParseError(.malformedHeader, reason: "appears more than once") }
        }
        switch f.name {
        case .via: try Self.parseVias(p, r, into: &t.rawVias)
        case .from, .to:
            try once(f.name == .from ? t.rawFrom != nil : t.rawTo != nil)
            var s = Scanner(p, r)
            let a = try RawNameAddr(p, &s)
            s.skipLWS()
            guard s.atEnd else { throw SIPParseError(.malformedHeader, reason: "unexpected text after the address") }
            if f.name == .from { t.rawFrom = a } else { t.rawTo = a }
        case .callID:
            try once(t.callIDRange != nil)
            try Self.checkCallID(p, r)
            t.callIDRange = r
        case .cseq:
            try once(t.cseqMethod != nil)
            let (n, m) = try SIPCSeq.parse(p, r)
            t.cseqNumber = n
            t.cseqMethod = m
        case .maxForwards:
            try once(t.maxForwards != nil)
            t.maxForwards = Int(try num(255))
        case .expires: t.expires = UInt32(try num(UInt64(UInt32.max)))
        case .minExpires: t.minExpires = UInt32(try num(UInt64(UInt32.max)))
        case .retryAfter:
            // Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
            var s = Scanner(p, r)
            guard let v = s.number(max: UInt64(UInt32.max)) else {
                throw SIPParseError(.malformedHeader, reason: "not a number in 0...\(UInt32.max)")
            }
            t.retryAfter = UInt32(v)
        case .contentLength: t.contentLength = Int(try num(UInt64(Int32.max)))
        case .contentType:
            try once(t.rawContentType != nil)
            var s = Scanner(p, r)
            let m = try RawMediaType(p, &s, header: "Content-Type")
            s.skipLWS()
            guard s.atEnd else { throw SIPParseError(.malformedHeader, reason: "unexpected text") }
            t.rawContentType = m
        case .accept:
            var s = Scanner(p, r)
            s.skipLWS()
            while !s.atEnd {
                t.rawAccept.append(try RawMediaType(p, &s, header: "Accept"))
                guard s.consume(Ch.comma) || { s.skipLWS(); return s.atEnd }() else {
                    throw SIPParseError(.malformedHeader, reason: "expected ',' between media ranges")
                }
            }
        case .contact:
            var s = Scanner(p, r)
            s.skipLWS()
            if s.peekIs(Ch.star) {
                s.i += 1
                var e = s
                e.skipLWS()
                if e.atEnd || e.peekIs(Ch.semi) {
                    s = e
                    try scanGenericParams(p, &s) { _, _, _ in }
                    s.skipLWS()
                    guard s.atEnd else { throw SIPParseError(.malformedHeader, reason: "'*' must stand alone") }
                    t.wildcardContact = true
                    return
                }
                s.i -= 1
            }
            try Self.parseAddressList(p, r, f.name, into: &t.rawAddresses)
        case .route, .recordRoute, .replyTo, .referTo, .referredBy, .pAssertedIdentity, .path, .serviceRoute, .diversion,
             .remotePartyID, .requestedBy, .also:
            try Self.parseAddressList(p, r, f.name, into: &t.rawAddresses)
        case .wwwAuthenticate, .proxyAuthenticate, .authorization, .proxyAuthorization:
            if t.rawAuth.isEmpty { t.rawAuth.reserveCapacity(2) }
            t.rawAuth.append((f.name, try RawAuth(p, r, header: f.name.canonicalName)))
        case .allow, .supported, .require, .proxyRequire, .unsupported, .allowEvents:
            if t.tokenLines.isEmpty { t.tokenLines.reserveCapacity(4) }
            t.tokenLines.append((f.name, r, try Self.countTokens(p, r)))
        case .event: t.rawEvent = try RawTokenWithParams(p, r, header: "Event")
        case .subscriptionState: t.rawSubscriptionState = try RawTokenWithParams(p, r, header: "Subscription-State")
        case .date: t.date = try Self.parseDate(p, r)
        case .warning:
            // warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT
            for w in splitCommas(r) {
                var s = Scanner(p, w)
                guard let code = s.number(max: 999), s.i - w.lower == 3, s.peekIs(Ch.sp) else {
                    throw SIPParseError(.malformedHeader, reason: "warn-code is not three digits")
                }
                _ = code
            }
        default:
            t.textHeaders += 1
        }
    }

    /// Validates a comma-separated token list and counts its tokens (nothing is stored).
    static func countTokens(_ p: UnsafePointer<UInt8>, _ r: TextRange) throws(SIPParseError) -> Int {
        var s = Scanner(p, r)
        var n = 0
        s.skipLWS()
        while !s.atEnd {
            guard s.token() != nil else { throw SIPParseError(.malformedHeader, reason: "not a token list") }
            n += 1
            if s.consume(Ch.comma) { s.skipLWS(); continue }
            s.skipLWS()
            guard s.atEnd else { throw SIPParseError(.malformedHeader, reason: "expected ',' between tokens") }
        }
        return n
    }

    static func parseTokens(_ p: UnsafePointer<UInt8>, _ r: TextRange, into out: inout [TextRange]) throws(SIPParseError) {
        var s = Scanner(p, r)
        s.skipLWS()
        while !s.atEnd {
            guard let tok = s.token() else { throw SIPParseError(.malformedHeader, reason: "not a token list") }
            out.append(tok)
            if s.consume(Ch.comma) { s.skipLWS(); continue }
            s.skipLWS()
            guard s.atEnd else { throw SIPParseError(.malformedHeader, reason: "expected ',' between tokens") }
        }
    }

    static func parseVias(_ p: UnsafePointer<UInt8>, _ r: TextRange, into out: inout [RawVia]) throws(SIPParseError) {
        var s = Scanner(p, r)
        repeat {
            out.append(try RawVia(p, &s))
            s.skipLWS()
        } while s.consume(Ch.comma)
        guard s.atEnd else { throw SIPParseError(.malformedHeader, header: "Via", reason: "unexpected text after a Via entry") }
    }

    static func parseAddressList(_ p: UnsafePointer<UInt8>, _ r: TextRange, _ name: SIPHeaderName,
                                 into out: inout [(SIPHeaderName, RawNameAddr)]) throws(SIPParseError) {
        var s = Scanner(p, r)
        if out.isEmpty { out.reserveCapacity(6) }
        repeat {
            out.append((name, try RawNameAddr(p, &s)))
            s.skipLWS()
        } while s.consume(Ch.comma)
        guard s.atEnd else { throw SIPParseError(.malformedHeader, reason: "unexpected text after an address") }
    }

    /// callid = word [ "@" word ] (RFC 3261 §25.1)
    static func checkCallID(_ p: UnsafePointer<UInt8>, _ r: TextRange) throws(SIPParseError) {
        var s = Scanner(p, r)
        let w = s.scan(while: isWordChar)
        if s.peekIs(Ch.at) {
            s.i += 1
            let w2 = s.scan(while: isWordChar)
            guard !w2.isEmpty else { throw SIPParseError(.malformedHeader, header: "Call-ID", reason: "empty word after '@'") }
        }
        guard !w.isEmpty, s.atEnd else { throw SIPParseError(.malformedHeader, header: "Call-ID", reason: "not word [\"@\" word]") }
    }

    /// SIP-date = rfc1123-date: wkday "," SP 2DIGIT SP month SP 4DIGIT SP time SP "GMT".
    static func parseDate(_ p: UnsafePointer<UInt8>, _ r: TextRange) throws(SIPParseError) -> SIPDate {
        func fail() -> SIPParseError { SIPParseError(.malformedHeader, header: "Date", reason: "not an RFC 1123 date in GMT") }
        guard r.count == 29 else { throw fail() }
        let b = r.lower
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        func word(_ at: Int) -> String { String(decoding: [lower(p[at]), lower(p[at + 1]), lower(p[at + 2])], as: UTF8.self) }
        func digits(_ at: Int, _ n: Int) throws(SIPParseError) -> Int {
            var v = 0
            for k in at..<at + n { guard isDigit(p[k]) else { throw fail() }; v = v * 10 + Int(p[k] - 48) }
            return v
        }
        guard days.contains(word(b)), p[b + 3] == Ch.comma, p[b + 4] == Ch.sp, p[b + 7] == Ch.sp,
              let month = months.firstIndex(of: word(b + 8)), p[b + 11] == Ch.sp, p[b + 16] == Ch.sp,
              p[b + 19] == Ch.colon, p[b + 22] == Ch.colon, p[b + 25] == Ch.sp,
              equalsExact(p, TextRange(b + 26, b + 29), "GMT") else { throw fail() }
        let d = SIPDate(day: try digits(b + 5, 2), month: month + 1, year: try digits(b + 12, 4),
                        hour: try digits(b + 17, 2), minute: try digits(b + 20, 2), second: try digits(b + 23, 2))
        guard (1...31).contains(d.day), d.hour < 24, d.minute < 60, d.second < 61 else { throw fail() }
        return d
    }
}

/// Methods this user agent implements (RFC 3261 §27.4 and the extensions of GUIDE.md §9.2).
public let sipKnownMethods: Set<String> = [
    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY",
    "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
]

extension SIPMessage {
    /// The checks a user agent makes before acting on a message (RFC 3261 §8.2): every header
    /// parses to its typed value, the mandatory headers are present, CSeq's method matches the
    /// Request-Line, the Request-URI carries no headers. Returns the typed headers.
    @discardableResult
    public func validate() throws(SIPParseError) -> SIPTypedHeaders {
        let t = try parseAll()
        func missing(_ n: String) -> SIPParseError { SIPParseError(.missingHeader, header: n, reason: "missing", isResponse: isResponse) }
        guard t.rawFrom != nil else { throw missing("From") }
        guard t.rawTo != nil else { throw missing("To") }
        guard t.callIDRange != nil else { throw missing("Call-ID") }
        guard let cseq = t.cseq else { throw missing("CSeq") }
        guard !t.rawVias.isEmpty else { throw missing("Via") }
        if case .request(let m, _) = startLine {
            let method = bytes.string(m)
            if cseq.method != method {
                throw SIPParseError(.methodMismatch(knownMethod: sipKnownMethods.contains(method)), header: "CSeq",
                                    reason: "method \(cseq.method) differs from the Request-Line's \(method)")
            }
            // RFC 4475 §3.1.2.11: headers have no meaning in a Request-URI; a UA rejects them.
            if let u = t.rawRequestURI, u.headersRange != nil {
                throw SIPParseError(.malformedRequestURI, reason: "the Request-URI carries headers")
            }
        }
        return t
    }
}
