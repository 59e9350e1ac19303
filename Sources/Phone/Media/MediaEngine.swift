import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Media
import RTP
import Scheduling
import SDP

/// The phone's audio as the call layer sees it (`PhoneAudio`): one audio device (`--audio`: a
/// sound card, a WAV-file pair or null), the call-state tones into the handset, and the calls'
/// RTP streams (G.711 or G.729, through the jitter buffer). The work itself happens on the
/// media thread (`MediaThread`, started at the first tone or stream) over the state in
/// `MediaCore`; this facade changes that state under its lock from the phone's loop.
@PhoneLoop
public final class MediaEngine: PhoneAudio {
    private let core: MediaCore
    private var thread: MediaThread?
    private let host: String
    private var ports: MediaPortRange?
    private var dtmfLevel = 3
    private let log = Logger.category(.rtp)
    /// Told about each digit received as a telephone-event or as tones (call events, `debug rtp`).
    public var onDigit: ((Character) -> Void)?
    public var muted = false {
        didSet { core.lock.withLock { core.muted = muted } }
    }
    public var path: AudioPath = .handset {
        didSet {
            guard path != oldValue else { return }
            core.lock.withLock {
                core.path = path
                core.pathChanged()
            }
        }
    }
    public var gain = 0 {
        didSet {
            let factor = pow(10, Double(gain) / 20)
            core.lock.withLock { core.gainFactor = factor }
        }
    }
    public var ringerVolume = 0 {
        didSet {
            let factor = pow(10, Double(ringerVolume) / 20)
            core.lock.withLock { core.ringerFactor = factor }
        }
    }

    /// `host`: the address RTP binds (the SIP address; 0.0.0.0 for all). `device` is open for
    /// the phone's life (a WAV pair, null).
    public init(device: any AudioDevice, host: String) {
        core = MediaCore(device: device, option: nil, echoCancellation: false)
        self.host = host
        hearDigits()
    }

    /// A device opened only while needed: a sound card (`--audio alsa:DEVICE`), its echo
    /// cancelled when `echoCancellation` is on.
    public init(openingWhenNeeded option: AudioOption, host: String, echoCancellation: Bool) {
        core = MediaCore(device: nil, option: option, echoCancellation: echoCancellation)
        self.host = host
        hearDigits()
    }

    /// Digits the media thread hears come to the phone's loop.
    private func hearDigits() {
        core.digitHeard = { [weak self] key in
            PhoneLoop.loop.execute { PhoneLoop.assumeIsolated { self?.digitReceived(key) } }
        }
    }

    /// `start_media_port`…`end_media_port` and `dtmf_db_level` after a boot.
    public func configure(ports range: ClosedRange<Int>, dtmfLevel: Int) {
        if let r = MediaPortRange(start: range.lowerBound, end: range.upperBound), r.first != ports?.first || r.last != ports?.last {
            ports = r
        }
        self.dtmfLevel = dtmfLevel
    }

    var now: Duration { core.now }

    public var status: String { core.lock.withLock { core.status } }

    /// Why the sound card could not be opened the last time (`show status`).
    public var deviceProblem: String? { core.lock.withLock { core.deviceProblem } }

    // MARK: PhoneAudio

    public func play(_ callTone: CallMachine.CallTone?) {
        let generator = callTone.map { ToneGenerator(Self.tone($0)) }
        log.debug("handset tone: \(callTone.map { "\($0)" } ?? "off")")
        let started = core.lock.withLock {
            core.tone = generator
            return core.startClockIfNeeded()
        }
        if started { wakeThread() }
    }

    /// The ringer: the built-in ring on the speaker (see `MediaCore.ring`).
    public func ring(_ on: Bool) {
        let started = core.lock.withLock {
            core.ring(on)
            return core.startClockIfNeeded()
        }
        let heard = core.lock.withLock { core.ringer != nil }
        log.info("ringer \(on ? "on" : "off")\(on && !heard ? " (no speaker device: not played)" : "")")
        if started { wakeThread() }
    }

    public func openStream() async throws -> any CallStream {
        guard var range = ports else { throw MediaEngineError.noMediaPorts }
        let socket = try RTPSocketPair.bind(host: host, range: &range)
        ports = range
        let address = host == "0.0.0.0" ? "127.0.0.1" : host
        let channel = MediaChannel(socket: socket, local: LocalMediaAddress(address: address, port: UInt16(socket.rtpPort)),
                                   dtmfLevel: dtmfLevel)
        core.lock.withLock { core.add(channel) }
        wakeThread()
        return RTPStream(channel: channel, engine: self)
    }

    func apply(_ media: NegotiatedMedia, to channel: MediaChannel) {
        let started = core.lock.withLock {
            _ = channel.apply(media, now: core.now)
            return core.startClockIfNeeded()
        }
        if started { wakeThread() }
    }

    func withChannel<T>(_ body: (MediaCore) -> T) -> T {
        core.lock.withLock { body(core) }
    }

    func close(_ channel: MediaChannel) {
        core.lock.withLock {
            channel.close(now: core.now)
            core.remove(channel)
        }
        if thread == nil {
            channel.socket.close()   // the thread never ran: nothing polls it
        } else {
            thread?.wake()
        }
    }

    func digitReceived(_ key: Character) { onDigit?(key) }

    /// The thread, started at the first need; without it (no thread could be made) the phone
    /// goes on without media and says why.
    private func wakeThread() {
        if thread == nil {
            do {
                let t = try MediaThread(core: core)
                try t.start()
                thread = t
            } catch {
                log.error("audio: \(error)")
                return
            }
        }
        thread?.wake()
    }

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

    /// Stops the media thread, flushes and closes the device (shutdown).
    public func close() {
        thread?.stop()
        thread = nil
        core.lock.withLock {
            for channel in core.channels { channel.socket.close() }
            for socket in core.closing { socket.close() }
            core.closing.removeAll()
            core.closeDevice()
        }
    }
}

public enum MediaEngineError: Error, CustomStringConvertible {
    case noMediaPorts
    case thread(errno: Int32)
    public var description: String {
        switch self {
        case .noMediaPorts: "no media port range configured (start_media_port, end_media_port)"
        case .thread(let e): "the media thread could not start: \(String(cString: strerror(e)))"
        }
    }
}
