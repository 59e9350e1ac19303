// A SIP message as the received bytes plus an index of the start line and header ranges
// (ARCHITECTURE.md "Messages as bytes plus an index"). Typed values are parsed from the
// ranges on demand (see SIPMessage+Typed.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One header line: its name (known or extension), and where its name and value lie.
/// The value range excludes the surrounding white space but keeps folds (CRLF + WSP).
public struct SIPHeaderField: Sendable, Hashable {
    public let name: SIPHeaderName
    public let nameRange: TextRange
    public let valueRange: TextRange
}

public struct SIPMessage: Sendable {
    public enum StartLine: Sendable, Equatable {
        case request(method: TextRange, uri: TextRange)
        case response(code: Int, reason: TextRange)
    }

    /// Framing: a datagram carries one message and anything after Content-Length is ignored
    /// (RFC 3261 §18.3); on a stream the message must be complete and Content-Length present.
    public enum Transport: Sendable { case datagram, stream }

    public struct Limits: Sendable {
        public var maxMessageSize: Int
        public var maxHeaderCount: Int
        public init(maxMessageSize: Int = 65_536, maxHeaderCount: Int = 256) {
            self.maxMessageSize = maxMessageSize; self.maxHeaderCount = maxHeaderCount
        }
        public static let `default` = Limits()
    }

    /// The received bytes. Every range of this message indexes them.
    public let bytes: [UInt8]
    public let startLine: StartLine
    public let headers: [SIPHeaderField]
    public let bodyRange: TextRange
    /// The Content-Length value, when the header was present.
    public let declaredContentLength: Int?

    public var isRequest: Bool { if case .request = startLine { return true } else { return false } }
    public var isResponse: Bool { !isRequest }

    /// The Request-Line method, exactly as received (methods are case-sensitive, RFC 3261 §7.1).
    public var method: String? {
        if case .request(let m, _) = startLine { return bytes.string(m) } else { return nil }
    }
    /// The Request-URI text, exactly as received.
    public var requestURIText: String? {
        if case .request(_, let u) = startLine { return bytes.string(u) } else { return nil }
    }
    public var statusCode: Int? {
        if case .response(let c, _) = startLine { return c } else { return nil }
    }
    public var reasonPhrase: String? {
        if case .response(_, let r) = startLine { return bytes.string(r) } else { return nil }
    }
    public var body: ArraySlice<UInt8> { bytes[bodyRange.range] }

    /// The header's name as received.
    public func name(of field: SIPHeaderField) -> String { bytes.string(field.nameRange) }
    /// The header's value with folds replaced by one space.
    public func value(of field: SIPHeaderField) -> String { unfold(bytes, field.valueRange) }

    /// The first header with this name.
    public func field(_ name: SIPHeaderName) -> SIPHeaderField? {
        for h in headers where h.name == name { return h }
        return nil
    }
    public func fields(_ name: SIPHeaderName) -> [SIPHeaderField] { headers.filter { $0.name == name } }
    /// Fields by any name (extension headers included), case-insensitive.
    public func fields(named name: String) -> [SIPHeaderField] {
        let known = SIPHeaderName(name)
        if known != .extension { return fields(known) }
        let lowered = Array(name.lowercased().utf8)
        return headers.filter { h in
            h.name == .extension && h.nameRange.count == lowered.count
                && zip(bytes[h.nameRange.range], lowered).allSatisfy { lower($0) == $1 }
        }
    }
    /// The unfolded value of the first header with this name.
    public func value(_ name: String) -> String? { fields(named: name).first.map { value(of: $0) } }

    /// Every element of a comma-separated header, across all its lines, split outside quotes
    /// and angle brackets (RFC 3261 §7.3.1), each trimmed and unfolded.
    public func values(_ name: String) -> [String] {
        var out: [String] = []
        for f in fields(named: name) {
            for r in splitCommas(f.valueRange) { out.append(unfold(bytes, r)) }
        }
        return out
    }

    /// The ranges of the comma-separated elements of a value.
    public func splitCommas(_ r: TextRange) -> [TextRange] {
        bytes.withUnsafeBufferPointer { b -> [TextRange] in
            guard let p = b.baseAddress else { return [] }
            var out: [TextRange] = []
            var s = Scanner(p, r)
            while !s.atEnd {
                s.skipLWS()
                let start = s.i
                s.skipToComma()
                var e = s.i
                while e > start && isLWS(p[e - 1]) { e -= 1 }
                if e > start { out.append(TextRange(start, e)) }
                s.i += 1
            }
            return out
        }
    }

    // MARK: Parsing

    /// Parses one message. `bytes` is kept as the message's storage (no copy).
    public init(parsing bytes: [UInt8], transport: Transport = .datagram, limits: Limits = .default) throws(SIPParseError) {
        if bytes.count > limits.maxMessageSize {
            throw SIPParseError(.messageTooLarge, reason: "message of \(bytes.count) bytes exceeds the \(limits.maxMessageSize)-byte limit")
        }
        let parsed: Result<Parsed, SIPParseError> = bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress, b.count > 0 else {
                return .failure(SIPParseError(.malformedStartLine, reason: "empty message"))
            }
            do throws(SIPParseError) {
                return .success(try parseIndex(p, b.count, transport: transport, limits: limits))
            } catch { return .failure(error) }
        }
        switch parsed {
        case .success(let r):
            self.bytes = bytes
            self.startLine = r.startLine
            self.headers = r.headers
            self.bodyRange = r.body
            self.declaredContentLength = r.contentLength
        case .failure(let e): throw e
        }
    }

    public init<C: Collection>(parsing bytes: C, transport: Transport = .datagram, limits: Limits = .default) throws(SIPParseError) where C.Element == UInt8 {
        try self.init(parsing: Array(bytes), transport: transport, limits: limits)
    }

    public init(parsing buffer: UnsafeRawBufferPointer, transport: Transport = .datagram, limits: Limits = .default) throws(SIPParseError) {
        try self.init(parsing: Array(buffer), transport: transport, limits: limits)
    }

    public init(parsing text: String, transport: Transport = .datagram, limits: Limits = .default) throws(SIPParseError) {
        try self.init(parsing: Array(text.utf8), transport: transport, limits: limits)
    }
}

struct Parsed {
    var startLine: SIPMessage.StartLine
    var headers: [SIPHeaderField]
    var body: TextRange
    var contentLength: Int?
}

/// Where the line starting at `i` ends: returns (end of content, start of next line), or nil when
/// no line end is found before `n`. Accepts CRLF and, liberally, a bare LF.
@inline(__always) func lineEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (Int, Int)? {
    guard i < n, let q = memchr(p + i, Int32(Ch.lf), n - i) else { return nil }
    let j = UnsafePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - p
    return (j > i && p[j - 1] == Ch.cr ? j - 1 : j, j + 1)
}

func isSIPVersion(_ p: UnsafePointer<UInt8>, _ r: TextRange) -> Bool { equalsLower(p, r, "sip/2.0") }

/// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT: a version we can name but do not speak.
func looksLikeSIPVersion(_ p: UnsafePointer<UInt8>, _ r: TextRange) -> Bool {
    guard r.count >= 7 else { return false }
    var s = Scanner(p, r)
    s.i += 4
    guard equalsLower(p, TextRange(r.lower, r.lower + 4), "sip/") else { return false }
    guard s.number(max: 1_000_000) != nil, s.peekIs(Ch.dot) else { return false }
    s.i += 1
    guard s.number(max: 1_000_000) != nil, s.atEnd else { return false }
    return true
}

func parseIndex(_ p: UnsafePointer<UInt8>, _ n: Int, transport: SIPMessage.Transport, limits: SIPMessage.Limits) throws(SIPParseError) -> Parsed {
    var i = 0
    // RFC 3261 §7.5: empty lines before the start line are ignored.
    while i < n && (p[i] == Ch.cr || p[i] == Ch.lf) { i += 1 }
    guard let (lineEndAt, next) = lineEnd(p, i, n) else {
        throw SIPParseError(.malformedStartLine, reason: "no line end after the start line")
    }
    let startLine = try parseStartLine(p, TextRange(i, lineEndAt))
    let isResponse: Bool
    if case .response = startLine { isResponse = true } else { isResponse = false }
    i = next

    var headers: [SIPHeaderField] = []
    headers.reserveCapacity(20)
    var contentLength: Int? = nil
    var sawEnd = false
    while i < n {
        // The empty line ends the header section.
        if p[i] == Ch.lf { i += 1; sawEnd = true; break }
        if p[i] == Ch.cr && i + 1 < n && p[i + 1] == Ch.lf { i += 2; sawEnd = true; break }
        // header-name HCOLON: HCOLON = *( SP / HTAB ) ":" SWS
        // The name ends at the line's first colon (trailing SP/HT trimmed); a known name matched
        // by comparison is a token, any other is checked byte by byte.
        let nameStart = i
        guard let (firstLineEnd, firstNext) = lineEnd(p, i, n) else {
            throw SIPParseError(.missingEmptyLine, reason: "the header section does not end with an empty line", isResponse: isResponse)
        }
        guard let colon = find(p, Ch.colon, i, firstLineEnd) else {
            throw SIPParseError(.malformedHeader, reason: "a header line has no colon", isResponse: isResponse)
        }
        var nameEnd = colon
        while nameEnd > nameStart && isWSP(p[nameEnd - 1]) { nameEnd -= 1 }
        let nameRange = TextRange(nameStart, nameEnd)
        if nameRange.isEmpty {
            throw SIPParseError(.malformedHeader, reason: "a header line does not start with a header name", isResponse: isResponse)
        }
        let name = SIPHeaderName.lookup(p, nameRange)
        if name == .extension {
            for k in nameStart..<nameEnd where !isTokenChar(p[k]) {
                throw SIPParseError(.malformedHeader, reason: "the header name is not a token", isResponse: isResponse)
            }
        }
        i = colon + 1
        // The value runs to the CRLF that is not followed by SP/HT (folding, §7.3.1).
        var valueStart = i
        var valueEnd = firstLineEnd
        i = firstNext
        while i < n && isWSP(p[i]) {
            guard let (e, nx) = lineEnd(p, i, n) else {
                throw SIPParseError(.missingEmptyLine, reason: "the header section does not end with an empty line", isResponse: isResponse)
            }
            valueEnd = e
            i = nx
        }
        while valueStart < valueEnd && isLWS(p[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && isLWS(p[valueEnd - 1]) { valueEnd -= 1 }
        let valueRange = TextRange(valueStart, valueEnd)
        if name == .contentLength {
            var s = Scanner(p, valueRange)
            guard let v = s.number(max: UInt64(Int32.max)), s.atEnd else {
                throw SIPParseError(.invalidContentLength, header: "Content-Length",
                                    reason: "not a non-negative decimal number", isResponse: isResponse)
            }
            if let prior = contentLength, prior != Int(v) {
                throw SIPParseError(.invalidContentLength, header: "Content-Length", reason: "two different values", isResponse: isResponse)
            }
            contentLength = Int(v)
        }
        headers.append(SIPHeaderField(name: name, nameRange: nameRange, valueRange: valueRange))
        if headers.count > limits.maxHeaderCount {
            throw SIPParseError(.messageTooLarge, reason: "more than \(limits.maxHeaderCount) header lines", isResponse: isResponse)
        }
    }
    if !sawEnd {
        throw SIPParseError(.missingEmptyLine, reason: "the header section does not end with an empty line", isResponse: isResponse)
    }
    let available = n - i
    let bodyLength: Int
    if let cl = contentLength {
        if cl > available {
            throw SIPParseError(.bodyTruncated, header: "Content-Length",
                                reason: "declares \(cl) bytes but \(available) follow", isResponse: isResponse)
        }
        bodyLength = cl  // RFC 3261 §18.3: octets beyond Content-Length are discarded
    } else {
        if transport == .stream {
            throw SIPParseError(.missingHeader, header: "Content-Length", reason: "required on a stream transport", isResponse: isResponse)
        }
        bodyLength = available
    }
    return Parsed(startLine: startLine, headers: headers, body: TextRange(i, i + bodyLength), contentLength: contentLength)
}

func parseStartLine(_ p: UnsafePointer<UInt8>, _ line: TextRange) throws(SIPParseError) -> SIPMessage.StartLine {
    let a = line.lower, b = line.upper
    guard b > a else { throw SIPParseError(.malformedStartLine, reason: "empty start line") }
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    if b - a >= 4 && equalsLower(p, TextRange(a, a + 4), "sip/") {
        var sp = a
        while sp < b && p[sp] != Ch.sp { sp += 1 }
        let version = TextRange(a, sp)
        if !isSIPVersion(p, version) {
            if looksLikeSIPVersion(p, version) {
                throw SIPParseError(.unsupportedVersion, reason: "version \(String(decoding: UnsafeBufferPointer(start: p + a, count: version.count), as: UTF8.self))", isResponse: true)
            }
            throw SIPParseError(.malformedStartLine, reason: "bad SIP-Version in the status line", isResponse: true)
        }
        guard sp + 4 <= b, isDigit(p[sp + 1]), isDigit(p[sp + 2]), isDigit(p[sp + 3]) else {
            throw SIPParseError(.malformedStartLine, reason: "the status code is not three digits", isResponse: true)
        }
        let code = Int(p[sp + 1] &- 48) * 100 + Int(p[sp + 2] &- 48) * 10 + Int(p[sp + 3] &- 48)
        guard code >= 100 && code <= 699 else {
            throw SIPParseError(.malformedStartLine, reason: "status code \(code) outside 100-699", isResponse: true)
        }
        var reasonStart = sp + 4
        if reasonStart < b {
            guard p[reasonStart] == Ch.sp else {
                throw SIPParseError(.malformedStartLine, reason: "the status code is not three digits", isResponse: true)
            }
            reasonStart += 1
        }
        // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
        for k in reasonStart..<b where p[k] < 0x20 && p[k] != Ch.ht {
            throw SIPParseError(.malformedStartLine, reason: "control character in the reason phrase", isResponse: true)
        }
        return .response(code: code, reason: TextRange(reasonStart, b))
    }
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP each (RFC 4475 §3.1.2.7-8).
    var sp1 = a
    while sp1 < b && p[sp1] != Ch.sp { sp1 += 1 }
    var sp2 = b - 1
    while sp2 > sp1 && p[sp2] != Ch.sp { sp2 -= 1 }
    guard sp1 < b, sp2 > sp1 else { throw SIPParseError(.malformedStartLine, reason: "the request line is not \"Method SP Request-URI SP SIP-Version\"") }
    let method = TextRange(a, sp1)
    let uri = TextRange(sp1 + 1, sp2)
    let version = TextRange(sp2 + 1, b)
    for k in method.range where !isTokenChar(p[k]) {
        throw SIPParseError(.malformedStartLine, reason: "the method is not a token")
    }
    if !isSIPVersion(p, version) {
        if looksLikeSIPVersion(p, version) {
            throw SIPParseError(.unsupportedVersion, reason: "version \(String(decoding: UnsafeBufferPointer(start: p + version.lower, count: version.count), as: UTF8.self))")
        }
        throw SIPParseError(.malformedStartLine, reason: "bad SIP-Version at the end of the request line")
    }
    guard !uri.isEmpty else { throw SIPParseError(.malformedStartLine, reason: "empty Request-URI") }
    for k in uri.range where p[k] <= Ch.sp || p[k] >= 0x7f {
        throw SIPParseError(.malformedRequestURI, reason: "white space or a control character in the Request-URI")
    }
    // Request-URI = SIP-URI / SIPS-URI / absoluteURI: it starts with scheme ":" (not "<", §3.1.2.6).
    var s = Scanner(p, uri)
    guard let first = s.peek(), isAlpha(first) else {
        throw SIPParseError(.malformedRequestURI, reason: "the Request-URI does not start with a scheme")
    }
    _ = s.scan { isAlnum($0) || $0 == 43 || $0 == 45 || $0 == 46 }
    guard s.peekIs(Ch.colon) else {
        throw SIPParseError(.malformedRequestURI, reason: "the Request-URI does not start with a scheme")
    }
    return .request(method: method, uri: uri)
}
