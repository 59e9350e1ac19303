import CALSA
import SharedLibraries

#if canImport(Glibc)
import Glibc
#endif

/// A sound card through libasound (`--audio alsa:DEVICE`): playback and capture of the named
/// PCM, mono 16-bit at the rate the device takes nearest to 8 kHz (8, 16 or 48 kHz, whatever it
/// has), speexdsp's resampler in between, periods of 20 ms. Non-blocking, so the phone's 20 ms
/// clock never waits on the card: a capture that has no period ready gives silence, a
/// playback that is full drops the frame. An xrun is recovered (`snd_pcm_recover`) and counted.
public final class ALSADevice: AudioDevice {
    public let name: String
    public let rate: Int
    public private(set) var xruns = 0
    private var playback: OpaquePointer?
    private var capture: OpaquePointer?
    private let periodFrames: Int
    private let up: Resampler?
    private let down: Resampler?
    private var buffer: [Int16] = []
    private var converted: [Int16] = []

    /// libasound's functions, loaded at the first sound card (`ALSALibrary`).
    private let alsa: calsa_library

    public init(name: String) throws(AudioDeviceError) {
        let alsa = try ALSALibrary.functions(for: name)
        self.alsa = alsa
        self.name = name
        var play: OpaquePointer?
        var rec: OpaquePointer?
        var status = alsa.snd_pcm_open(&play, name, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard status == 0, let play else { throw .cannotOpen(path: "alsa:\(name)", reason: Self.describe(status, alsa)) }
        status = alsa.snd_pcm_open(&rec, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)
        guard status == 0, let rec else {
            _ = alsa.snd_pcm_close(play)
            throw .cannotOpen(path: "alsa:\(name) (capture)", reason: Self.describe(status, alsa))
        }
        var chosen = UInt32(AudioFormat.sampleRate)
        do throws(AudioDeviceError) {
            chosen = try Self.configure(play, rate: chosen, name: name, alsa)
            _ = try Self.configure(rec, rate: chosen, name: name, alsa)
        } catch {
            _ = alsa.snd_pcm_close(play)
            _ = alsa.snd_pcm_close(rec)
            throw error
        }
        playback = play
        capture = rec
        rate = Int(chosen)
        periodFrames = rate / 50
        up = rate == AudioFormat.sampleRate ? nil : Resampler(from: AudioFormat.sampleRate, to: rate)
        down = rate == AudioFormat.sampleRate ? nil : Resampler(from: rate, to: AudioFormat.sampleRate)
        buffer = [Int16](repeating: 0, count: periodFrames)
        _ = alsa.snd_pcm_start(rec)
    }

    deinit { close() }

    /// S16_LE, mono, interleaved, the rate nearest `rate`, 20 ms periods, four of them buffered.
    static func configure(_ pcm: OpaquePointer, rate: UInt32, name: String, _ alsa: calsa_library) throws(AudioDeviceError) -> UInt32 {
        var hw: OpaquePointer?
        guard alsa.snd_pcm_hw_params_malloc(&hw) == 0, let hw else { throw .cannotOpen(path: "alsa:\(name)", reason: "out of memory") }
        defer { alsa.snd_pcm_hw_params_free(hw) }
        var r = rate
        var period = snd_pcm_uframes_t(rate / 50)
        var dir: Int32 = 0
        var status = alsa.snd_pcm_hw_params_any(pcm, hw)
        // The device's own rates only: no resampling inside ALSA's plug layer, so a card at
        // 48 kHz runs at 48 kHz and speexdsp's resampler (better than plug's linear one)
        // converts to and from the codecs' 8 kHz.
        if status >= 0 { status = alsa.snd_pcm_hw_params_set_rate_resample(pcm, hw, 0) }
        if status >= 0 { status = alsa.snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) }
        if status >= 0 { status = alsa.snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE) }
        if status >= 0 { status = alsa.snd_pcm_hw_params_set_channels(pcm, hw, 1) }
        if status >= 0 { status = alsa.snd_pcm_hw_params_set_rate_near(pcm, hw, &r, &dir) }
        if status >= 0 {
            period = snd_pcm_uframes_t(r / 50)
            status = alsa.snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir)
        }
        if status >= 0 {
            var size = period * 4
            status = alsa.snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &size)
        }
        if status >= 0 { status = alsa.snd_pcm_hw_params(pcm, hw) }
        guard status >= 0 else { throw .unsupportedFormat(path: "alsa:\(name)", reason: describe(status, alsa)) }
        guard [8000, 16000, 32000, 44100, 48000].contains(Int(r)) else {
            throw .unsupportedFormat(path: "alsa:\(name)", reason: "rate \(r) Hz")
        }
        return r
    }

    static func describe(_ status: Int32, _ alsa: calsa_library) -> String { alsa.snd_strerror(status).map { String(cString: $0) } ?? "ALSA error \(status)" }

    public func read(into frame: inout [Int16]) throws(AudioDeviceError) {
        frame.removeAll(keepingCapacity: true)
        guard let capture else { return frame.append(contentsOf: repeatElement(0, count: AudioFormat.frameSamples)) }
        let n = buffer.withUnsafeMutableBytes { alsa.snd_pcm_readi(capture, $0.baseAddress, snd_pcm_uframes_t(periodFrames)) }
        if n < 0 {
            recover(capture, Int32(n))
            return frame.append(contentsOf: repeatElement(0, count: AudioFormat.frameSamples))
        }
        let got = Array(buffer.prefix(Int(n)))
        if let down {
            down.process(got, into: &converted)
            frame.append(contentsOf: converted.prefix(AudioFormat.frameSamples))
        } else {
            frame.append(contentsOf: got.prefix(AudioFormat.frameSamples))
        }
        if frame.count < AudioFormat.frameSamples { frame.append(contentsOf: repeatElement(0, count: AudioFormat.frameSamples - frame.count)) }
    }

    public func write(_ frame: [Int16]) throws(AudioDeviceError) {
        guard let playback else { return }
        let samples: [Int16]
        if let up {
            up.process(frame, into: &converted)
            samples = converted
        } else {
            samples = frame
        }
        let n = samples.withUnsafeBytes { alsa.snd_pcm_writei(playback, $0.baseAddress, snd_pcm_uframes_t(samples.count)) }
        if n < 0 { recover(playback, Int32(n)) }
    }

    /// -EAGAIN is no data yet (or no room): nothing to do. -EPIPE (xrun) and -ESTRPIPE are
    /// recovered and counted.
    private func recover(_ pcm: OpaquePointer, _ error: Int32) {
        guard error != -EAGAIN else { return }
        xruns += 1
        if alsa.snd_pcm_recover(pcm, error, 1) == 0, pcm == capture { _ = alsa.snd_pcm_start(pcm) }
    }

    public func close() {
        if let playback { _ = alsa.snd_pcm_drain(playback); _ = alsa.snd_pcm_close(playback) }
        if let capture { _ = alsa.snd_pcm_close(capture) }
        playback = nil
        capture = nil
    }
}

/// libasound, opened at the first sound card and kept (`SharedLibrary`); its errors are
/// silenced then (the phone reports them itself).
enum ALSALibrary {
    /// Debian's libasound2 (the .deb depends on it by name, since it is not linked).
    static let file = "libasound.so.2"
    private static let loaded: Result<calsa_library, SharedLibrary.LoadError> = {
        let result = SharedLibrary.load(file) { calsa_bind_library($0, $1) }
        if case .success(let table) = result { withUnsafePointer(to: table) { calsa_silence_errors($0) } }
        return result
    }()

    static func functions(for device: String) throws(AudioDeviceError) -> calsa_library {
        switch loaded {
        case .success(let table): return table
        case .failure(let error): throw .cannotOpen(path: "alsa:\(device)", reason: "\(error)")
        }
    }
}
