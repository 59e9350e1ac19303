// Header names (RFC 3261 §7.3, §20) with their compact forms (§7.3.3 and the IANA registry).
// Generated once by hand-run script; edit freely. Lookup is case-insensitive and byte-based.

/// A header the parser knows by name. `.extension` is any other header: kept as text.
public enum SIPHeaderName: UInt8, Sendable, CaseIterable {
    case `extension` = 0
    case via
    case from
    case to
    case callID
    case cseq
    case contact
    case maxForwards
    case expires
    case contentLength
    case contentType
    case contentEncoding
    case route
    case recordRoute
    case wwwAuthenticate
    case proxyAuthenticate
    case authorization
    case proxyAuthorization
    case allow
    case supported
    case require
    case proxyRequire
    case unsupported
    case event
    case allowEvents
    case subscriptionState
    case subject
    case userAgent
    case server
    case accept
    case acceptEncoding
    case acceptLanguage
    case alertInfo
    case callInfo
    case contentDisposition
    case contentLanguage
    case date
    case errorInfo
    case inReplyTo
    case minExpires
    case mimeVersion
    case organization
    case priority
    case replyTo
    case retryAfter
    case timestamp
    case warning
    case referTo
    case referredBy
    case replaces
    case sessionExpires
    case identity
    case identityInfo
    case acceptContact
    case rejectContact
    case requestDisposition
    case minSE
    case rseq
    case rack
    case diversion
    case remotePartyID
    case requestedBy
    case also
    case authenticationInfo
    case path
    case serviceRoute
    case privacy
    case pAssertedIdentity

    /// The canonical spelling (RFC 3261 §20).
    public var canonicalName: String {
        switch self {
        case .extension: return ""
        case .via: return "Via"
        case .from: return "From"
        case .to: return "To"
        case .callID: return "Call-ID"
        case .cseq: return "CSeq"
        case .contact: return "Contact"
        case .maxForwards: return "Max-Forwards"
        case .expires: return "Expires"
        case .contentLength: return "Content-Length"
        case .contentType: return "Content-Type"
        case .contentEncoding: return "Content-Encoding"
        case .route: return "Route"
        case .recordRoute: return "Record-Route"
        case .wwwAuthenticate: return "WWW-Authenticate"
        case .proxyAuthenticate: return "Proxy-Authenticate"
        case .authorization: return "Authorization"
        case .proxyAuthorization: return "Proxy-Authorization"
        case .allow: return "Allow"
        case .supported: return "Supported"
        case .require: return "Require"
        case .proxyRequire: return "Proxy-Require"
        case .unsupported: return "Unsupported"
        case .event: return "Event"
        case .allowEvents: return "Allow-Events"
        case .subscriptionState: return "Subscription-State"
        case .subject: return "Subject"
        case .userAgent: return "User-Agent"
        case .server: return "Server"
        case .accept: return "Accept"
        case .acceptEncoding: return "Accept-Encoding"
        case .acceptLanguage: return "Accept-Language"
        case .alertInfo: return "Alert-Info"
        case .callInfo: return "Call-Info"
        case .contentDisposition: return "Content-Disposition"
        case .contentLanguage: return "Content-Language"
        case .date: return "Date"
        case .errorInfo: return "Error-Info"
        case .inReplyTo: return "In-Reply-To"
        case .minExpires: return "Min-Expires"
        case .mimeVersion: return "MIME-Version"
        case .organization: return "Organization"
        case .priority: return "Priority"
        case .replyTo: return "Reply-To"
        case .retryAfter: return "Retry-After"
        case .timestamp: return "Timestamp"
        case .warning: return "Warning"
        case .referTo: return "Refer-To"
        case .referredBy: return "Referred-By"
        case .replaces: return "Replaces"
        case .sessionExpires: return "Session-Expires"
        case .identity: return "Identity"
        case .identityInfo: return "Identity-Info"
        case .acceptContact: return "Accept-Contact"
        case .rejectContact: return "Reject-Contact"
        case .requestDisposition: return "Request-Disposition"
        case .minSE: return "Min-SE"
        case .rseq: return "RSeq"
        case .rack: return "RAck"
        case .diversion: return "Diversion"
        case .remotePartyID: return "Remote-Party-ID"
        case .requestedBy: return "Requested-By"
        case .also: return "Also"
        case .authenticationInfo: return "Authentication-Info"
        case .path: return "Path"
        case .serviceRoute: return "Service-Route"
        case .privacy: return "Privacy"
        case .pAssertedIdentity: return "P-Asserted-Identity"
        }
    }

    /// The compact form (RFC 3261 §7.3.3), if the header has one.
    public var compactForm: Character? {
        switch self {
        case .via: return "v"
        case .from: return "f"
        case .to: return "t"
        case .callID: return "i"
        case .contact: return "m"
        case .contentLength: return "l"
        case .contentType: return "c"
        case .contentEncoding: return "e"
        case .supported: return "k"
        case .event: return "o"
        case .allowEvents: return "u"
        case .subject: return "s"
        case .referTo: return "r"
        case .referredBy: return "b"
        case .sessionExpires: return "x"
        case .identity: return "y"
        case .identityInfo: return "n"
        case .acceptContact: return "a"
        case .rejectContact: return "j"
        case .requestDisposition: return "d"
        default: return nil
        }
    }

    /// The known header with this name (full or compact), compared without regard to case.
    public init(_ name: String) {
        var bytes = Array(name.utf8)
        self = bytes.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return .extension }
            return SIPHeaderName.lookup(UnsafePointer(base), TextRange(0, b.count))
        }
    }

    static func lookup(_ p: UnsafePointer<UInt8>, _ r: TextRange) -> SIPHeaderName {
        let n = r.count
        if n == 1 {
            switch lower(p[r.lower]) {
            case 118: return .via  // v
            case 102: return .from  // f
            case 116: return .to  // t
            case 105: return .callID  // i
            case 109: return .contact  // m
            case 108: return .contentLength  // l
            case 99: return .contentType  // c
            case 101: return .contentEncoding  // e
            case 107: return .supported  // k
            case 111: return .event  // o
            case 117: return .allowEvents  // u
            case 115: return .subject  // s
            case 114: return .referTo  // r
            case 98: return .referredBy  // b
            case 120: return .sessionExpires  // x
            case 121: return .identity  // y
            case 110: return .identityInfo  // n
            case 97: return .acceptContact  // a
            case 106: return .rejectContact  // j
            case 100: return .requestDisposition  // d
            default: return .extension
            }
        }
        // Dispatch on length and first letter, then one comparison.
        switch (n, lower(p[r.lower])) {
        case (2, 116):  // t
            if equalsFolded(p, r, "to") { return .to }
        case (3, 118):  // v
            if equalsFolded(p, r, "via") { return .via }
        case (4, 97):  // a
            if equalsFolded(p, r, "also") { return .also }
        case (4, 99):  // c
            if equalsFolded(p, r, "cseq") { return .cseq }
        case (4, 100):  // d
            if equalsFolded(p, r, "date") { return .date }
        case (4, 102):  // f
            if equalsFolded(p, r, "from") { return .from }
        case (4, 112):  // p
            if equalsFolded(p, r, "path") { return .path }
        case (4, 114):  // r
            if equalsFolded(p, r, "rseq") { return .rseq }
            if equalsFolded(p, r, "rack") { return .rack }
        case (5, 97):  // a
            if equalsFolded(p, r, "allow") { return .allow }
        case (5, 101):  // e
            if equalsFolded(p, r, "event") { return .event }
        case (5, 114):  // r
            if equalsFolded(p, r, "route") { return .route }
        case (6, 97):  // a
            if equalsFolded(p, r, "accept") { return .accept }
        case (6, 109):  // m
            if equalsFolded(p, r, "min-se") { return .minSE }
        case (6, 115):  // s
            if equalsFolded(p, r, "server") { return .server }
        case (7, 99):  // c
            if equalsFolded(p, r, "call-id") { return .callID }
            if equalsFolded(p, r, "contact") { return .contact }
        case (7, 101):  // e
            if equalsFolded(p, r, "expires") { return .expires }
        case (7, 112):  // p
            if equalsFolded(p, r, "privacy") { return .privacy }
        case (7, 114):  // r
            if equalsFolded(p, r, "require") { return .require }
        case (7, 115):  // s
            if equalsFolded(p, r, "subject") { return .subject }
        case (7, 119):  // w
            if equalsFolded(p, r, "warning") { return .warning }
        case (8, 105):  // i
            if equalsFolded(p, r, "identity") { return .identity }
        case (8, 112):  // p
            if equalsFolded(p, r, "priority") { return .priority }
        case (8, 114):  // r
            if equalsFolded(p, r, "reply-to") { return .replyTo }
            if equalsFolded(p, r, "refer-to") { return .referTo }
            if equalsFolded(p, r, "replaces") { return .replaces }
        case (9, 99):  // c
            if equalsFolded(p, r, "call-info") { return .callInfo }
        case (9, 100):  // d
            if equalsFolded(p, r, "diversion") { return .diversion }
        case (9, 115):  // s
            if equalsFolded(p, r, "supported") { return .supported }
        case (9, 116):  // t
            if equalsFolded(p, r, "timestamp") { return .timestamp }
        case (10, 97):  // a
            if equalsFolded(p, r, "alert-info") { return .alertInfo }
        case (10, 101):  // e
            if equalsFolded(p, r, "error-info") { return .errorInfo }
        case (10, 117):  // u
            if equalsFolded(p, r, "user-agent") { return .userAgent }
        case (11, 105):  // i
            if equalsFolded(p, r, "in-reply-to") { return .inReplyTo }
        case (11, 109):  // m
            if equalsFolded(p, r, "min-expires") { return .minExpires }
        case (11, 114):  // r
            if equalsFolded(p, r, "retry-after") { return .retryAfter }
            if equalsFolded(p, r, "referred-by") { return .referredBy }
        case (11, 117):  // u
            if equalsFolded(p, r, "unsupported") { return .unsupported }
        case (12, 97):  // a
            if equalsFolded(p, r, "allow-events") { return .allowEvents }
        case (12, 99):  // c
            if equalsFolded(p, r, "content-type") { return .contentType }
        case (12, 109):  // m
            if equalsFolded(p, r, "max-forwards") { return .maxForwards }
            if equalsFolded(p, r, "mime-version") { return .mimeVersion }
        case (12, 111):  // o
            if equalsFolded(p, r, "organization") { return .organization }
        case (12, 114):  // r
            if equalsFolded(p, r, "record-route") { return .recordRoute }
            if equalsFolded(p, r, "requested-by") { return .requestedBy }
        case (13, 97):  // a
            if equalsFolded(p, r, "authorization") { return .authorization }
        case (13, 105):  // i
            if equalsFolded(p, r, "identity-info") { return .identityInfo }
        case (13, 112):  // p
            if equalsFolded(p, r, "proxy-require") { return .proxyRequire }
        case (13, 115):  // s
            if equalsFolded(p, r, "service-route") { return .serviceRoute }
        case (14, 97):  // a
            if equalsFolded(p, r, "accept-contact") { return .acceptContact }
        case (14, 99):  // c
            if equalsFolded(p, r, "content-length") { return .contentLength }
        case (14, 114):  // r
            if equalsFolded(p, r, "reject-contact") { return .rejectContact }
        case (15, 97):  // a
            if equalsFolded(p, r, "accept-encoding") { return .acceptEncoding }
            if equalsFolded(p, r, "accept-language") { return .acceptLanguage }
        case (15, 114):  // r
            if equalsFolded(p, r, "remote-party-id") { return .remotePartyID }
        case (15, 115):  // s
            if equalsFolded(p, r, "session-expires") { return .sessionExpires }
        case (16, 99):  // c
            if equalsFolded(p, r, "content-encoding") { return .contentEncoding }
            if equalsFolded(p, r, "content-language") { return .contentLanguage }
        case (16, 119):  // w
            if equalsFolded(p, r, "www-authenticate") { return .wwwAuthenticate }
        case (18, 112):  // p
            if equalsFolded(p, r, "proxy-authenticate") { return .proxyAuthenticate }
        case (18, 115):  // s
            if equalsFolded(p, r, "subscription-state") { return .subscriptionState }
        case (19, 97):  // a
            if equalsFolded(p, r, "authentication-info") { return .authenticationInfo }
        case (19, 99):  // c
            if equalsFolded(p, r, "content-disposition") { return .contentDisposition }
        case (19, 112):  // p
            if equalsFolded(p, r, "proxy-authorization") { return .proxyAuthorization }
            if equalsFolded(p, r, "p-asserted-identity") { return .pAssertedIdentity }
        case (19, 114):  // r
            if equalsFolded(p, r, "request-disposition") { return .requestDisposition }
        default: break
        }
        return .extension
    }
}
