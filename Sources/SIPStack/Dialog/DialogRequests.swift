import SIPMessage

/// Where a request goes first: the URI of the first Route, else the Request-URI (RFC 3261
/// §8.1.2, §12.2.1.1), reduced to what RFC 3263 resolves.
public struct NextHop: Sendable, Equatable, CustomStringConvertible {
    /// The URI the hop comes from.
    public var uri: String
    /// The maddr parameter when present, else the host (RFC 3263 §4); IPv6 keeps its brackets.
    public var host: String
    /// The URI's port; nil when it has none (RFC 3263: SRV for a domain name, else 5060, or
    /// 5061 for TLS — `portOrDefault`).
    public var port: Int?
    /// Lower case: the transport parameter, else "tls" for a sips URI, else "udp" (RFC 3263 §4.1).
    public var transport: String

    public init(uri: String, host: String, port: Int?, transport: String) {
        self.uri = uri; self.host = host; self.port = port; self.transport = transport
    }

    init(_ u: SIPURI) {
        self.init(uri: u.text, host: u.maddr ?? u.host ?? "", port: u.port,
                  transport: u.transport?.lowercased() ?? (u.scheme == .sips ? "tls" : "udp"))
    }

    public var portOrDefault: Int { port ?? (transport == "tls" ? SIPURI.defaultTLSPort : SIPURI.defaultPort) }

    public var description: String { "\(host):\(port.map(String.init) ?? "-")/\(transport)" }
}

/// A request built from the dialog's state (§12.2.1.1): Request-URI, Route, Max-Forwards,
/// From and To with the dialog's tags, Call-ID and CSeq. The caller adds the Via (with a new
/// branch) on top, Contact, any body and its Content-Type, then sends it to `nextHop`
/// (the builder writes Content-Length).
public struct DialogRequest: Sendable {
    public var message: SIPMessageBuilder
    public let method: String
    public let cseq: UInt32
    public let nextHop: NextHop

    /// Puts `value` as the topmost header, where a Via belongs (§8.1.1.7).
    public mutating func addVia(_ value: String) { message.headers.insert((name: "Via", value: value), at: 0) }
}

extension Dialog {
    /// The next request in the dialog (§12.2.1.1), taking the next local CSeq. A BYE ends the
    /// dialog as it is handed over (§15.1.1). ACK has `ack(...)`, and CANCEL is built from the
    /// INVITE it cancels (§9.1), not from the dialog.
    public mutating func request(_ method: String, maxForwards: Int = 70) throws(DialogError) -> DialogRequest {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isMethodByte) else {
            throw DialogError(.unsupportedMethod, reason: "\"\(method)\" is not a method token")
        }
        guard method != "ACK", method != "CANCEL" else {
            throw DialogError(.unsupportedMethod, reason: method == "ACK" ? "an ACK is built by ack(...)" : "CANCEL is not sent within a dialog")
        }
        guard state != .terminated else { throw DialogError(.terminated, reason: "the dialog \(id) has ended") }
        guard localCSeq < UInt32.max else {
            throw DialogError(.sequenceExhausted, header: "CSeq", reason: "the local CSeq reached \(UInt32.max)")
        }
        let built = try build(method, cseq: localCSeq, maxForwards: maxForwards)
        localCSeq += 1
        if method == "BYE" { terminate() }
        return built
    }

    /// BYE: ends the dialog (§15.1.1).
    public mutating func bye() throws(DialogError) -> DialogRequest { try request("BYE") }

    /// The ACK for a 2xx to the INVITE with CSeq `inviteCSeq` (§13.2.2.4): built like any request
    /// in the dialog but with that INVITE's CSeq number; the local CSeq does not move. It is
    /// built in any state: a 2xx that arrives after the dialog ended still gets its ACK.
    public func ack(inviteCSeq: UInt32, maxForwards: Int = 70) throws(DialogError) -> DialogRequest {
        try build("ACK", cseq: inviteCSeq, maxForwards: maxForwards)
    }

    /// The ACK for `response`, a 2xx to an INVITE of this dialog (§13.2.2.4).
    public func ack(to response: SIPMessage, maxForwards: Int = 70) throws(DialogError) -> DialogRequest {
        let h = try DialogHeaders(response)
        guard let status = response.statusCode, (200...299).contains(status), h.cseq.method == "INVITE" else {
            throw DialogError(.mismatch, reason: "only a 2xx to an INVITE is acknowledged by the dialog (§13.2.2.4)")
        }
        guard (try DialogID(receivedResponse: response)) == id else {
            throw DialogError(.mismatch, reason: "the response belongs to another dialog")
        }
        return try ack(inviteCSeq: h.cseq.number, maxForwards: maxForwards)
    }

    func build(_ method: String, cseq: UInt32, maxForwards: Int) throws(DialogError) -> DialogRequest {
        let requestURI: String
        let routes: [String]
        let hop: SIPURI
        if let first = routeSet.first {
            hop = try DialogAddresses.sipURI(first, header: "Route")
            if hop.lr {
                // Loose routing: the remote target is the Request-URI, the route set the Route.
                requestURI = DialogAddresses.requestURI(remoteTarget)
                routes = routeSet
            } else {
                // A strict router (RFC 2543) wants to find itself in the Request-URI; the remote
                // target travels as the last Route.
                requestURI = DialogAddresses.requestURI(first)
                routes = Array(routeSet.dropFirst()) + [remoteTarget]
            }
        } else {
            hop = try DialogAddresses.sipURI(remoteTarget, header: "Contact")
            requestURI = DialogAddresses.requestURI(remoteTarget)
            routes = []
        }
        var b = SIPMessageBuilder.request(method: method, uri: requestURI)
        for r in routes { b.add("Route", "<\(r)>") }
        b.add("Max-Forwards", String(maxForwards))
        b.add("From", localURI + ";tag=" + localTag)
        b.add("To", remoteURI + ";tag=" + remoteTag)
        b.add("Call-ID", callID)
        b.add("CSeq", "\(cseq) \(method)")
        return DialogRequest(message: b, method: method, cseq: cseq, nextHop: NextHop(hop))
    }

    /// token characters (RFC 3261 §25.1), which a Method is made of.
    static func isMethodByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-.!%*_+`'~".utf8.contains(b)
        }
    }
}
