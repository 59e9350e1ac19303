import SIPMessage

/// Why a message could not create, match or change a dialog. Errors are values with a reason
/// (ARCHITECTURE.md): a peer's bad message never crashes the phone.
public struct DialogError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A header the dialog needs is missing or does not parse.
        case malformed
        /// No tag where the dialog needs one: the From tag of the request, the To tag of the
        /// response that becomes the remote tag (RFC 3261 §12.1.2).
        case missingTag
        /// No Contact: the remote target comes from it (§12.1.1, §12.1.2).
        case missingContact
        /// Not a request or response that creates a dialog (method, status 100, final non-2xx,
        /// a request that already carries a To tag).
        case notDialogCreating
        /// The message belongs to another dialog, or answers another request.
        case mismatch
        /// The dialog has ended: nothing more is sent in it.
        case terminated
        /// A method this builder does not make: ACK has `ack(...)`; CANCEL belongs to the
        /// INVITE transaction, not to the dialog (§9.1).
        case unsupportedMethod
        /// The local CSeq reached 2^32 - 1 and cannot grow (§8.1.1.5).
        case sequenceExhausted
    }

    public var kind: Kind
    /// The header concerned, in its canonical name, when there is one.
    public var header: String?
    public var reason: String

    public init(_ kind: Kind, header: String? = nil, reason: String) {
        self.kind = kind; self.header = header; self.reason = reason
    }

    init(_ parse: SIPParseError) {
        self.init(.malformed, header: parse.header, reason: parse.reason)
    }

    public var description: String {
        if let header { return "\(header): \(reason)" }
        return reason
    }
}
