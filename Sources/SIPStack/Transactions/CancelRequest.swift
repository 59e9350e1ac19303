import SIPMessage

/// The CANCEL of an INVITE (RFC 3261 §9.1): the INVITE's Request-URI, Call-ID, To, From and
/// CSeq number (method CANCEL), one Via equal to the INVITE's top Via (so it shares the
/// branch), and the INVITE's Route headers.
public enum CancelRequest {
    public static func build(invite: SIPMessage) -> [UInt8]? {
        guard let uri = invite.requestURIText, let cseq = try? invite.cseq(),
              let topVia = invite.field(.via).map({ invite.value(of: $0) }).flatMap({ ResponseRouting.splitTopVia($0)?.0 }),
              let from = invite.field(.from).map({ invite.value(of: $0) }),
              let to = invite.field(.to).map({ invite.value(of: $0) }),
              let callID = invite.field(.callID).map({ invite.value(of: $0) }) else { return nil }
        var cancel = SIPMessageBuilder.request(method: "CANCEL", uri: uri)
        cancel.add("Via", topVia)
        for route in invite.fields(.route) { cancel.add("Route", invite.value(of: route)) }
        cancel.add("Max-Forwards", invite.field(.maxForwards).map { invite.value(of: $0) } ?? "70")
        cancel.add("From", from)
        cancel.add("To", to)
        cancel.add("Call-ID", callID)
        cancel.add("CSeq", "\(cseq.number) CANCEL")
        cancel.add("Content-Length", "0")
        return cancel.serialize()
    }
}
