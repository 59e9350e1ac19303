import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Media
import NIOConcurrencyHelpers
import RTP

/// The state of the phone's audio that the media thread works on: the audio device, the
/// call-state tone, the calls' channels and the 20 ms clock (`FramePacer`: the n-th deadline is
/// start + n·20 ms, never a re-armed timer's drift). The clock runs only while a tone plays or
/// a stream is active; otherwise the thread sleeps without a deadline and an idle phone does
/// not wake.
///
/// One lock guards all of it (and every `MediaChannel`): the media thread takes it for each
/// frame and each batch of datagrams (tens of microseconds), the phone's loop for a key, a
/// negotiation, `show rtp` and the like. Nothing else here is thread-safe.
final class MediaCore: @unchecked Sendable {
    let lock = NIOLock()
    let origin = ContinuousClock.now
    private let log = Logger.category(.rtp)

    // MARK: guarded by `lock`

    private(set) var device: (any AudioDevice)?
    /// A sound card is opened while the clock runs (a call, a tone) and released when idle; a
    /// card missing or busy is reported and tried again the next time (`option` names it).
    let option: AudioOption?
    /// Why the sound card could not be opened the last time (`show status`).
    private(set) var deviceProblem: String?
    /// speexdsp's echo canceller on a sound card's microphone (`--echo-canceller`), fed with
    /// what the card played the frame before.
    private let cancelsEcho: Bool
    private var canceller: EchoCanceller?
    /// xruns of the sound card's earlier openings.
    private var xruns = 0

    var tone: ToneGenerator?
    /// The ringer's ring while a call alerts (`ringerFactor`: the ringer volume), played on the
    /// card's speaker device when it has one apart (`ringerDevice`), else on the one card while
    /// no call sounds on it. A WAV pair or null has no speaker: the ring is not played there.
    private(set) var ringer: ToneGenerator?
    private var ringerDevice: (any AudioDevice)?
    var ringerFactor = 1.0
    private var ringFrame: [Int16] = []
    var muted = false
    var gainFactor = 1.0
    var path: AudioPath = .handset
    private(set) var channels: [MediaChannel] = []
    /// Bumped whenever `channels` changes: the thread rebuilds its poll set.
    private(set) var generation = 0
    /// Sockets of closed channels, closed by the thread once it no longer polls them.
    var closing: [RTPSocketPair] = []
    private(set) var pacer: FramePacer<ContinuousClock.Instant>?
    var stopping = false
    /// Told (on the media thread, with the lock held) about each digit received.
    var digitHeard: @Sendable (Character) -> Void = { _ in }

    /// The frame buffers (and `ringFrame`) exist while the clock runs: an idle phone has none
    /// (a phone farm's thousand idle phones had 1.4 kB each).
    private var capture: [Int16] = []
    private var playback: [Int16] = []
    private var toneFrame: [Int16] = []

    init(device: (any AudioDevice)?, option: AudioOption?, echoCancellation: Bool) {
        self.device = device
        self.option = option
        self.cancelsEcho = echoCancellation
    }

    var now: Duration { ContinuousClock.now - origin }

    func add(_ channel: MediaChannel) {
        guard !channels.contains(where: { $0 === channel }) else { return }
        channels.append(channel)
        generation &+= 1
    }

    func remove(_ channel: MediaChannel) {
        let before = channels.count
        channels.removeAll { $0 === channel }
        if channels.count != before { generation &+= 1 }
        closing.append(channel.socket)
    }

    // MARK: the device

    func openDeviceIfNeeded() {
        guard device == nil, let base = option else { return }
        let option = path == .speaker ? base.speaker : base
        do {
            let opened = try option.open()
            device = opened
            if let card = opened as? ALSADevice { log.info("audio: \(option) open at \(card.rate) Hz") }
            if cancelsEcho, path == .speaker { canceller = EchoCanceller() }
            if deviceProblem != nil { log.info("audio: \(option) is back") }
            deviceProblem = nil
        } catch {
            deviceProblem = "\(error)"
            log.error("audio: \(error); the call goes on without sound, the device is tried again at the next call")
        }
    }

    /// The ring starts (true: the card can play it) or stops.
    func ring(_ on: Bool) {
        guard on else {
            ringer = nil
            ringerDevice?.close()
            ringerDevice = nil
            return
        }
        guard let base = option else { return }
        ringer = ToneGenerator(.ring)
        if base.speaker != base, ringerDevice == nil {
            do {
                ringerDevice = try base.speaker.open()
            } catch {
                log.error("ringer: \(error); the ring is played on \(base) instead")
            }
        }
    }

    func releaseDeviceIfOpenedWhenNeeded() {
        guard option != nil, let device else { return }
        xruns += (device as? ALSADevice)?.xruns ?? 0
        device.close()
        self.device = nil
        canceller = nil
    }

    /// The call moves to the other device (and the echo canceller with the speaker).
    func pathChanged() {
        guard option != nil, device != nil else { return }
        releaseDeviceIfOpenedWhenNeeded()
        openDeviceIfNeeded()
    }

    var status: String {
        let name = option.map { "\($0)" } ?? (device.map { "\(type(of: $0))" } ?? "none")
        if let deviceProblem { return "\(name): \(deviceProblem) (tried again at the next call)" }
        let total = xruns + ((device as? ALSADevice)?.xruns ?? 0)
        let open = device == nil ? "closed until needed" : "open"
        return "\(name), \(open)" + (muted ? ", muted" : "") + (total > 0 ? ", \(total) xruns recovered" : "")
    }

    func closeDevice() {
        device?.close()
        device = nil
        ring(false)
    }

    // MARK: the 20 ms clock

    private var needsClock: Bool { tone != nil || ringer != nil || channels.contains { $0.isActive } }

    /// Starts the clock when something needs it; true when it started (wake the thread).
    func startClockIfNeeded() -> Bool {
        guard needsClock, pacer == nil else { return false }
        openDeviceIfNeeded()
        pacer = FramePacer(start: ContinuousClock.now)
        return true
    }

    /// The frames due by now; the clock stops (and a sound card is released) when nothing
    /// needs it any more.
    func tick() {
        guard var p = pacer else { return }
        let due = p.dueNow()
        pacer = p
        for _ in due { frame() }
        if !needsClock {
            pacer = nil
            ring(false)
            device?.flush()
            releaseDeviceIfOpenedWhenNeeded()
            capture = []; playback = []; toneFrame = []; ringFrame = []
        }
    }

    /// One frame: the microphone to every sending stream; the far end (and the tone) to the handset.
    private func frame() {
        let now = self.now
        if capture.isEmpty {
            let zero = [Int16](repeating: 0, count: AudioFormat.frameSamples)
            capture = zero; playback = zero; toneFrame = zero; ringFrame = zero
        }
        do {
            if let device { try device.read(into: &capture) } else { silence(&capture) }
        } catch {
            log.error("audio capture: \(error)")
            silence(&capture)
        }
        if let canceller { capture = canceller.process(captured: capture, played: playback) }
        if muted { silence(&capture) }
        for channel in channels where channel.isActive { channel.produce(capture, now: now) }
        silence(&playback)
        let heard = digitHeard
        for channel in channels {
            if let frame = channel.playout(digit: heard) { mix(frame, into: &playback) }
        }
        scale(&playback, by: gainFactor)
        if var t = tone {
            t.fill(&toneFrame)
            mix(toneFrame, into: &playback)
            tone = t.finished ? nil : t
        }
        if var r = ringer {
            r.fill(&ringFrame)
            ringer = r
            scale(&ringFrame, by: ringerFactor)
            if let ringerDevice {
                do { try ringerDevice.write(ringFrame) } catch { log.error("ringer: \(error)") }
            } else if !channels.contains(where: { $0.isActive }) {
                mix(ringFrame, into: &playback)
            }
        }
        do {
            try device?.write(playback)
        } catch {
            log.error("audio playback: \(error)")
        }
    }

    private func scale(_ frame: inout [Int16], by factor: Double) {
        guard factor != 1 else { return }
        for i in frame.indices { frame[i] = Int16(clamping: Int(Double(frame[i]) * factor)) }
    }

    private func silence(_ frame: inout [Int16]) {
        if frame.count != AudioFormat.frameSamples {
            frame = [Int16](repeating: 0, count: AudioFormat.frameSamples)
        } else {
            for i in frame.indices { frame[i] = 0 }
        }
    }

    private func mix(_ source: [Int16], into target: inout [Int16]) {
        for i in 0..<min(source.count, target.count) {
            target[i] = Int16(clamping: Int(target[i]) + Int(source[i]))
        }
    }
}
