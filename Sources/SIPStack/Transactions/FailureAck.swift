import SIPMessage

/// The ACK an INVITE client transaction sends for a 300–699 final response (RFC 3261
/// §17.1.1.3): the INVITE's Request-URI, Call-ID, From, top Via (same branch) and Route
/// headers, the response's To (with its tag), and the INVITE's CSeq number with method ACK.
public enum FailureAck {
    public static func build(invite: SIPMessage, response: SIPMessage) -> [UInt8]? {
        guard let uri = invite.requestURIText, let cseq = try? invite.cseq(),
              let topVia = invite.field(.via).map({ invite.value(of: $0) }).flatMap({ ResponseRouting.splitTopVia($0)?.0 }),
              let from = invite.field(.from).map({ invite.value(of: $0) }),
              let callID = invite.field(.callID).map({ invite.value(of: $0) }),
              let to = response.field(.to).map({ response.value(of: $0) }) else { return nil }
        var ack = SIPMessageBuilder.request(method: "ACK", uri: uri)
        ack.add("Via", topVia)
        for route in invite.fields(.route) { ack.add("Route", invite.value(of: route)) }
        ack.add("Max-Forwards", invite.field(.maxForwards).map { invite.value(of: $0) } ?? "70")
        ack.add("From", from)
        ack.add("To", to)
        ack.add("Call-ID", callID)
        ack.add("CSeq", "\(cseq.number) ACK")
        return ack.serialize()
    }
}
