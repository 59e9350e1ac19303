// Parsing RFC 4566 text. Tolerant where real agents differ (CRLF or LF, trailing blank lines
// or spaces, runs of spaces between fields, unknown line types and attributes, session- or
// media-level c=, static payload types without rtpmap); strict where a mistake would send media
// to the wrong place or misread a codec: v=0 first, a well-formed o=, c=, m=, t=, rtpmap and
// fmtp. Every failure is an `SDPError` (the SIP layer answers 400 with its text), never a trap.
import TextUtilities


/// Why a session description was refused, and on which line (1-based).
public struct SDPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case empty, tooLarge, badLine, badVersion, missingOrigin, badOrigin, badConnection, badTime, badMedia, badAttribute
    }

    public let kind: Kind
    public let line: Int
    public let reason: String

    public init(_ kind: Kind, line: Int, _ reason: String) {
        self.kind = kind
        self.line = line
        self.reason = reason
    }

    /// The SIP status a UAS answers a request carrying this body with (RFC 3261 §21.4.1).
    public var statusCode: Int { 400 }

    public var description: String { line > 0 ? "SDP line \(line): \(reason)" : "SDP: \(reason)" }
}

extension SDPSession {
    /// The largest body accepted, and the most m= sections: a phone's own offers have one.
    public static let maximumSize = 32 * 1024
    public static let maximumMediaSections = 16

    public init(parsing text: String) throws(SDPError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses a body (as the SIP layer hands it over, e.g. `Array(message.body)`).
    public init(parsing bytes: [UInt8]) throws(SDPError) {
        self = try SDPParser.parse(bytes[...])
    }

    public init(parsing bytes: ArraySlice<UInt8>) throws(SDPError) {
        self = try SDPParser.parse(bytes)
    }
}

enum SDPParser {
    static func parse(_ bytes: ArraySlice<UInt8>) throws(SDPError) -> SDPSession {
        guard bytes.count <= SDPSession.maximumSize else {
            throw SDPError(.tooLarge, line: 0, "body of \(bytes.count) bytes exceeds \(SDPSession.maximumSize)")
        }
        var lines: [(number: Int, type: UInt8, value: String)] = []
        var number = 0
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            number += 1
            var line = bytes[start..<end]
            start = end < bytes.endIndex ? end + 1 : end
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            if line.isEmpty { continue }  // blank lines (often a trailing one) carry nothing
            guard line.count >= 2, line[line.startIndex + 1] == UInt8(ascii: "="),
                  let type = line.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(type) else {
                throw SDPError(.badLine, line: number, "not of the form <letter>=<value>")
            }
            if line.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
                throw SDPError(.badLine, line: number, "control character in line")
            }
            lines.append((number, type, String(decoding: line.dropFirst(2), as: UTF8.self)))
        }
        guard let first = lines.first else { throw SDPError(.empty, line: 0, "empty session description") }
        guard first.type == UInt8(ascii: "v") else {
            throw SDPError(.badVersion, line: first.number, "the first line must be v=0")
        }
        guard first.value.trimmingWSP() == "0" else {
            throw SDPError(.badVersion, line: first.number, "unsupported version v=\(first.value)")
        }

        var origin: SDPOrigin?
        var name = "-"
        var connection: SDPConnection?
        var times: [(start: UInt64, stop: UInt64)] = []
        var direction: MediaDirection?
        var attributes: [SDPAttribute] = []
        var bandwidths: [String] = []
        var media: [MediaDescription] = []

        for (n, type, value) in lines.dropFirst() {
            switch type {
            case UInt8(ascii: "v"):
                throw SDPError(.badVersion, line: n, "a second v= line")
            case UInt8(ascii: "m"):
                guard media.count < SDPSession.maximumMediaSections else {
                    throw SDPError(.tooLarge, line: n, "more than \(SDPSession.maximumMediaSections) m= sections")
                }
                media.append(try parseMedia(value, line: n))
            case UInt8(ascii: "c"):
                let c = try parseConnection(value, line: n)
                if media.isEmpty { connection = c } else { media[media.count - 1].connection = c }
            case UInt8(ascii: "b"):
                if media.isEmpty { bandwidths.append(value) } else { media[media.count - 1].bandwidths.append(value) }
            case UInt8(ascii: "a"):
                if media.isEmpty {
                    let (attrName, attrValue) = splitAttribute(value)
                    if let d = MediaDirection(rawValue: attrName), attrValue == nil { direction = d } else {
                        attributes.append(SDPAttribute(attrName, attrValue))
                    }
                } else {
                    try applyMediaAttribute(value, to: &media[media.count - 1], line: n)
                }
            case UInt8(ascii: "o") where media.isEmpty:
                guard origin == nil else { throw SDPError(.badOrigin, line: n, "a second o= line") }
                origin = try parseOrigin(value, line: n)
            case UInt8(ascii: "s") where media.isEmpty:
                name = value
            case UInt8(ascii: "t") where media.isEmpty:
                let f = value.fields()
                guard f.count == 2, let s = UInt64(f[0]), let e = UInt64(f[1]) else {
                    throw SDPError(.badTime, line: n, "t= needs two decimal times")
                }
                times.append((s, e))
            default:
                // i=, u=, e=, p=, z=, k=, r= and unknown letters: not used by a phone; ignored
                // (GUIDE §9.5). Session-level letters after an m= line are ignored too.
                continue
            }
        }
        guard let origin else { throw SDPError(.missingOrigin, line: 0, "no o= line") }
        if times.isEmpty { times = [(0, 0)] }
        return SDPSession(origin: origin, name: name, connection: connection, times: times, direction: direction,
                          attributes: attributes, bandwidths: bandwidths, media: media)
    }

    static func parseOrigin(_ value: String, line: Int) throws(SDPError) -> SDPOrigin {
        let f = value.fields()
        guard f.count == 6 else { throw SDPError(.badOrigin, line: line, "o= needs 6 fields, has \(f.count)") }
        guard !f[1].isEmpty, f[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw SDPError(.badOrigin, line: line, "session id \(f[1]) is not a number")
        }
        guard let version = UInt64(f[2]) else {
            throw SDPError(.badOrigin, line: line, "session version \(f[2]) is not a 64-bit number")
        }
        return SDPOrigin(username: f[0], sessionID: f[1], sessionVersion: version, address: f[5],
                         addressType: f[4], networkType: f[3])
    }

    static func parseConnection(_ value: String, line: Int) throws(SDPError) -> SDPConnection {
        let f = value.fields()
        guard f.count == 3 else { throw SDPError(.badConnection, line: line, "c= needs 3 fields, has \(f.count)") }
        guard f[0].uppercased() == "IN" else { throw SDPError(.badConnection, line: line, "network type \(f[0])") }
        let type = f[1].uppercased()
        guard type == "IP4" || type == "IP6" else { throw SDPError(.badConnection, line: line, "address type \(f[1])") }
        let address = String(f[2].prefix { $0 != "/" })
        guard !address.isEmpty else { throw SDPError(.badConnection, line: line, "empty address") }
        if type == "IP4", address.first?.isNumber == true, IPv4.parse(address) == nil {
            throw SDPError(.badConnection, line: line, "\(address) is not an IPv4 address")
        }
        return SDPConnection(address: address, addressType: type, networkType: "IN")
    }

    static func parseMedia(_ value: String, line: Int) throws(SDPError) -> MediaDescription {
        let f = value.fields()
        guard f.count >= 3 else { throw SDPError(.badMedia, line: line, "m= needs media, port and protocol") }
        let portParts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard let port = UInt16(portParts[0]) else {
            throw SDPError(.badMedia, line: line, "port \(f[1]) is not a number 0–65535")
        }
        var count: Int?
        if portParts.count == 2 {
            guard let c = Int(portParts[1]), c > 0 else { throw SDPError(.badMedia, line: line, "port count \(f[1])") }
            count = c
        } else if portParts.count > 2 {
            throw SDPError(.badMedia, line: line, "port \(f[1])")
        }
        let formats = Array(f.dropFirst(3))
        let proto = f[2]
        if proto.uppercased().hasPrefix("RTP/") {
            for fmt in formats where UInt8(fmt).map({ $0 > 127 }) ?? true {
                throw SDPError(.badMedia, line: line, "RTP format \(fmt) is not a payload type 0–127")
            }
        }
        return MediaDescription(media: f[0], port: port, proto: proto, formats: formats, portCount: count)
    }

    static func splitAttribute(_ value: String) -> (String, String?) {
        guard let colon = value.firstIndex(of: ":") else { return (value, nil) }
        return (String(value[..<colon]), String(value[value.index(after: colon)...]))
    }

    static func applyMediaAttribute(_ raw: String, to m: inout MediaDescription, line: Int) throws(SDPError) {
        let (name, value) = splitAttribute(raw)
        switch (name.lowercased(), value) {
        case ("rtpmap", let v?):
            m.rtpmaps.append(try parseRTPMap(v, line: line))
        case ("fmtp", let v?):
            let trimmed = String(v.trimmingWSP())
            guard let space = trimmed.firstIndex(of: " ") else {
                throw SDPError(.badAttribute, line: line, "fmtp needs a format and parameters")
            }
            m.fmtps[String(trimmed[..<space])] = String(trimmed[space...].trimmingWSP())
        case ("ptime", let v?):
            // A non-numeric ptime is ignored: it changes nothing we must get right.
            if let p = Int(v.trimmingWSP()), p > 0 { m.ptime = p }
        case ("maxptime", let v?):
            if let p = Int(v.trimmingWSP()), p > 0 { m.maxptime = p }
        case (let d, nil) where MediaDirection(rawValue: d) != nil:
            m.direction = MediaDirection(rawValue: d)
        default:
            m.attributes.append(SDPAttribute(name, value))
        }
    }

    static func parseRTPMap(_ v: String, line: Int) throws(SDPError) -> RTPMap {
        let f = v.fields()
        guard f.count == 2, let pt = UInt8(f[0]), pt < 128 else {
            throw SDPError(.badAttribute, line: line, "rtpmap needs <payload type> <encoding>/<rate>")
        }
        let parts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, let rate = Int(parts[1]), rate > 0 else {
            throw SDPError(.badAttribute, line: line, "rtpmap encoding \(f[1]) is not <name>/<rate>[/<channels>]")
        }
        var channels: Int?
        if parts.count == 3 {
            guard let c = Int(parts[2]), c > 0 else { throw SDPError(.badAttribute, line: line, "rtpmap channels \(parts[2])") }
            channels = c
        }
        return RTPMap(payloadType: pt, encoding: String(parts[0]), clockRate: rate, channels: channels)
    }
}

extension String {
    /// Fields separated by one or more spaces or tabs.
    func fields() -> [String] {
        split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}

/// Dotted-quad IPv4 text (no Foundation, no inet_pton: this module has no I/O dependencies).
enum IPv4 {
    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let octet = UInt8(p) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
