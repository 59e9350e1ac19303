import Logging
import Media
import RTP
import SDP

#if canImport(Glibc)
import Glibc
#endif

/// One call's media on the media thread: `RTPSession` (sans I/O: sender, receiver, RTCP,
/// RFC 4733) fed with G.711 or G.729 frames every 20 ms while the negotiation says the phone
/// sends, what arrives put into speexdsp's jitter buffer and decoded at the playout clock.
///
/// Every member is guarded by the media core's lock (`MediaCore.lock`): the media thread holds
/// it for a frame or a batch of datagrams, the phone's loop for `apply`, a digit, statistics
/// and `close` (its facade is `RTPStream`).
final class MediaChannel {
    let socket: RTPSocketPair
    let local: LocalMediaAddress
    private var negotiated: NegotiatedMedia?
    private var remote: RTPEndpoint?
    private var rtcpRemote: RTPEndpoint?
    private var session: RTPSession?
    private var keyedDigits: [Character] = []
    private var inbandTone: ToneGenerator?
    private let dtmfLevel: Int
    /// What arrived, in timestamp order at the playout clock (speexdsp's adaptive buffer).
    private let jitter: JitterBuffer?
    /// The last frame played, repeated at falling gain to conceal a missing one.
    private var lastPlayed: [Int16] = []
    private var concealedRun = 0
    /// Digits that arrive as tones (`dtmf_inband` both ways), reported like telephone-events;
    /// only while no telephone-event is negotiated: then the far end sends its digits as events
    /// and suppresses its in-band ones, as the phone does (GUIDE.md §9.6, `dtmf_outofband: avt`),
    /// and listening for tones too would report a digit twice (and cost every frame).
    private var detector = DTMFDetector()
    private var detectsTones = true
    private var frame = [Int16](repeating: 0, count: AudioFormat.frameSamples)
    private var encoded: [UInt8] = []
    /// The frame the jitter buffer hands out, still encoded (reused).
    private var payload: [UInt8] = []
    private var decoded: [Int16] = []
    private(set) var closed = false
    /// From the negotiation, kept as flags: read on every frame.
    private var sends = false
    private var receives = false
    /// The negotiated codec's encoder and decoder (G.729's channels live as long as the call).
    private var codec: (any AudioCodec)?
    private let log = Logger.category(.rtp)

    init(socket: RTPSocketPair, local: LocalMediaAddress, dtmfLevel: Int) {
        self.socket = socket
        self.local = local
        self.dtmfLevel = dtmfLevel
        encoded.reserveCapacity(AudioFormat.frameSamples)
        decoded.reserveCapacity(AudioFormat.frameSamples)
        lastPlayed.reserveCapacity(AudioFormat.frameSamples)
        jitter = JitterBuffer(span: Int32(AudioFormat.frameSamples))
    }

    var isActive: Bool { session != nil && !closed }

    /// Starts or changes the stream; true the first time (the engine's clock starts).
    func apply(_ media: NegotiatedMedia, now: Duration) -> Bool {
        guard !closed else { return false }
        let first = session == nil
        if codec == nil || negotiated?.codec != media.codec { codec = AudioCodecs.make(encoding: media.codec.encoding) }
        negotiated = media
        sends = media.direction.sends && media.remoteAddress != "0.0.0.0"
        receives = media.direction.receives
        detectsTones = media.dtmfPayloadType == nil
        remote = RTPEndpoint(ipv4: media.remoteAddress, port: media.remotePort)
        rtcpRemote = remote.map { RTPEndpoint(address: $0.address, port: $0.port &+ 1) }
        if var s = session {
            s.audioPayloadType = media.payloadType
            s.sender.payloadType = media.payloadType
            s.dtmfPayloadType = media.dtmfPayloadType
            s.receiver.expectedSource = remote
            session = s
        } else {
            session = RTPSession(payloadType: media.payloadType, dtmfPayloadType: media.dtmfPayloadType, expectedSource: remote,
                                 cname: "deskphone@\(local.address)", start: now)
        }
        let held = media.remoteHold ? " (held by the far end)" : ""
        log.debug("RTP \(local.port) -> \(media.remoteAddress):\(media.remotePort) \(media.codec) pt \(media.payloadType) \(media.direction.rawValue)\(held)")
        return first
    }

    /// Digits keyed in a burst (`test key 159#`) go one after the other, each for the minimum
    /// event length, never on top of each other.
    func sendDigit(_ digit: Character) {
        keyedDigits.append(digit)
    }

    private func startNextDigit(_ s: inout RTPSession) {
        guard !s.sendingEvent, inbandTone == nil, !keyedDigits.isEmpty else { return }
        let digit = keyedDigits.removeFirst()
        if s.keyDown(digit) {
            s.keyUp()   // a keyed digit: held for the minimum (100 ms)
            log.debug("RTP: DTMF \(digit) as telephone-event pt \(s.dtmfPayloadType ?? 0)")
        } else if let tone = Tone.dtmf(digit, dbLevel: dtmfLevel) {
            inbandTone = ToneGenerator(tone)   // no telephone-event negotiated: in-band (GUIDE.md §9.6)
            log.debug("RTP: DTMF \(digit) in-band")
        }
    }

    /// Stops the stream with an RTCP BYE; the media thread closes the sockets.
    func close(now: Duration) {
        guard !closed else { return }
        closed = true
        if var s = session, let to = rtcpRemote {
            socket.sendRTCP(s.bye(now: now, ntp: Self.ntpNow()), to: to)
            session = s
        }
    }

    func statistics(now: Duration) -> CallStreamStatistics {
        var out = CallStreamStatistics()
        guard let s = session else { return out }
        out.codec = negotiated.map { "\($0.codec)" } ?? ""
        out.remote = negotiated.map { "\($0.remoteAddress):\($0.remotePort)" } ?? ""
        out.packetsSent = Int(s.sender.statistics.packets)
        out.octetsSent = Int(s.sender.statistics.octets)
        let r = s.receiver.statistics
        out.packetsReceived = Int(r.packets)
        out.octetsReceived = Int(r.octets)
        out.lost = max(0, Int(r.lost))
        out.duplicates = Int(r.duplicates)
        out.outOfOrder = Int(r.outOfOrder)
        out.discarded = s.receiver.drops.total
        out.local = "\(local.address):\(local.port)"
        out.drops = RTPDropReason.allCases.filter { s.receiver.drops[$0] > 0 }
            .map { "\($0.rawValue) \(s.receiver.drops[$0])" }.joined(separator: ", ")
        out.jitter = Int(r.jitter)
        out.roundTripMilliseconds = s.rtcp.roundTrip.map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) }
        out.rxStatText = s.rxStat(now: now, late: jitter?.late)
        out.late = jitter?.late ?? 0
        out.concealed = jitter?.concealed ?? 0
        out.jitterBufferMilliseconds = jitter?.delayMilliseconds ?? 0
        out.txStatText = s.txStat(now: now)
        return out
    }

    // MARK: the media thread's clock

    /// One 20 ms frame of microphone audio, encoded and sent (or a telephone-event in its place).
    func produce(_ capture: [Int16], now: Duration) {
        guard !closed, var s = session, let remote else { return }
        session = nil   // `s` the only owner while it changes: no copy of its buffers per frame
        defer { session = s }
        if let report = s.rtcpIfDue(now: now, ntp: Self.ntpNow()), let to = rtcpRemote { socket.sendRTCP(report, to: to) }
        var payload: [UInt8]?
        if sends {
            startNextDigit(&s)
            encoded.removeAll(keepingCapacity: true)
            if var tone = inbandTone {
                for i in 0..<min(frame.count, capture.count) { frame[i] = capture[i] }
                tone.fill(&frame)   // the digit replaces the microphone while it sounds
                inbandTone = tone.finished ? nil : tone
                codec?.encode(frame, into: &encoded)
            } else {
                codec?.encode(capture, into: &encoded)
            }
            if codec != nil { payload = encoded }
        }
        s.frame(payload, now: now) { socket.sendRTP($0, to: remote) }
    }

    /// The frame heard from the far end at this 20 ms tick: the jitter buffer's, decoded; a
    /// missing one concealed for three frames at most (60 ms), then silence — G.729 by its
    /// decoder's frame erasure, G.711 (which has none) by the last frame at half the gain
    /// each time. `heard` is told about a digit that arrived as tones.
    func playout(digit heard: (Character) -> Void) -> [Int16]? {
        guard receives, let jitter, let codec else { return nil }
        if jitter.next(into: &payload) {
            decoded.removeAll(keepingCapacity: true)
            payload.withUnsafeBytes { codec.decode($0, into: &decoded) }
            lastPlayed.removeAll(keepingCapacity: true)
            lastPlayed.append(contentsOf: decoded)
            concealedRun = 0
            if detectsTones, let key = detector.process(decoded) {
                log.debug("RTP: received DTMF \(key) (in-band)")
                heard(key)
            }
            return decoded
        } else {
            guard !lastPlayed.isEmpty, concealedRun < 3 else { return nil }
            concealedRun += 1
            if codec is G711Codec {
                for i in lastPlayed.indices { lastPlayed[i] /= 2 }
                return lastPlayed
            }
            decoded.removeAll(keepingCapacity: true)
            codec.conceal(into: &decoded)
            return decoded
        }
    }

    // MARK: the wire

    /// Every datagram waiting on the socket of `kind`, read into `buffer` (the thread's one
    /// receive buffer) and handed to the session with the kernel's arrival time (`now` on the
    /// media clock, `realNow` the same instant on CLOCK_REALTIME). `heard` is told about
    /// telephone-events.
    func drain(_ kind: RTPSocketPair.Kind, batch: RTPReceiveBatch, now: Duration, realNow: timespec,
               digit heard: (Character) -> Void) {
        // One recvmmsg per socket and frame; a full batch is read again.
        while !closed, socket.receive(kind, into: batch) > 0 {
            for i in 0..<batch.count {
                guard !closed, let source = batch.source(i) else { continue }
                var arrival = now
                if let stamp = batch.arrival(i) {
                    let ago = Duration.seconds(realNow.tv_sec - stamp.tv_sec) + .nanoseconds(realNow.tv_nsec - stamp.tv_nsec)
                    if ago > .zero, ago < now { arrival = now - ago }
                }
                received(kind, batch.bytes(i), from: source, now: arrival, digit: heard)
            }
            if batch.count < batch.capacity { break }
        }
    }

    func received(_ kind: RTPSocketPair.Kind, _ datagram: UnsafeRawBufferPointer, from source: RTPEndpoint, now: Duration,
                  digit heard: (Character) -> Void) {
        guard !closed, var s = session else { return }
        session = nil   // `s` the only owner while it changes: no copy of its buffers per packet
        defer { session = s }
        if kind == .rtcp {
            _ = try? s.receiveRTCP(Array(datagram), now: now, ntp: Self.ntpNow())
            return
        }
        s.receive(datagram, from: source, arrival: now) { incoming in
            switch incoming {
            case .audio(let header):
                jitter?.put(UnsafeRawBufferPointer(rebasing: datagram[header.payloadRange]), timestamp: header.timestamp,
                            sequence: header.sequenceNumber)
            case .digit(.began(let code, _)):
                if let key = TelephoneEvent.key(for: code) {
                    log.debug("RTP: received DTMF \(key) (telephone-event)")
                    heard(key)
                }
            case .digit, .otherPayloadType, .duplicate:
                break
            case .dropped(let reason):
                log.debug("RTP: dropped a packet from \(source): \(reason.rawValue)")
            }
        }
    }

    static func ntpNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return NTPTime.from(unixSeconds: UInt64(ts.tv_sec), nanoseconds: UInt32(ts.tv_nsec))
    }
}
