import TextUtilities
import SIPMessage
import NIOCore

/// Where a response to a received request goes, and the top Via it carries (RFC 3261 §18.2.1
/// and §18.2.2, RFC 3581 §4): the source address is recorded as `received` when it differs
/// from the sent-by host, `rport` gets the source port when the client asked for it, and the
/// response goes to the source address at the source port (rport, or any stream transport) or
/// at the sent-by port. A `maddr` (multicast) is not honoured: the phone answers unicast only.
///
/// Over a stream transport the response goes on the connection the request came in on; when
/// that connection has closed, §18.2.2 sends it on a new connection to the `received`
/// address (the source address) at the sent-by port, or 5060 without one: `sentByHost` and
/// `sentByPort`. (The RFC's last resort, RFC 3263 §5 server location of the sent-by name, is
/// not tried: the source address is known, and a phone has no business querying DNS for a
/// response.)
public struct ResponseRouting: Sendable, Equatable {
    /// The top Via value to put in the response.
    public let topVia: String
    public let host: String
    public let port: Int
    /// Where a stream transport's response goes when the request's connection has closed.
    public let sentByHost: String
    public let sentByPort: Int

    public init(topVia: String, host: String, port: Int, sentByHost: String, sentByPort: Int) {
        self.topVia = topVia
        self.host = host
        self.port = port
        self.sentByHost = sentByHost
        self.sentByPort = sentByPort
    }

    /// `viaText` is the request's top Via value as received (one header value, not a list).
    public static func route(viaText: String, via: SIPVia, sourceHost: String, sourcePort: Int,
                             transport: ServerLocation.Transport) -> ResponseRouting {
        var text = viaText
        if via.received == nil, via.host != sourceHost {
            text = insert(";received=\(sourceHost)", into: text)
        }
        if via.rport == .requested {
            text = replaceBareRPort(in: text, with: ";rport=\(sourcePort)")
        }
        let symmetric = via.rport != nil || transport == .tcp
        let sentByPort = via.port ?? SIPURI.defaultPort
        return ResponseRouting(topVia: text, host: sourceHost, port: symmetric ? sourcePort : sentByPort,
                               sentByHost: via.received ?? sourceHost, sentByPort: sentByPort)
    }

    /// Appends a parameter to the Via value (before any trailing whitespace).
    static func insert(_ parameter: String, into via: String) -> String {
        var v = Substring(via)
        while let l = v.last, l == " " || l == "\t" { v.removeLast() }
        return String(v) + parameter
    }

    /// `;rport` without a value becomes `;rport=PORT`; anything else is left alone.
    static func replaceBareRPort(in via: String, with replacement: String) -> String {
        var parts = via.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        for i in parts.indices.dropFirst() {
            let p = parts[i][...].trimmingWSP()
            if p.lowercased() == "rport" {
                parts[i] = String(replacement.dropFirst())
                return parts.joined(separator: ";")
            }
        }
        return insert(replacement, into: via)
    }
}

extension SIPMessageBuilder {
    /// Replaces the value of the first header called `name` (case-insensitive).
    mutating func replaceFirst(_ name: String, with value: String) {
        guard let i = headers.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else { return }
        headers[i].value = value
    }
}


/// Where a response goes: `address`, and for a stream transport whose connection to it has
/// closed, `sentBy` (RFC 3261 §18.2.2).
public struct ResponseDestination: Sendable, Equatable {
    public let address: SocketAddress
    public let sentBy: SocketAddress?

    public init(address: SocketAddress, sentBy: SocketAddress? = nil) {
        self.address = address
        self.sentBy = sentBy
    }
}

extension ResponseRouting {
    /// Fills in `received`/`rport` in the response's top Via and returns where it goes, from
    /// the address the request came from; nil when the response has no usable Via.
    public static func route(_ response: inout SIPMessageBuilder, from source: SocketAddress,
                             transport: ServerLocation.Transport) -> SocketAddress? {
        destination(&response, from: source, transport: transport)?.address
    }

    /// `route`, with the sent-by address for a stream transport (nil over UDP, where the
    /// rules above already say where the response goes).
    public static func destination(_ response: inout SIPMessageBuilder, from source: SocketAddress,
                                   transport: ServerLocation.Transport) -> ResponseDestination? {
        guard let first = response.headers.firstIndex(where: { $0.name == "Via" }),
              let (top, rest) = splitTopVia(response.headers[first].value),
              let via = try? SIPMessage(parsing: "OPTIONS sip:x SIP/2.0\r\nVia: \(top)\r\n\r\n").topVia(),
              let ip = source.ipAddress, let port = source.port else { return nil }
        let route = route(viaText: top, via: via, sourceHost: ip, sourcePort: port, transport: transport)
        response.headers[first].value = route.topVia + rest
        guard let address = try? SocketAddress(ipAddress: route.host, port: route.port) else { return nil }
        let sentBy = transport == .tcp ? try? SocketAddress(ipAddress: route.sentByHost, port: route.sentByPort) : nil
        return ResponseDestination(address: address, sentBy: sentBy)
    }

    /// The first Via of a header value that may hold a comma list, and the rest (", …").
    public static func splitTopVia(_ value: String) -> (String, String)? {
        var inQuotes = false
        for i in value.indices {
            let c = value[i]
            if c == "\"" { inQuotes.toggle() }
            if c == ",", !inQuotes { return (String(value[..<i]), String(value[i...])) }
        }
        return value.isEmpty ? nil : (value, "")
    }
}
