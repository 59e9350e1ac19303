// Building and writing messages: start line, headers in order, body with a correct
// Content-Length (RFC 3261 §7, §20.14). The writer never re-formats what it copies.

public struct SIPMessageBuilder: Sendable {
    public enum Start: Sendable, Equatable {
        case request(method: String, uri: String)
        case response(code: Int, reason: String)
    }
    public var start: Start
    /// Headers in the order they are written; Content-Length is written by `serialize()`.
    public var headers: [(name: String, value: String)] = []
    public var body: [UInt8] = []

    public static func request(method: String, uri: String) -> SIPMessageBuilder {
        SIPMessageBuilder(start: .request(method: method, uri: uri))
    }
    public static func response(code: Int, reason: String? = nil) -> SIPMessageBuilder {
        SIPMessageBuilder(start: .response(code: code, reason: reason ?? sipReasonPhrase(code)))
    }
    /// A response to `request` copying Via, From, To (adding `toTag` when To has none), Call-ID
    /// and CSeq (RFC 3261 §8.2.6.2), from the raw header values, so that it stays well-formed
    /// even when other parts of the request are not.
    public static func response(to request: SIPMessage, code: Int, reason: String? = nil, toTag: String? = nil) -> SIPMessageBuilder {
        var b = response(code: code, reason: reason)
        for f in request.headers {
            switch f.name {
            case .via, .from, .callID, .cseq: b.add(f.name.canonicalName, request.value(of: f))
            case .to:
                var v = request.value(of: f)
                if let toTag, code > 100, (try? request.to().tag) ?? nil == nil { v += ";tag=" + toTag }
                b.add("To", v)
            default: break
            }
        }
        return b
    }

    public init(start: Start, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.start = start; self.headers = headers; self.body = body
    }

    public mutating func add(_ name: String, _ value: String) { headers.append((name, value)) }

    /// The message bytes: CRLF line ends, one Content-Length (the body's length) at the end of the headers.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count + headers.count * 40)
        switch start {
        case .request(let m, let u):
            out += m.utf8; out.append(Ch.sp); out += u.utf8; out += " SIP/2.0\r\n".utf8
        case .response(let c, let r):
            out += "SIP/2.0 ".utf8; out += String(c).utf8; out.append(Ch.sp); out += r.utf8; out += "\r\n".utf8
        }
        for (n, v) in headers where SIPHeaderName(n) != .contentLength {
            out += n.utf8; out += ": ".utf8; out += v.utf8; out += "\r\n".utf8
        }
        out += "Content-Length: ".utf8; out += String(body.count).utf8; out += "\r\n\r\n".utf8
        out += body
        return out
    }

    /// Serializes and parses back: a built message is a parsed message.
    public func build() throws(SIPParseError) -> SIPMessage { try SIPMessage(parsing: serialize()) }
}

extension SIPMessage {
    /// Writes the message: the start line and every header as received (name, ": ", value with
    /// its folds), then Content-Length set to the body's length (replacing the received value, or
    /// added when absent), then the body. Canonical input comes back byte for byte.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 24)
        switch startLine {
        case .request(let m, let u):
            out += bytes[m.range]; out.append(Ch.sp); out += bytes[u.range]; out += " SIP/2.0\r\n".utf8
        case .response(let c, let r):
            out += "SIP/2.0 ".utf8; out += String(c).utf8; out.append(Ch.sp); out += bytes[r.range]; out += "\r\n".utf8
        }
        var wroteLength = false
        for h in headers {
            out += bytes[h.nameRange.range]; out += ": ".utf8
            if h.name == .contentLength {
                if wroteLength { out.removeLast(h.nameRange.count + 2); continue }
                out += String(bodyRange.count).utf8
                wroteLength = true
            } else {
                out += bytes[h.valueRange.range]
            }
            out += "\r\n".utf8
        }
        if !wroteLength { out += "Content-Length: ".utf8; out += String(bodyRange.count).utf8; out += "\r\n".utf8 }
        out += "\r\n".utf8
        out += bytes[bodyRange.range]
        return out
    }
}

/// The default reason phrase of a status code (RFC 3261 §21 and extensions).
public func sipReasonPhrase(_ code: Int) -> String {
    switch code {
    case 100: return "Trying"
    case 180: return "Ringing"
    case 181: return "Call Is Being Forwarded"
    case 182: return "Queued"
    case 183: return "Session Progress"
    case 200: return "OK"
    case 202: return "Accepted"
    case 300: return "Multiple Choices"
    case 301: return "Moved Permanently"
    case 302: return "Moved Temporarily"
    case 305: return "Use Proxy"
    case 380: return "Alternative Service"
    case 400: return "Bad Request"
    case 401: return "Unauthorized"
    case 402: return "Payment Required"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 406: return "Not Acceptable"
    case 407: return "Proxy Authentication Required"
    case 408: return "Request Timeout"
    case 410: return "Gone"
    case 413: return "Request Entity Too Large"
    case 414: return "Request-URI Too Long"
    case 415: return "Unsupported Media Type"
    case 416: return "Unsupported URI Scheme"
    case 420: return "Bad Extension"
    case 421: return "Extension Required"
    case 423: return "Interval Too Brief"
    case 480: return "Temporarily Unavailable"
    case 481: return "Call/Transaction Does Not Exist"
    case 482: return "Loop Detected"
    case 483: return "Too Many Hops"
    case 484: return "Address Incomplete"
    case 485: return "Ambiguous"
    case 486: return "Busy Here"
    case 487: return "Request Terminated"
    case 488: return "Not Acceptable Here"
    case 489: return "Bad Event"
    case 491: return "Request Pending"
    case 493: return "Undecipherable"
    case 500: return "Server Internal Error"
    case 501: return "Not Implemented"
    case 502: return "Bad Gateway"
    case 503: return "Service Unavailable"
    case 504: return "Server Time-out"
    case 505: return "Version Not Supported"
    case 513: return "Message Too Large"
    case 600: return "Busy Everywhere"
    case 603: return "Decline"
    case 604: return "Does Not Exist Anywhere"
    case 606: return "Not Acceptable"
    default: return "Unknown"
    }
}
