import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Media
import NIOCore
import RTP
import Scheduling
import SDP

/// The phone's audio: one audio device (`--audio`: a sound card, a WAV-file pair or null), the
/// call-state tones into the handset, and the calls' RTP streams (G.711 or G.729, through the
/// jitter buffer), all paced by one 20 ms clock on the phone's loop
/// whose n-th deadline is start + n·20 ms (`FramePacer`), never a re-armed timer's drift. The
/// clock runs only while a tone plays or a stream is active, so an idle phone does not wake.
@PhoneLoop
public final class MediaEngine: PhoneAudio {
    private var device: (any AudioDevice)?
    /// A sound card is opened while the clock runs (a call, a tone) and released when idle; a
    /// card missing or busy is reported and tried again the next time (`option` names it).
    private let option: AudioOption?
    /// Why the sound card could not be opened the last time (`show status`).
    public private(set) var deviceProblem: String?
    private let host: String
    private var ports: MediaPortRange?
    private var dtmfLevel = 3
    private var tone: ToneGenerator?
    private var streams: [RTPStream] = []
    private var pacer: FramePacer<ContinuousClock.Instant>?
    private var scheduled: Scheduled<Void>?
    private var capture = [Int16](repeating: 0, count: AudioFormat.frameSamples)
    private var playback = [Int16](repeating: 0, count: AudioFormat.frameSamples)
    private var toneFrame = [Int16](repeating: 0, count: AudioFormat.frameSamples)
    private let origin = ContinuousClock.now
    private let log = Logger.category(.rtp)
    /// Told about each digit received as a telephone-event (call events, `debug rtp`).
    public var onDigit: ((Character) -> Void)?
    public var muted = false
    public var path: AudioPath = .handset {
        didSet {
            guard path != oldValue, option != nil, device != nil else { return }
            // The call moves to the other device (and the echo canceller with the speaker).
            releaseDeviceIfOpenedWhenNeeded()
            openDeviceIfNeeded()
        }
    }
    public var gain = 0 {
        didSet { gainFactor = pow(10, Double(gain) / 20) }
    }
    private var gainFactor = 1.0
    /// speexdsp's echo canceller on a sound card's microphone (`--echo-canceller`), fed with
    /// what the card played the frame before.
    private let cancelsEcho: Bool
    private var canceller: EchoCanceller?

    /// `host`: the address RTP binds (the SIP address; 0.0.0.0 for all). `device` is open for
    /// the phone's life (a WAV pair, null).
    public init(device: any AudioDevice, host: String) {
        self.device = device
        self.option = nil
        self.host = host
        self.cancelsEcho = false
    }

    /// A device opened only while needed: a sound card (`--audio alsa:DEVICE`), its echo
    /// cancelled when `echoCancellation` is on.
    public init(openingWhenNeeded option: AudioOption, host: String, echoCancellation: Bool) {
        self.device = nil
        self.option = option
        self.host = host
        self.cancelsEcho = echoCancellation
    }

    private func openDeviceIfNeeded() {
        guard device == nil, let base = option else { return }
        let option = path == .speaker ? base.speaker : base
        do {
            device = try option.open()
            if cancelsEcho, path == .speaker { canceller = EchoCanceller() }
            if deviceProblem != nil { log.info("audio: \(option) is back") }
            deviceProblem = nil
        } catch {
            deviceProblem = "\(error)"
            log.error("audio: \(error); the call goes on without sound, the device is tried again at the next call")
        }
    }

    private func releaseDeviceIfOpenedWhenNeeded() {
        guard option != nil, let device else { return }
        xruns += (device as? ALSADevice)?.xruns ?? 0
        device.close()
        self.device = nil
        canceller = nil
    }

    /// `start_media_port`…`end_media_port` and `dtmf_db_level` after a boot.
    public func configure(ports range: ClosedRange<Int>, dtmfLevel: Int) {
        if let r = MediaPortRange(start: range.lowerBound, end: range.upperBound), r.first != ports?.first || r.last != ports?.last {
            ports = r
        }
        self.dtmfLevel = dtmfLevel
    }

    var now: Duration { ContinuousClock.now - origin }

    public var status: String {
        let name = option.map { "\($0)" } ?? (device.map { "\(type(of: $0))" } ?? "none")
        if let deviceProblem { return "\(name): \(deviceProblem) (tried again at the next call)" }
        let total = xruns + ((device as? ALSADevice)?.xruns ?? 0)
        let open = device == nil ? "closed until needed" : "open"
        return "\(name), \(open)" + (muted ? ", muted" : "") + (total > 0 ? ", \(total) xruns recovered" : "")
    }

    /// xruns of the sound card's earlier openings.
    private var xruns = 0

    // MARK: PhoneAudio

    public func play(_ callTone: CallMachine.CallTone?) {
        tone = callTone.map { ToneGenerator(Self.tone($0)) }
        log.debug("handset tone: \(callTone.map { "\($0)" } ?? "off")")
        runClockIfNeeded()
    }

    public func ring(_ on: Bool) {
        // The ringer is the phone's speaker, not the handset: nothing goes to the handset path.
        log.info("ringer \(on ? "on" : "off")")
    }

    public func openStream() async throws -> any CallStream {
        guard var range = ports else { throw MediaEngineError.noMediaPorts }
        let stream = try await bind(&range)
        ports = range
        return stream
    }

    private func bind(_ range: inout MediaPortRange) async throws -> RTPStream {
        final class Box: @unchecked Sendable { weak var stream: RTPStream? }
        let box = Box()
        let socket = try await RTPSocketPair.bind(on: PhoneLoop.loop, host: host, range: &range) { kind, datagram, from in
            PhoneLoop.assumeIsolated { box.stream?.received(kind, datagram, from: from) }
        }
        let address = host == "0.0.0.0" ? "127.0.0.1" : host
        let stream = RTPStream(socket: socket, local: LocalMediaAddress(address: address, port: UInt16(socket.rtpPort)),
                               engine: self, dtmfLevel: dtmfLevel)
        box.stream = stream
        return stream
    }

    func streamStarted(_ stream: RTPStream) {
        if !streams.contains(where: { $0 === stream }) { streams.append(stream) }
        runClockIfNeeded()
    }

    func streamClosed(_ stream: RTPStream) {
        streams.removeAll { $0 === stream }
    }

    func digitReceived(_ key: Character) { onDigit?(key) }

    /// The tone plan of the call states (GUIDE.md §5.5; Media's `Tone`).
    static func tone(_ t: CallMachine.CallTone) -> Tone {
        switch t {
        case .dial: .dial
        case .secondaryDial(let name): Tone.named(name) ?? .secondaryDial
        case .ringback: .ringback
        case .busy: .busy
        case .reorder: .reorder
        }
    }

    // MARK: the 20 ms clock

    private var needsClock: Bool { tone != nil || streams.contains { $0.isActive } }

    private func runClockIfNeeded() {
        guard needsClock, scheduled == nil else { return }
        openDeviceIfNeeded()
        let start = ContinuousClock.now
        pacer = FramePacer(start: start)
        schedule()
    }

    private func schedule() {
        guard let pacer else { return }
        let wait = ContinuousClock.now.duration(to: pacer.nextDeadline)
        scheduled = PhoneLoop.loop.assumeIsolated().scheduleTask(in: .nanoseconds(wait.nanoseconds)) { [weak self] in
            self?.tick()
        }
    }

    private func tick() {
        scheduled = nil
        guard var p = pacer else { return }
        let due = p.due(at: ContinuousClock.now)
        pacer = p
        for _ in due { frame() }
        if needsClock {
            schedule()
        } else {
            pacer = nil
            releaseDeviceIfOpenedWhenNeeded()
        }
    }

    /// One frame: the microphone to every sending stream; the far end (and the tone) to the handset.
    private func frame() {
        let now = self.now
        do {
            if let device { try device.read(into: &capture) } else { for i in capture.indices { capture[i] = 0 } }
        } catch {
            log.error("audio capture: \(error)")
            for i in capture.indices { capture[i] = 0 }
        }
        if let canceller { capture = canceller.process(captured: capture, played: playback) }
        if muted { for i in capture.indices { capture[i] = 0 } }
        for stream in streams where stream.isActive { stream.produce(capture, now: now) }
        for i in playback.indices { playback[i] = 0 }
        for stream in streams {
            if let heard = stream.playout() { mix(heard, into: &playback) }
        }
        if gain != 0 {
            for i in playback.indices { playback[i] = Int16(clamping: Int(Double(playback[i]) * gainFactor)) }
        }
        if var t = tone {
            t.fill(&toneFrame)
            mix(toneFrame, into: &playback)
            tone = t.finished ? nil : t
        }
        do {
            try device?.write(playback)
        } catch {
            log.error("audio playback: \(error)")
        }
    }

    private func mix(_ source: [Int16], into target: inout [Int16]) {
        for i in 0..<min(source.count, target.count) {
            target[i] = Int16(clamping: Int(target[i]) + Int(source[i]))
        }
    }

    /// Flushes and closes the device (shutdown).
    public func close() {
        scheduled?.cancel()
        scheduled = nil
        device?.close()
        device = nil
    }
}

public enum MediaEngineError: Error, CustomStringConvertible {
    case noMediaPorts
    public var description: String { "no media port range configured (start_media_port, end_media_port)" }
}
