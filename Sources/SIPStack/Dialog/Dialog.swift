import SIPMessage

/// A SIP dialog (RFC 3261 §12): the state two user agents share for the requests they send
/// each other within a call (INVITE) or a subscription (SUBSCRIBE, REFER). A plain value: it is
/// created from messages, changed by messages, and builds the requests sent in it
/// (Dialog+Requests.swift); who sends them, and when, is the caller's business.
public struct Dialog: Sendable, Equatable {
    public enum State: String, Sendable { case early, confirmed, terminated }
    /// Which side created it: the UAC sent the dialog-creating request, the UAS received it.
    public enum Role: String, Sendable { case uac, uas }

    /// Methods whose requests create a dialog: INVITE (§13), SUBSCRIBE (RFC 6665 §4.1.2.2)
    /// and REFER, whose implicit subscription is a dialog (RFC 6665 §4.2).
    public static let creatingMethods: Set<String> = ["INVITE", "SUBSCRIBE", "REFER"]

    public let id: DialogID
    public let role: Role
    public internal(set) var state: State
    /// The dialog-creating method.
    public let method: String
    /// The local URI: the From (UAC) or To (UAS) name-addr of the creating request, without its tag.
    public let localURI: String
    /// The remote URI: the To (UAC) or From (UAS) name-addr of the creating request, without its tag.
    public let remoteURI: String
    /// The CSeq number of the next request sent in the dialog, ACK excepted: the local sequence
    /// number plus one (§12.2.1.1).
    public internal(set) var localCSeq: UInt32
    /// The remote sequence number: the CSeq of the peer's last request, nil before its first (§12.1.2).
    public internal(set) var remoteCSeq: UInt32?
    /// The remote target: the peer's Contact URI (§12.1.1, §12.1.2), changed by target refreshes
    /// (§12.2.1.2, §12.2.2).
    public internal(set) var remoteTarget: String
    /// The route set: URIs in the order requests carry them in Route (§12.1.1, §12.1.2).
    public internal(set) var routeSet: [String]
    /// Created by a sips Request-URI over TLS (§12.1.1, §12.1.2).
    public let secure: Bool

    /// The CSeq of the creating request: its responses (UAC) and answers (UAS) move the state.
    let creatingCSeq: UInt32
    /// UAS: the Contact of a received target refresh, applied when it is answered 2xx (§12.2.2).
    var pendingTargetRefresh: PendingTargetRefresh?

    struct PendingTargetRefresh: Sendable, Equatable {
        let cseq: UInt32
        let method: String
        let target: String
    }

    public var callID: String { id.callID }
    public var localTag: String { id.localTag }
    public var remoteTag: String { id.remoteTag }

    // MARK: creation

    /// The dialog a UAC holds after sending `request` (INVITE, SUBSCRIBE, REFER) and receiving
    /// `response`, a 101–199 with a To tag (early dialog) or a 2xx (confirmed), §12.1.2: the
    /// route set is the response's Record-Route in reverse order, the remote target its Contact.
    /// `overTLS`: the request went over TLS (with a sips Request-URI, the dialog is secure).
    public init(sentRequest request: SIPMessage, response: SIPMessage, overTLS: Bool = false) throws(DialogError) {
        let method = try Self.creatingMethod(request)
        guard let status = response.statusCode, (101...299).contains(status) else {
            throw DialogError(.notDialogCreating, reason: "status \(response.statusCode ?? 0) creates no dialog (101-299 do)")
        }
        let req = try DialogHeaders(request)
        let res = try DialogHeaders(response)
        guard req.to.tag == nil else {
            throw DialogError(.notDialogCreating, header: "To", reason: "the request already has a To tag: it is within a dialog")
        }
        guard let localTag = req.from.tag else { throw DialogError(.missingTag, header: "From", reason: "the request's From has no tag") }
        guard res.callID == req.callID, res.cseq == req.cseq, res.from.tag == localTag else {
            throw DialogError(.mismatch, reason: "the response answers another request (Call-ID, CSeq or From tag differ)")
        }
        guard let remoteTag = res.to.tag else {
            throw DialogError(.missingTag, header: "To", reason: "the \(status) response has no To tag")
        }
        guard let target = try DialogAddresses.contactTarget(response) else {
            throw DialogError(.missingContact, header: "Contact", reason: "the \(status) response has no Contact")
        }
        let routes = try DialogAddresses.recordRoute(response)
        guard req.cseq.number < UInt32.max else {
            throw DialogError(.sequenceExhausted, header: "CSeq", reason: "the request's CSeq leaves no next number")
        }
        self.id = DialogID(callID: req.callID, localTag: localTag, remoteTag: remoteTag)
        self.role = .uac
        self.state = status < 200 ? .early : .confirmed
        self.method = method
        self.localURI = DialogAddresses.withoutTag(req.from)
        self.remoteURI = DialogAddresses.withoutTag(req.to)
        self.localCSeq = req.cseq.number + 1
        self.remoteCSeq = nil
        self.remoteTarget = target
        self.routeSet = routes.reversed()
        self.secure = overTLS && ((try? request.requestURI())?.scheme == .sips)
        self.creatingCSeq = req.cseq.number
    }

    /// The dialog a UAS holds when it answers `request` (INVITE, SUBSCRIBE, REFER, without a
    /// To tag) with a response carrying `localTag`, §12.1.1: the route set is the request's
    /// Record-Route in order, the remote target its Contact, the remote sequence number its
    /// CSeq. The dialog is early; `responded(with:to:)` confirms it when the answer is 2xx.
    /// `localCSeq` is the first CSeq of the requests this side will send (below 2^31, §8.1.1.5).
    public init(receivedRequest request: SIPMessage, localTag: String, localCSeq: UInt32 = 1, overTLS: Bool = false) throws(DialogError) {
        let method = try Self.creatingMethod(request)
        let req = try DialogHeaders(request)
        guard req.to.tag == nil else {
            throw DialogError(.notDialogCreating, header: "To", reason: "the request already has a To tag: it is within a dialog")
        }
        guard let remoteTag = req.from.tag else { throw DialogError(.missingTag, header: "From", reason: "the request's From has no tag") }
        guard let target = try DialogAddresses.contactTarget(request) else {
            throw DialogError(.missingContact, header: "Contact", reason: "the \(method) has no Contact")
        }
        guard !localTag.isEmpty else { throw DialogError(.missingTag, header: "To", reason: "the local tag is empty") }
        self.id = DialogID(callID: req.callID, localTag: localTag, remoteTag: remoteTag)
        self.role = .uas
        self.state = .early
        self.method = method
        self.localURI = DialogAddresses.withoutTag(req.to)
        self.remoteURI = DialogAddresses.withoutTag(req.from)
        self.localCSeq = localCSeq
        self.remoteCSeq = req.cseq.number
        self.remoteTarget = target
        self.routeSet = try DialogAddresses.recordRoute(request)
        self.secure = overTLS && ((try? request.requestURI())?.scheme == .sips)
        self.creatingCSeq = req.cseq.number
    }

    /// The request's method when it can create a dialog and agrees with its CSeq.
    static func creatingMethod(_ request: SIPMessage) throws(DialogError) -> String {
        guard let method = request.method else { throw DialogError(.notDialogCreating, reason: "a response is not a request") }
        guard creatingMethods.contains(method) else {
            throw DialogError(.notDialogCreating, reason: "\(method) creates no dialog")
        }
        return method
    }

    // MARK: state changes

    /// The dialog has ended (a BYE sent or received, a 481 or 408 to a request in it ...).
    public mutating func terminate() {
        state = .terminated
        pendingTargetRefresh = nil
    }
}

extension Dialog: CustomStringConvertible {
    /// One line for `show` commands: identity, state, sequence numbers, target and route set.
    public var description: String {
        let routes = routeSet.isEmpty ? "none" : routeSet.map { "<\($0)>" }.joined(separator: ", ")
        return "\(method) dialog (\(role.rawValue)) \(state.rawValue) call-id \(callID) local-tag \(localTag) "
            + "remote-tag \(remoteTag) local-cseq \(localCSeq) remote-cseq \(remoteCSeq.map(String.init) ?? "none") "
            + "target \(remoteTarget) route \(routes)\(secure ? " secure" : "")"
    }
}
