// Errors are values with a reason (ARCHITECTURE.md "Errors are values with a place"): a bad
// message never crashes the phone, it becomes one of these and, for a request, a 4xx/5xx.

public struct SIPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The message (or its header section) is larger than the configured cap.
        case messageTooLarge
        /// A stream holds more header bytes than the cap without an empty line.
        case headerSectionTooLarge
        /// The header section does not end with an empty line.
        case missingEmptyLine
        case malformedStartLine
        /// A well-formed SIP-Version other than SIP/2.0 (answered 505, RFC 3261 §21.5.6).
        case unsupportedVersion
        case malformedHeader
        case missingHeader
        case invalidContentLength
        /// Content-Length says more than the datagram holds (RFC 3261 §18.3).
        case bodyTruncated
        /// CSeq method differs from the Request-Line method (RFC 3261 §8.1.1.5);
        /// `knownMethod` is false when the Request-Line method is not one this UA implements.
        case methodMismatch(knownMethod: Bool)
        case malformedRequestURI
        case malformedValue
    }

    public var kind: Kind
    /// The header concerned, in its full canonical name, when there is one.
    public var header: String?
    public var reason: String
    /// True when the start line was recognized as a status line: responses are dropped, never answered.
    public var isResponse: Bool

    public init(_ kind: Kind, header: String? = nil, reason: String, isResponse: Bool = false) {
        self.kind = kind; self.header = header; self.reason = reason; self.isResponse = isResponse
    }

    public var description: String {
        if let header { return "\(header): \(reason)" }
        return reason
    }
}

/// The status a user agent answers to a request that failed to parse or validate
/// (RFC 3261 §8.2, §21; RFC 4475 §3.1.2). Zero means "send nothing": the message was a
/// response, and a malformed response is silently discarded (RFC 4475 §3.1.2.18/19).
public func rejectionStatus(_ error: SIPParseError) -> Int {
    if error.isResponse { return 0 }
    switch error.kind {
    case .unsupportedVersion: return 505   // RFC 3261 §21.5.6 Version Not Supported
    case .messageTooLarge, .headerSectionTooLarge: return 513  // §21.5.7 Message Too Large
    case .methodMismatch(let known): return known ? 400 : 501  // RFC 4475 §3.1.2.18 prefers 501
    default: return 400
    }
}
