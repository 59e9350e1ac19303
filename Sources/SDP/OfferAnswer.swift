// RFC 3264 offer/answer for the phone's single audio stream.
//
// One `OfferAnswer` value per call holds the phone's side of the SDP session (o= id and
// version, the last body sent) so re-offers for hold and resume and answers to re-INVITEs get
// the version numbering of RFC 3264 §8 right.

/// What the phone offers and accepts (GUIDE §2.2.4).
public struct MediaConfiguration: Sendable, Hashable {
    /// In order of preference: `Codec.preferenceOrder(preferred: preferred_codec)`.
    public var codecs: [Codec]
    /// The telephone-event payload type (`dtmf_avt_payload`, 96–127, 101 by default); nil when
    /// `dtmf_outofband` is `none` and the phone neither offers nor accepts RFC 4733 events.
    public var telephoneEventPayloadType: UInt8?
    /// The events offered and accepted: DTMF 0–9 * # A–D (RFC 4733 §3.2).
    public var telephoneEvents: String
    /// Packetisation in milliseconds (GUIDE §9.6: 20).
    public var ptime: Int
    public var originUsername: String
    public var sessionName: String

    public init(codecs: [Codec] = [.pcmu, .pcma], telephoneEventPayloadType: UInt8? = 101,
                telephoneEvents: String = "0-15", ptime: Int = 20,
                originUsername: String = "CiscoSystemsSIP-IPPhone-UserAgent", sessionName: String = "SIP Call") {
        self.codecs = codecs
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.telephoneEvents = telephoneEvents
        self.ptime = ptime
        self.originUsername = originUsername
        self.sessionName = sessionName
    }
}

/// Where the phone receives RTP: its address in SDP and the RTP port of its socket pair.
public struct LocalMediaAddress: Sendable, Hashable {
    public var address: String
    public var port: UInt16
    public var addressType: String
    public init(address: String, port: UInt16, addressType: String = "IP4") {
        self.address = address
        self.port = port
        self.addressType = addressType
    }
}

/// The outcome of a negotiation: everything the RTP session needs.
public struct NegotiatedMedia: Sendable, Hashable {
    /// Where to send RTP (RTCP goes to port + 1). `0.0.0.0` when the far end holds RFC 2543 style.
    public var remoteAddress: String
    public var remotePort: UInt16
    public var codec: Codec
    /// The payload type to send the codec with (the far end's number for a dynamic type).
    public var payloadType: UInt8
    /// The telephone-event payload type both ends agreed on; nil: no RFC 4733 (in-band DTMF).
    public var dtmfPayloadType: UInt8?
    /// The phone's own direction: `sends` = send RTP, `receives` = play what arrives.
    public var direction: MediaDirection
    /// Milliseconds of audio per packet to send.
    public var ptime: Int
    /// The far end put the call on hold (sendonly, inactive or c=0.0.0.0).
    public var remoteHold: Bool

    public init(remoteAddress: String, remotePort: UInt16, codec: Codec, payloadType: UInt8,
                dtmfPayloadType: UInt8?, direction: MediaDirection, ptime: Int, remoteHold: Bool) {
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.codec = codec
        self.payloadType = payloadType
        self.dtmfPayloadType = dtmfPayloadType
        self.direction = direction
        self.ptime = ptime
        self.remoteHold = remoteHold
    }
}

/// A negotiation failure, with the SIP response it calls for.
public enum OfferAnswerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offer has no audio stream the phone can use (none, all rejected, or SRTP only).
    case noAudioStream
    /// An audio stream, but no codec in common.
    case noCommonCodec(offered: [String])
    /// The answer rejected our audio stream (port 0) or has no codec we offered.
    case answerRejected(String)
    /// No c= for the stream that was chosen.
    case noConnection
    /// An answer arrived with no offer outstanding.
    case noOfferOutstanding

    /// 488 for an offer the phone cannot accept (RFC 3261 §21.4.26); an unusable answer is an
    /// error of the far end's, the call layer ends the call (RFC 3264 §7 gives no response code).
    public var statusCode: Int {
        switch self {
        case .noConnection: 400
        default: 488
        }
    }

    public var reasonPhrase: String { statusCode == 400 ? "Bad Request" : "Not Acceptable Here" }

    /// The warn-code of RFC 3261 §20.43: 304 "Media type not available" when there is no audio
    /// stream at all, 305 "Incompatible media format" when there is one but no format in
    /// common (the closer of the two codes for "no common codec").
    public var warningCode: Int {
        switch self {
        case .noCommonCodec: 305
        default: 304
        }
    }

    public var warningText: String { warningCode == 305 ? "Incompatible media format" : "Media type not available" }

    /// A Warning header value: `305 deskphone.example "Incompatible media format"`.
    public func warningValue(agent: String) -> String { "\(warningCode) \(agent) \"\(warningText)\"" }

    public var description: String {
        switch self {
        case .noAudioStream: "no usable audio stream"
        case .noCommonCodec(let offered): "no common codec (offered: \(offered.joined(separator: ", ")))"
        case .answerRejected(let why): "answer rejected the audio stream: \(why)"
        case .noConnection: "no connection address for the audio stream"
        case .noOfferOutstanding: "an answer without an offer"
        }
    }
}

/// The phone's side of one call's SDP session.
public struct OfferAnswer: Sendable {
    public var configuration: MediaConfiguration
    public var local: LocalMediaAddress
    public let sessionID: UInt64
    /// The o= version of the last description sent; incremented when a new one differs
    /// (RFC 3264 §8: "the version number MUST be incremented by one" for a changed
    /// description, and an unchanged one keeps it).
    public private(set) var sessionVersion: UInt64
    public private(set) var lastSent: SDPSession?
    /// The offer waiting for its answer.
    public private(set) var pendingOffer: SDPSession?
    /// The result of the last completed negotiation.
    public private(set) var negotiated: NegotiatedMedia?

    /// `sessionID` should be unique per call (e.g. random, or an NTP time; RFC 4566 §5.2).
    public init(configuration: MediaConfiguration, local: LocalMediaAddress, sessionID: UInt64) {
        self.configuration = configuration
        self.local = local
        self.sessionID = sessionID
        self.sessionVersion = sessionID
    }

    /// How to put the far end on hold in an offer.
    public enum Hold: Sendable, Hashable {
        /// a=sendonly (RFC 3264 §8.4): the phone may still send (music on hold), hears nothing.
        case sendonly
        /// a=inactive: neither end sends.
        case inactive
        /// c=0.0.0.0 with a=sendrecv omitted (RFC 2543, `rfc_2543_hold`).
        case zeroAddress
    }

    /// An offer: the initial INVITE's, or a re-INVITE's for hold (`hold:`) and resume (nil).
    public mutating func makeOffer(hold: Hold? = nil) -> SDPSession {
        var formats: [String] = []
        var maps: [RTPMap] = []
        var fmtps: [String: String] = [:]
        for (i, codec) in configuration.codecs.enumerated() {
            // A codec without a static number gets one from the dynamic range, clear of the
            // telephone-event number.
            let pt = codec.staticPayloadType ?? nextDynamic(after: i)
            formats.append(String(pt))
            maps.append(RTPMap(payloadType: pt, encoding: codec.encoding, clockRate: codec.clockRate))
            if let f = codec.fmtp { fmtps[String(pt)] = f }
        }
        if let te = configuration.telephoneEventPayloadType {
            formats.append(String(te))
            maps.append(RTPMap(payloadType: te, encoding: "telephone-event", clockRate: 8000))
            fmtps[String(te)] = configuration.telephoneEvents
        }
        let direction: MediaDirection = switch hold {
        case .sendonly: .sendonly
        case .inactive: .inactive
        case .zeroAddress, nil: .sendrecv
        }
        let connection = SDPConnection(address: hold == .zeroAddress ? (local.addressType == "IP6" ? "::" : "0.0.0.0") : local.address,
                                       addressType: local.addressType)
        let m = MediaDescription(port: local.port, formats: formats, direction: direction, rtpmaps: maps, fmtps: fmtps,
                                 ptime: configuration.ptime)
        let offer = stamp(SDPSession(origin: origin(), name: configuration.sessionName, connection: connection, media: [m]))
        pendingOffer = offer
        return offer
    }

    /// Processes the answer to our outstanding offer (RFC 3264 §7, §5).
    public mutating func accept(answer: SDPSession) throws(OfferAnswerError) -> NegotiatedMedia {
        guard let offer = pendingOffer, let ours = offer.media.first else { throw .noOfferOutstanding }
        pendingOffer = nil
        guard let m = answer.media.first else { throw .answerRejected("no m= line") }
        guard m.port != 0 else { throw .answerRejected("port 0") }
        guard m.media.lowercased() == "audio", m.isPlainRTP else { throw .answerRejected("m=\(m.media) \(m.proto)") }
        guard let c = answer.connection(for: m) else { throw .noConnection }
        // §7: the offerer sends with the first format of the answer that it offered; the
        // answerer's number for it is used (it SHOULD equal ours, but we are lenient).
        var chosen: (Codec, UInt8)?
        for pt in m.payloadTypes {
            guard let map = m.rtpmap(for: pt) else { continue }
            if let codec = configuration.codecs.first(where: { $0.matches(map) }),
               ours.payloadTypes.contains(where: { ours.rtpmap(for: $0).map(codec.matches) ?? false }) {
                chosen = (codec, pt)
                break
            }
        }
        guard let (codec, pt) = chosen else { throw .answerRejected("no offered codec in \(m.formats)") }
        let dtmf = configuration.telephoneEventPayloadType == nil ? nil : Self.telephoneEvent(in: m, clockRate: codec.clockRate)
        let remote = answer.direction(for: m)
        let mine = offer.direction(for: ours)
        let zero = c.isZeroAddress
        var result = NegotiatedMedia(remoteAddress: c.address, remotePort: m.port, codec: codec, payloadType: pt,
                                     dtmfPayloadType: dtmf, direction: mine.intersection(remote.reversed),
                                     ptime: Self.ptime(m, fallback: configuration.ptime),
                                     remoteHold: zero || (!remote.receives && mine.sends))
        if zero { result.direction = MediaDirection(sends: false, receives: result.direction.receives) }
        negotiated = result
        return result
    }

    /// Answers an offer (an initial INVITE's or a re-INVITE's). `hold` is the phone's own hold
    /// state, so an answer given while the phone holds the call keeps holding.
    ///
    /// Codec choice: the first codec *in the offerer's order* that the phone supports.
    /// RFC 3264 §5.1 makes the offer's order the offerer's preference, and §6.1 recommends that
    /// the answerer keep the offer's relative order "unless there is a specific reason"; the
    /// guide's `preferred_codec` only orders the phone's own offers (GUIDE §2.2.4). The answer
    /// lists that one codec (plus telephone-event), so both ends send the same codec.
    public mutating func answer(offer: SDPSession, hold: Hold? = nil) throws(OfferAnswerError) -> (SDPSession, NegotiatedMedia) {
        // §6: one m= line in the answer per m= line of the offer, in the same order; the first
        // usable audio stream is taken, every other one is rejected with port 0.
        var chosenIndex: Int?
        var sawAudio = false
        var offeredFormats: [String] = []
        var choice: (Codec, UInt8)?
        for (i, m) in offer.media.enumerated() where m.media.lowercased() == "audio" && m.port != 0 && m.isPlainRTP {
            sawAudio = true
            offeredFormats = m.payloadTypes.map { m.rtpmap(for: $0).map { "\($0.encoding)/\($0.clockRate)" } ?? String($0) }
            for pt in m.payloadTypes {
                guard let map = m.rtpmap(for: pt), let codec = configuration.codecs.first(where: { $0.matches(map) }) else { continue }
                choice = (codec, pt)
                break
            }
            if choice != nil { chosenIndex = i; break }
        }
        guard sawAudio else { throw .noAudioStream }
        guard let index = chosenIndex, let (codec, pt) = choice else { throw .noCommonCodec(offered: offeredFormats) }
        let offered = offer.media[index]
        guard let c = offer.connection(for: offered) else { throw .noConnection }

        let dtmf = configuration.telephoneEventPayloadType == nil ? nil : Self.telephoneEvent(in: offered, clockRate: codec.clockRate)
        // RFC 2543 hold: the offerer will not receive. Its own sending is unchanged.
        let offeredDirection = offer.direction(for: offered)
        let effective = c.isZeroAddress ? offeredDirection.intersection(.sendonly) : offeredDirection
        let wish: MediaDirection = switch hold {
        case .sendonly: .sendonly
        case .inactive: .inactive
        case .zeroAddress, nil: .sendrecv
        }
        let mine = wish.intersection(effective.reversed)

        var media: [MediaDescription] = []
        for (i, m) in offer.media.enumerated() {
            if i == index {
                var formats = [String(pt)]
                var maps = [RTPMap(payloadType: pt, encoding: codec.encoding, clockRate: codec.clockRate)]
                var fmtps: [String: String] = [:]
                // Our own parameters where we have them (G.729: annexb=no even when Annex B was
                // offered, RFC 4856 §2.1.9), else the offer's.
                if let f = codec.fmtp ?? offered.fmtp(for: pt) { fmtps[String(pt)] = f }
                if let te = dtmf {
                    formats.append(String(te))
                    maps.append(RTPMap(payloadType: te, encoding: "telephone-event", clockRate: codec.clockRate))
                    fmtps[String(te)] = configuration.telephoneEvents
                }
                media.append(MediaDescription(port: local.port, proto: m.proto, formats: formats, direction: mine,
                                              rtpmaps: maps, fmtps: fmtps, ptime: configuration.ptime))
            } else {
                // §6: a rejected stream keeps its media type and protocol, port 0, and at least
                // one format (the offer's own first one).
                media.append(MediaDescription(media: m.media, port: 0, proto: m.proto,
                                              formats: m.formats.isEmpty ? ["0"] : [m.formats[0]]))
            }
        }
        let address = hold == .zeroAddress ? (local.addressType == "IP6" ? "::" : "0.0.0.0") : local.address
        let answer = stamp(SDPSession(origin: origin(), name: configuration.sessionName,
                                      connection: SDPConnection(address: address, addressType: local.addressType), media: media))
        let result = NegotiatedMedia(remoteAddress: c.address, remotePort: offered.port, codec: codec, payloadType: pt,
                                     dtmfPayloadType: dtmf, direction: c.isZeroAddress ? mine.intersection(.recvonly) : mine,
                                     ptime: Self.ptime(offered, fallback: configuration.ptime),
                                     remoteHold: c.isZeroAddress || !offeredDirection.receives)
        pendingOffer = nil
        negotiated = result
        return (answer, result)
    }

    /// The telephone-event payload type at the codec's clock rate (linphone offers several
    /// rates; only the 8000 one goes with G.711).
    static func telephoneEvent(in m: MediaDescription, clockRate: Int) -> UInt8? {
        m.payloadTypes.first { pt in
            guard let map = m.rtpmap(for: pt) else { return false }
            return map.encoding.lowercased() == "telephone-event" && map.clockRate == clockRate
        }
    }

    /// The packetisation to send with: the far end's ptime when it is a whole number of 10 ms
    /// frames up to its maxptime (and at most 60 ms), else ours.
    static func ptime(_ m: MediaDescription, fallback: Int) -> Int {
        guard let p = m.ptime, p % 10 == 0, p >= 10, p <= min(60, m.maxptime ?? 60) else { return fallback }
        return p
    }

    func nextDynamic(after index: Int) -> UInt8 {
        var pt: UInt8 = 96 + UInt8(min(index, 30))
        while pt == configuration.telephoneEventPayloadType { pt += 1 }
        return pt
    }

    func origin() -> SDPOrigin {
        SDPOrigin(username: configuration.originUsername, sessionID: String(sessionID), sessionVersion: sessionVersion,
                  address: local.address, addressType: local.addressType)
    }

    /// Gives a new description the right o= version: the same as the last one sent when
    /// nothing else changed, else one more.
    mutating func stamp(_ sdp: SDPSession) -> SDPSession {
        var sdp = sdp
        if let last = lastSent {
            var previous = last
            previous.origin.sessionVersion = sdp.origin.sessionVersion
            if previous != sdp { sessionVersion &+= 1 }
        }
        sdp.origin.sessionVersion = sessionVersion
        lastSent = sdp
        return sdp
    }
}
