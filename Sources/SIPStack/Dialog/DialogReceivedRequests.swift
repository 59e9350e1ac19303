import SIPMessage

extension Dialog {
    /// What to do with a request received in the dialog.
    public enum RequestVerdict: Sendable, Equatable {
        /// Act on it and answer it.
        case accept
        /// Answer with this status and reason phrase, and do nothing else.
        case reject(status: Int, reason: String)
    }

    /// A request received in the dialog, as its UAS (§12.2.2). A request whose CSeq is lower
    /// than the remote sequence number is out of order and answered 500; otherwise the remote
    /// sequence number becomes its CSeq. A BYE ends the dialog (§15.1.2: answer it 200). A
    /// target refresh (re-INVITE, UPDATE ...) with a Contact changes the remote target only
    /// when it is answered 2xx: report the answer with `responded(with:to:)`.
    /// ACK (which carries its INVITE's CSeq) and CANCEL are accepted without a CSeq check.
    public mutating func receive(request: SIPMessage) -> RequestVerdict {
        guard let method = request.method else { return .reject(status: 400, reason: "Not A Request") }
        let h: DialogHeaders
        do throws(DialogError) { h = try DialogHeaders(request) } catch {
            return .reject(status: 400, reason: "Bad \(error.header ?? "Header")")
        }
        guard h.cseq.method == method else { return .reject(status: 400, reason: "CSeq Method Mismatch") }
        guard let received = try? DialogID(receivedRequest: request), received == id else {
            return .reject(status: 481, reason: sipReasonPhrase(481))
        }
        if method == "ACK" || method == "CANCEL" { return .accept }
        guard state != .terminated else { return .reject(status: 481, reason: sipReasonPhrase(481)) }
        if let last = remoteCSeq, h.cseq.number < last {
            return .reject(status: 500, reason: "CSeq Out Of Order")
        }
        var refresh: PendingTargetRefresh? = nil
        if Self.targetRefreshMethods.contains(method) {
            do throws(DialogError) {
                if let target = try DialogAddresses.contactTarget(request) {
                    refresh = PendingTargetRefresh(cseq: h.cseq.number, method: method, target: target)
                }
            } catch {
                return .reject(status: 400, reason: "Bad Contact")
            }
        }
        remoteCSeq = h.cseq.number
        if method == "BYE" {
            terminate()
        } else if let refresh {
            pendingTargetRefresh = refresh
        }
        return .accept
    }

    /// This side answered `request` with `status`: a 2xx to the creating request confirms the
    /// early dialog and a final non-2xx ends it (§12.1.1, §12.3); a 2xx to a pending target
    /// refresh makes its Contact the remote target, a final non-2xx drops it (§12.2.2).
    public mutating func responded(with status: Int, to request: SIPMessage) {
        guard status >= 200, let method = request.method, let h = try? DialogHeaders(request) else { return }
        if role == .uas && h.to.tag == nil && method == self.method && h.cseq.number == creatingCSeq {
            guard state == .early else { return }
            if status < 300 { state = .confirmed } else { terminate() }
            return
        }
        guard let p = pendingTargetRefresh, p.cseq == h.cseq.number, p.method == method else { return }
        pendingTargetRefresh = nil
        if status < 300 && state != .terminated { remoteTarget = p.target }
    }

    /// A response to `request` with the dialog's local tag in To (§8.2.6.2, §12.1.1); the
    /// caller adds Contact (in responses that establish or refresh the dialog) and any body.
    public func response(to request: SIPMessage, status: Int, reason: String? = nil) -> SIPMessageBuilder {
        SIPMessageBuilder.response(to: request, code: status, reason: reason, toTag: localTag)
    }
}
