// Typed header values (RFC 3261 §20), each parsed from the range of one header value.

/// One Via entry (RFC 3261 §20.42, §18.2.1): sent-protocol, sent-by and via-params.
public struct SIPVia: Sendable {
    public enum RPort: Sendable, Equatable { case requested, value(Int) }

    public let storage: [UInt8]
    let raw: RawVia

    init(_ storage: [UInt8], _ raw: RawVia) { self.storage = storage; self.raw = raw }

    public var protocolName: String { storage.string(raw.protocolNameRange) }
    public var protocolVersion: String { storage.string(raw.versionRange) }
    /// The transport as written (UDP, TCP, TLS, SCTP, or an unknown token, kept).
    public var transport: String { storage.string(raw.transportRange) }
    public var host: String { storage.string(raw.hostRange) }
    public var port: Int? { raw.port }
    public var parameters: SIPParameters { SIPParameters(storage, raw.paramsRange) }
    public var branch: String? { raw.branchRange.map { storage.string($0) } }
    public var received: String? { raw.receivedRange.map { storage.string($0) } }
    public var maddr: String? { raw.maddrRange.map { storage.string($0) } }
    /// The rport parameter (RFC 3581): present without value in requests, with the port in responses.
    public var rport: RPort? { raw.rport }
    public var ttl: Int? { raw.ttl }
    /// The branch starts with the RFC 3261 magic cookie "z9hG4bK" (§8.1.1.7).
    public var hasMagicCookie: Bool {
        guard let b = raw.branchRange, b.count >= 7 else { return false }
        return storage[b.lower..<b.lower + 7].elementsEqual("z9hG4bK".utf8)
    }
}

/// The parsed form of a Via entry: offsets and numbers only.
struct RawVia: Sendable {
    var protocolNameRange: TextRange
    var versionRange: TextRange
    var transportRange: TextRange
    var hostRange: TextRange
    @PackedInt var port: Int?
    var paramsRange: TextRange
    @PackedRange var branchRange: TextRange?
    @PackedRange var receivedRange: TextRange?
    @PackedRange var maddrRange: TextRange?
    var rport: SIPVia.RPort?
    @PackedInt var ttl: Int?

    init(_ p: UnsafePointer<UInt8>, _ s: inout Scanner) throws(SIPParseError) {
        func fail(_ why: String) -> SIPParseError { SIPParseError(.malformedHeader, header: "Via", reason: why) }
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
        s.skipLWS()
        guard let name = s.token() else { throw fail("no protocol name") }
        guard s.consume(Ch.slash) else { throw fail("no '/' after the protocol name") }
        s.skipLWS()
        guard let version = s.token() else { throw fail("no protocol version") }
        guard s.consume(Ch.slash) else { throw fail("no '/' after the protocol version") }
        s.skipLWS()
        guard let transport = s.token() else { throw fail("no transport") }
        guard equalsFolded(p, name, "sip"), equalsExact(p, version, "2.0") else { throw fail("not SIP/2.0") }
        // LWS sent-by; sent-by = host [ COLON port ]
        s.skipLWS()
        guard let host = parseHost(&s) else { throw fail("bad sent-by host") }
        var port: Int? = nil
        if s.consume(Ch.colon) {
            s.skipLWS()
            guard let v = s.number(max: 65535) else { throw fail("bad sent-by port") }
            port = Int(v)
        }
        self.protocolNameRange = name; self.versionRange = version; self.transportRange = transport
        self.hostRange = host; self.port = port
        let paramsStart = s.i
        var branch: TextRange? = nil, received: TextRange? = nil, maddr: TextRange? = nil
        var rport: SIPVia.RPort? = nil, ttl: Int? = nil
        do throws(SIPParseError) {
            try scanGenericParams(p, &s) { (n, v, _) throws(SIPParseError) in
                switch n.count {
                case 6 where equalsFolded(p, n, "branch"):
                    guard let v else { throw fail("branch without value") }
                    branch = v
                case 8 where equalsFolded(p, n, "received"):
                    guard let v else { throw fail("received without value") }
                    received = v
                case 5 where equalsFolded(p, n, "rport"):
                    if let v {
                        var t = Scanner(p, v)
                        guard let n = t.number(max: 65535), t.atEnd else { throw fail("bad rport") }
                        rport = .value(Int(n))
                    } else {
                        rport = .requested
                    }
                case 5 where equalsFolded(p, n, "maddr"): maddr = v
                case 3 where equalsFolded(p, n, "ttl"):
                    guard let v else { throw fail("ttl without value") }
                    var t = Scanner(p, v)
                    guard let n = t.number(max: 255), t.atEnd else { throw fail("ttl out of range") }
                    ttl = Int(n)
                default: break
                }
            }
        } catch {
            throw SIPParseError(.malformedHeader, header: "Via", reason: error.reason)
        }
        self.paramsRange = TextRange(paramsStart, s.i)
        self.branchRange = branch; self.receivedRange = received; self.maddrRange = maddr
        self.rport = rport; self.ttl = ttl
    }
}

/// CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number is below 2**31 ... 2**32 (§8.1.1.5).
public struct SIPCSeq: Sendable, Equatable {
    public let number: UInt32
    public let method: String
    public init(number: UInt32, method: String) { self.number = number; self.method = method }

    static func parse(_ p: UnsafePointer<UInt8>, _ r: TextRange) throws(SIPParseError) -> (UInt32, TextRange) {
        var s = Scanner(p, r)
        guard let n = s.number(max: UInt64(UInt32.max)) else {
            throw SIPParseError(.malformedHeader, header: "CSeq", reason: "the sequence number is not a 32-bit unsigned number")
        }
        let before = s.i
        s.skipLWS()
        guard s.i > before, let m = s.token(), s.atEnd else {
            throw SIPParseError(.malformedHeader, header: "CSeq", reason: "expected \"number method\"")
        }
        return (UInt32(n), m)
    }
}

/// Content-Type / media-type = m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 §20.15).
public struct SIPMediaType: Sendable {
    public let storage: [UInt8]
    let raw: RawMediaType
    init(_ storage: [UInt8], _ raw: RawMediaType) { self.storage = storage; self.raw = raw }
    public var type: String { storage.string(raw.typeRange).lowercased() }
    public var subtype: String { storage.string(raw.subtypeRange).lowercased() }
    /// "type/subtype" in lower case.
    public var mediaType: String { type + "/" + subtype }
    public var parameters: SIPParameters { SIPParameters(storage, raw.paramsRange) }
}

struct RawMediaType: Sendable {
    var typeRange: TextRange
    var subtypeRange: TextRange
    var paramsRange: TextRange

    init(_ p: UnsafePointer<UInt8>, _ s: inout Scanner, header: String) throws(SIPParseError) {
        s.skipLWS()
        guard let t = s.token(), s.consume(Ch.slash) else {
            throw SIPParseError(.malformedHeader, header: header, reason: "expected type/subtype")
        }
        s.skipLWS()
        guard let st = s.token() else { throw SIPParseError(.malformedHeader, header: header, reason: "expected type/subtype") }
        let ps = s.i
        do throws(SIPParseError) { try scanGenericParams(p, &s) { _, _, _ in } } catch {
            throw SIPParseError(.malformedHeader, header: header, reason: error.reason)
        }
        typeRange = t; subtypeRange = st; paramsRange = TextRange(ps, s.i)
    }
}

/// A comma-separated token list: Allow, Supported, Require, Proxy-Require, Unsupported ...
/// (a view over the validated value ranges of every line of the header).
public struct SIPTokenList: Sendable {
    public let storage: [UInt8]
    let lines: [TextRange]
    /// The number of tokens across all lines.
    public let count: Int

    /// The tokens as written.
    public var tokens: [String] {
        var out: [String] = []
        storage.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            for r in lines {
                var ranges: [TextRange] = []
                _ = try? SIPMessage.parseTokens(p, r, into: &ranges)
                out += ranges.map { storage.string($0) }
            }
        }
        return out
    }
    /// Case-insensitive membership (option tags and methods compare as tokens).
    public func contains(_ token: String) -> Bool {
        let want = token.lowercased()
        return tokens.contains { $0.lowercased() == want }
    }
}

/// Challenge (WWW-Authenticate, Proxy-Authenticate) or credentials (Authorization,
/// Proxy-Authorization): auth-scheme LWS auth-param *(COMMA auth-param) (RFC 3261 §20.27, §25.1).
public struct SIPAuthValue: Sendable {
    public let storage: [UInt8]
    let raw: RawAuth
    init(_ storage: [UInt8], _ raw: RawAuth) { self.storage = storage; self.raw = raw }

    public var scheme: String { storage.string(raw.schemeRange) }
    public var isDigest: Bool { scheme.lowercased() == "digest" }
    /// Each parameter: name, value (inside the quotes when quoted), whether it was quoted.
    var params: [(TextRange, TextRange, Bool)] {
        var out: [(TextRange, TextRange, Bool)] = []
        storage.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            var s = Scanner(p, raw.paramsRange)
            try? RawAuth.scanParams(p, &s) { n, v, q in out.append((n, v, q)) }
        }
        return out
    }
    /// Parameter names as written, values unquoted.
    public var parameters: [(name: String, value: String, quoted: Bool)] {
        params.map { (storage.string($0.0), $0.2 ? unquote(storage, $0.1) : storage.string($0.1), $0.2) }
    }
    /// A parameter by name, case-insensitive (realm, nonce, opaque, algorithm, qop, stale, username, uri, response, cnonce, nc ...).
    public subscript(_ name: String) -> String? {
        let want = name.lowercased()
        for (n, v, q) in params where storage.string(n).lowercased() == want { return q ? unquote(storage, v) : storage.string(v) }
        return nil
    }
    public var realm: String? { self["realm"] }
    public var nonce: String? { self["nonce"] }
    public var opaque: String? { self["opaque"] }
    public var algorithm: String? { self["algorithm"] }
    public var qop: String? { self["qop"] }
    public var username: String? { self["username"] }
    public var uri: String? { self["uri"] }
    public var response: String? { self["response"] }
    public var cnonce: String? { self["cnonce"] }
    public var nonceCount: String? { self["nc"] }
    public var stale: Bool { self["stale"]?.lowercased() == "true" }
}

struct RawAuth: Sendable {
    var schemeRange: TextRange
    var paramsRange: TextRange
    var count: Int

    init(_ p: UnsafePointer<UInt8>, _ r: TextRange, header: String) throws(SIPParseError) {
        var s = Scanner(p, r)
        guard let scheme = s.token() else { throw SIPParseError(.malformedHeader, header: header, reason: "no auth scheme") }
        s.skipLWS()
        let ps = s.i
        var n = 0
        do throws(SIPParseError) { try Self.scanParams(p, &s) { _, _, _ in n += 1 } } catch {
            throw SIPParseError(.malformedHeader, header: header, reason: error.reason)
        }
        schemeRange = scheme; paramsRange = TextRange(ps, r.upper); count = n
    }

    /// auth-param *(COMMA auth-param); auth-param = token EQUAL ( token / quoted-string )
    static func scanParams(_ p: UnsafePointer<UInt8>, _ s: inout Scanner,
                           _ body: (TextRange, TextRange, Bool) -> Void) throws(SIPParseError) {
        func fail(_ why: String) -> SIPParseError { SIPParseError(.malformedValue, reason: why) }
        while !s.atEnd {
            guard let n = s.token() else { throw fail("bad auth parameter") }
            guard s.consume(Ch.eq) else { throw fail("auth parameter without '='") }
            s.skipLWS()
            if s.peekIs(Ch.dquote) {
                guard let q = s.quotedString() else { throw fail("unterminated quoted string") }
                body(n, q, true)
            } else {
                guard let v = s.token() else { throw fail("auth parameter without value") }
                body(n, v, false)
            }
            if s.consume(Ch.comma) { s.skipLWS(); continue }
            s.skipLWS()
            guard s.atEnd else { throw fail("expected ',' between auth parameters") }
        }
    }
}

/// Event = event-type *( SEMI event-param ) (RFC 6665 §8.2.1); Subscription-State likewise
/// with substate-value (active, pending, terminated) and expires / reason / retry-after.
public struct SIPTokenWithParams: Sendable {
    public let storage: [UInt8]
    let raw: RawTokenWithParams
    init(_ storage: [UInt8], _ raw: RawTokenWithParams) { self.storage = storage; self.raw = raw }
    public var value: String { storage.string(raw.valueRange) }
    public var parameters: SIPParameters { SIPParameters(storage, raw.paramsRange) }
    /// The id parameter (Event).
    public var id: String? { parameters["id"] ?? nil }
    /// The expires parameter (Subscription-State).
    public var expires: UInt32? { (parameters["expires"] ?? nil).flatMap { UInt32($0) } }
    public var reason: String? { parameters["reason"] ?? nil }
}

struct RawTokenWithParams: Sendable {
    var valueRange: TextRange
    var paramsRange: TextRange

    init(_ p: UnsafePointer<UInt8>, _ r: TextRange, header: String) throws(SIPParseError) {
        var s = Scanner(p, r)
        guard let v = s.token() else { throw SIPParseError(.malformedHeader, header: header, reason: "no value") }
        let ps = s.i
        do throws(SIPParseError) { try scanGenericParams(p, &s) { _, _, _ in } } catch {
            throw SIPParseError(.malformedHeader, header: header, reason: error.reason)
        }
        s.skipLWS()
        guard s.atEnd else { throw SIPParseError(.malformedHeader, header: header, reason: "unexpected text") }
        valueRange = v; paramsRange = TextRange(ps, s.i)
    }
}
