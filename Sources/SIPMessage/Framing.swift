// Message framing on stream transports (RFC 3261 §18.3): the header section ends at the first
// empty line and Content-Length (mandatory on streams) gives the body length.

public enum SIPFrame: Equatable, Sendable {
    /// A complete message occupies the first `length` bytes (leading CRLF keep-alives included).
    case complete(length: Int)
    /// More bytes are needed.
    case incomplete
    /// Only keep-alive CRLFs (RFC 5626 §3.5.1) so far; `length` bytes may be consumed.
    case keepAlive(length: Int)
    /// The stream cannot be framed: answer if possible, then close the connection.
    case invalid(SIPParseError)
}

extension SIPMessage {
    /// Says whether `buffer` starts with a complete message and how long it is.
    /// A header section growing past `limits.maxMessageSize` without an empty line is rejected.
    public static func frame(_ buffer: UnsafeRawBufferPointer, limits: Limits = .default) -> SIPFrame {
        guard let raw = buffer.baseAddress, buffer.count > 0 else { return .incomplete }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = buffer.count
        var i = 0
        while i < n && (p[i] == Ch.cr || p[i] == Ch.lf) { i += 1 }
        if i == n { return .keepAlive(length: n) }
        let cap = limits.maxMessageSize
        let limit = min(n, cap)
        // Find the empty line: CRLFCRLF (or, liberally, LFLF / LFCRLF).
        var k = i
        var headerEnd = -1
        while k < limit {
            if p[k] == Ch.lf {
                if k + 1 < n && p[k + 1] == Ch.lf { headerEnd = k + 2; break }
                if k + 2 < n && p[k + 1] == Ch.cr && p[k + 2] == Ch.lf { headerEnd = k + 3; break }
            }
            k += 1
        }
        if headerEnd < 0 {
            if n >= cap {
                return .invalid(SIPParseError(.headerSectionTooLarge, reason: "no empty line within \(cap) bytes"))
            }
            return .incomplete
        }
        // Find Content-Length (or "l") among the header lines.
        var contentLength: Int? = nil
        var line = i
        while line < headerEnd {
            guard var (e, nx) = lineEnd(p, line, headerEnd) else { break }
            // A folded value continues on lines starting with SP/HT (RFC 3261 §7.3.1).
            while nx < headerEnd && isWSP(p[nx]), let (e2, nx2) = lineEnd(p, nx, headerEnd) { e = e2; nx = nx2 }
            var s = Scanner(p, line, e)
            if let name = s.token(), SIPHeaderName.lookup(p, name) == .contentLength {
                s.skipWSP()
                if s.peekIs(Ch.colon) {
                    s.i += 1
                    s.skipLWS()
                    let v = s.number(max: UInt64(Int32.max))
                    s.skipLWS()
                    guard let v, s.atEnd else {
                        return .invalid(SIPParseError(.invalidContentLength, header: "Content-Length", reason: "not a non-negative decimal number"))
                    }
                    if let prior = contentLength, prior != Int(v) {
                        return .invalid(SIPParseError(.invalidContentLength, header: "Content-Length", reason: "two different values"))
                    }
                    contentLength = Int(v)
                }
            }
            line = nx
        }
        guard let cl = contentLength else {
            return .invalid(SIPParseError(.missingHeader, header: "Content-Length", reason: "required on a stream transport"))
        }
        let total = headerEnd + cl
        if total > cap {
            return .invalid(SIPParseError(.messageTooLarge, reason: "message of \(total) bytes exceeds the \(cap)-byte limit"))
        }
        return n >= total ? .complete(length: total) : .incomplete
    }

    public static func frame(_ bytes: [UInt8], limits: Limits = .default) -> SIPFrame {
        bytes.withUnsafeBytes { frame($0, limits: limits) }
    }
}
