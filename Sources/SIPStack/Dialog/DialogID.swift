import SIPMessage

/// A dialog's identity (RFC 3261 §12): the Call-ID, the local tag and the remote tag. Which of
/// From and To holds the local tag depends on the side: a UAS finds its own tag in the To of
/// the requests it receives, a UAC in the From of the responses it receives.
public struct DialogID: Sendable, Hashable, CustomStringConvertible {
    public var callID: String
    public var localTag: String
    public var remoteTag: String

    public init(callID: String, localTag: String, remoteTag: String) {
        self.callID = callID; self.localTag = localTag; self.remoteTag = remoteTag
    }

    /// The dialog a received request belongs to, seen by its UAS (§12.2.2): the To tag is
    /// local, the From tag remote. A request without a To tag is outside any dialog (`.missingTag`).
    public init(receivedRequest request: SIPMessage) throws(DialogError) {
        let h = try DialogHeaders(request)
        guard let local = h.to.tag else { throw DialogError(.missingTag, header: "To", reason: "no tag: the request is outside any dialog") }
        guard let remote = h.from.tag else { throw DialogError(.missingTag, header: "From", reason: "no tag") }
        self.init(callID: h.callID, localTag: local, remoteTag: remote)
    }

    /// The dialog a received response belongs to, seen by its UAC (§12.2.1.2, §13.2.2.4): the
    /// From tag is local, the To tag remote. A response without a To tag creates no dialog.
    public init(receivedResponse response: SIPMessage) throws(DialogError) {
        let h = try DialogHeaders(response)
        guard let local = h.from.tag else { throw DialogError(.missingTag, header: "From", reason: "no tag") }
        guard let remote = h.to.tag else { throw DialogError(.missingTag, header: "To", reason: "no tag: the response belongs to no dialog") }
        self.init(callID: h.callID, localTag: local, remoteTag: remote)
    }

    public var description: String { "\(callID);local-tag=\(localTag);remote-tag=\(remoteTag)" }
}

/// The headers every dialog operation reads: Call-ID, From, To, CSeq, each parsed or an error.
struct DialogHeaders {
    let callID: String
    let from: SIPNameAddr
    let to: SIPNameAddr
    let cseq: SIPCSeq

    init(_ m: SIPMessage) throws(DialogError) {
        do throws(SIPParseError) {
            callID = try m.callID()
            from = try m.from()
            to = try m.to()
            cseq = try m.cseq()
        } catch {
            throw DialogError(error)
        }
    }
}
