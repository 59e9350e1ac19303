import SIPMessage

/// Which server transaction a request belongs to (RFC 3261 §17.2.3): the top Via's branch
/// (with the magic cookie), its sent-by, and the method, with ACK matching its INVITE. Requests
/// from RFC 2543 clients (no magic cookie) are matched on Request-URI, From tag, Call-ID,
/// CSeq number and the top Via, as §17.2.3 describes for them.
public struct ServerTransactionKey: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    /// `headers` are the request's validated headers (`SIPMessage.validate()`). `method`
    /// names another transaction's method: the INVITE a CANCEL cancels (§9.2).
    public init?(_ request: SIPMessage, headers: SIPTypedHeaders, method other: String? = nil) {
        guard let method = request.method, let via = headers.vias.first, let cseq = headers.cseq else { return nil }
        let m = other ?? (method == "ACK" ? "INVITE" : method)
        let sentBy = "\(via.host.lowercased()):\(via.port ?? SIPURI.defaultPort)"
        if via.hasMagicCookie, let branch = via.branch {
            value = "\(branch)|\(sentBy)|\(m)"
        } else {
            value = "2543|\(request.requestURIText ?? "")|\(headers.from?.tag ?? "")|\(headers.callID ?? "")|\(cseq.number)|\(sentBy)|\(via.branch ?? "")|\(m)"
        }
    }

    public var description: String { value }
}
