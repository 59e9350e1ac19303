import SIPMessage

extension Dialog {
    /// What a received response did to the dialog.
    public enum ResponseEffect: Sendable, Equatable {
        case unchanged
        /// The early dialog became confirmed by a 2xx to the creating request (§13.2.2.4).
        case confirmed
        /// A 2xx to a target refresh request replaced the remote target (§12.2.1.2).
        case targetRefreshed
        /// The dialog ended: a final non-2xx to the creating request of an early dialog (§12.3),
        /// or a 481 or 408 to a request in it (§12.2.1.2).
        case terminated
    }

    /// Requests whose 2xx carries the peer's new Contact: re-INVITE (§12.2.1.2), UPDATE
    /// (RFC 3311), SUBSCRIBE and NOTIFY (RFC 6665).
    public static let targetRefreshMethods: Set<String> = ["INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY"]

    /// A response to a request this side sent in the dialog (matched by Call-ID and tags, the
    /// From tag being local). A forked 2xx with another To tag is another dialog: its
    /// `DialogID(receivedResponse:)` finds no dialog, and `Dialog(sentRequest:response:)`
    /// makes one (§13.2.2.4). The caller sends the ACK for a 2xx to INVITE (`ack(to:)`).
    @discardableResult
    public mutating func receive(response: SIPMessage) throws(DialogError) -> ResponseEffect {
        guard let status = response.statusCode else { throw DialogError(.mismatch, reason: "a request is not a response") }
        let h = try DialogHeaders(response)
        guard (try DialogID(receivedResponse: response)) == id else {
            throw DialogError(.mismatch, reason: "the response belongs to another dialog")
        }
        if role == .uac && h.cseq.number == creatingCSeq && h.cseq.method == method {
            return try creatingRequestAnswered(status, response)
        }
        switch status {
        case 481, 408:
            guard state != .terminated else { return .unchanged }
            terminate()
            return .terminated
        case 200...299 where Self.targetRefreshMethods.contains(h.cseq.method) && state != .terminated:
            guard let target = try DialogAddresses.contactTarget(response), target != remoteTarget else { return .unchanged }
            remoteTarget = target
            return .targetRefreshed
        default:
            return .unchanged
        }
    }

    /// A response to the request that created the dialog (UAC).
    private mutating func creatingRequestAnswered(_ status: Int, _ response: SIPMessage) throws(DialogError) -> ResponseEffect {
        switch status {
        case 200...299 where state == .early:
            // §13.2.2.4: the route set is recomputed from the 2xx (RFC 2543 peers mirrored
            // Record-Route in 2xx only); the 2xx answers a target refresh, so its Contact, when
            // present, is the remote target (§12.2.1.2). Sequence numbers stay.
            let routes = try DialogAddresses.recordRoute(response)
            if let target = try DialogAddresses.contactTarget(response) { remoteTarget = target }
            routeSet = routes.reversed()
            state = .confirmed
            return .confirmed
        case 300...699 where state == .early:
            terminate()
            return .terminated
        default:
            // 1xx in the early dialog, 2xx retransmissions in the confirmed one.
            return .unchanged
        }
    }
}
