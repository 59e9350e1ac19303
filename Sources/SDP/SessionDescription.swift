// RFC 4566 session descriptions as plain values. Parsing lives in SDPParser.swift, text in
// SDPSerializer.swift, RFC 3264 offer/answer in OfferAnswer.swift. No I/O, no Foundation.

/// The direction attribute of a session or a media stream (RFC 3264 §5.1, §6.1).
public enum MediaDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// The same stream seen from the other end: what one side sends, the other receives.
    public var reversed: MediaDirection { MediaDirection(sends: receives, receives: sends) }

    /// Both constraints at once (what both ends allow).
    public func intersection(_ other: MediaDirection) -> MediaDirection {
        MediaDirection(sends: sends && other.sends, receives: receives && other.receives)
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 4566 §5.7).
public struct SDPConnection: Sendable, Hashable {
    public var networkType: String
    public var addressType: String
    /// The address without a multicast TTL or count suffix (`/127`).
    public var address: String

    public init(address: String, addressType: String = "IP4", networkType: String = "IN") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// RFC 2543 hold: the connection address is all zeros (RFC 3264 §8.4 still asks answerers
    /// to understand it).
    public var isZeroAddress: Bool { address == "0.0.0.0" || address == "::" }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (§5.2).
public struct SDPOrigin: Sendable, Hashable {
    public var username: String
    /// Kept as text: some agents send ids wider than 64 bits.
    public var sessionID: String
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: String, sessionVersion: UInt64,
                address: String, addressType: String = "IP4", networkType: String = "IN") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// An `a=` line: `a=<name>` or `a=<name>:<value>` (§5.13).
public struct SDPAttribute: Sendable, Hashable {
    public var name: String
    public var value: String?
    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (§6).
public struct RTPMap: Sendable, Hashable {
    public var payloadType: UInt8
    public var encoding: String
    public var clockRate: Int
    public var channels: Int?

    public init(payloadType: UInt8, encoding: String, clockRate: Int, channels: Int? = nil) {
        self.payloadType = payloadType
        self.encoding = encoding
        self.clockRate = clockRate
        self.channels = channels
    }

    /// The static audio payload types of RFC 3551 §6 Table 4 that a phone meets; an offer may
    /// list them without an rtpmap.
    public static func staticMapping(_ payloadType: UInt8) -> RTPMap? {
        switch payloadType {
        case 0: RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000)
        case 3: RTPMap(payloadType: 3, encoding: "GSM", clockRate: 8000)
        case 4: RTPMap(payloadType: 4, encoding: "G723", clockRate: 8000)
        case 8: RTPMap(payloadType: 8, encoding: "PCMA", clockRate: 8000)
        case 9: RTPMap(payloadType: 9, encoding: "G722", clockRate: 8000)
        case 13: RTPMap(payloadType: 13, encoding: "CN", clockRate: 8000)
        case 18: RTPMap(payloadType: 18, encoding: "G729", clockRate: 8000)
        default: nil
        }
    }
}

/// One `m=` section with the lines that follow it (§5.14).
public struct MediaDescription: Sendable, Hashable {
    public var media: String
    public var port: UInt16
    /// `m=audio 49170/2 ...`: the number of ports, when given.
    public var portCount: Int?
    public var proto: String
    /// The format tokens in order; payload type numbers for RTP profiles.
    public var formats: [String]
    public var connection: SDPConnection?
    public var direction: MediaDirection?
    public var rtpmaps: [RTPMap]
    /// `a=fmtp:<format> <parameters>`, by format token.
    public var fmtps: [String: String]
    public var ptime: Int?
    public var maxptime: Int?
    /// Every other `a=` line, in order (rtcp, ssrc, label, rtcp-fb ...).
    public var attributes: [SDPAttribute]
    /// `b=` lines, kept as text.
    public var bandwidths: [String]

    public init(media: String = "audio", port: UInt16, proto: String = "RTP/AVP", formats: [String],
                connection: SDPConnection? = nil, direction: MediaDirection? = nil, rtpmaps: [RTPMap] = [],
                fmtps: [String: String] = [:], ptime: Int? = nil, maxptime: Int? = nil,
                attributes: [SDPAttribute] = [], bandwidths: [String] = [], portCount: Int? = nil) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.direction = direction
        self.rtpmaps = rtpmaps
        self.fmtps = fmtps
        self.ptime = ptime
        self.maxptime = maxptime
        self.attributes = attributes
        self.bandwidths = bandwidths
    }

    /// The formats that are payload type numbers (0–127), in order.
    public var payloadTypes: [UInt8] {
        formats.compactMap { UInt8($0) }.filter { $0 < 128 }
    }

    /// The mapping of a payload type: its rtpmap line, else the static assignment.
    public func rtpmap(for payloadType: UInt8) -> RTPMap? {
        rtpmaps.first { $0.payloadType == payloadType } ?? RTPMap.staticMapping(payloadType)
    }

    public func fmtp(for payloadType: UInt8) -> String? { fmtps[String(payloadType)] }

    /// An RTP audio/video profile this phone can carry without encryption.
    public var isPlainRTP: Bool {
        let p = proto.uppercased()
        return p == "RTP/AVP" || p == "RTP/AVPF"
    }
}

/// A whole session description.
public struct SDPSession: Sendable, Hashable {
    public var origin: SDPOrigin
    public var name: String
    public var connection: SDPConnection?
    /// `t=` lines as (start, stop); `t=0 0` for a phone call.
    public var times: [(start: UInt64, stop: UInt64)]
    /// A session-level direction attribute; a media-level one overrides it (RFC 3264 §5.1).
    public var direction: MediaDirection?
    /// Session-level `a=` lines other than a direction.
    public var attributes: [SDPAttribute]
    public var bandwidths: [String]
    public var media: [MediaDescription]

    public init(origin: SDPOrigin, name: String = "-", connection: SDPConnection? = nil,
                times: [(start: UInt64, stop: UInt64)] = [(0, 0)], direction: MediaDirection? = nil,
                attributes: [SDPAttribute] = [], bandwidths: [String] = [], media: [MediaDescription] = []) {
        self.origin = origin
        self.name = name
        self.connection = connection
        self.times = times
        self.direction = direction
        self.attributes = attributes
        self.bandwidths = bandwidths
        self.media = media
    }

    /// The connection a media section uses: its own c=, else the session's (RFC 4566 §5.7).
    public func connection(for media: MediaDescription) -> SDPConnection? {
        media.connection ?? connection
    }

    /// The direction a media section has: its own attribute, else the session's, else
    /// sendrecv (RFC 3264 §5.1).
    public func direction(for media: MediaDescription) -> MediaDirection {
        media.direction ?? direction ?? .sendrecv
    }

    public static func == (a: SDPSession, b: SDPSession) -> Bool {
        a.origin == b.origin && a.name == b.name && a.connection == b.connection
            && a.times.map(\.start) == b.times.map(\.start) && a.times.map(\.stop) == b.times.map(\.stop)
            && a.direction == b.direction && a.attributes == b.attributes && a.bandwidths == b.bandwidths
            && a.media == b.media
    }

    public func hash(into h: inout Hasher) {
        h.combine(origin)
        h.combine(name)
        h.combine(media)
    }
}
