// The audio device protocol: the phone reads the microphone (capture) and writes the
// handset (playback) in 20 ms frames of 160 16-bit samples at 8 kHz. Devices: WAVFileDevice
// (`--audio file:PLAY.wav,RECORD.wav`), NullAudioDevice (`--audio null`); ALSA comes next.
// Calls block only as long as the device needs (files, ALSA): the owner runs them off the
// event loop.

public enum AudioFormat {
    public static let sampleRate = 8000
    /// 20 ms at 8 kHz.
    public static let frameSamples = 160
    public static let frameDuration: Duration = .milliseconds(20)
}

public enum AudioDeviceError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notWAV(path: String, reason: String)
    case unsupportedFormat(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case badOption(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): "\(p): cannot open: \(r)"
        case .notWAV(let p, let r): "\(p): not a WAV file: \(r)"
        case .unsupportedFormat(let p, let r): "\(p): unsupported WAV format: \(r)"
        case .writeFailed(let p, let r): "\(p): write failed: \(r)"
        case .badOption(let r): "--audio: \(r)"
        }
    }
}

/// Where the phone's microphone samples come from.
public protocol AudioCapture: AnyObject {
    /// Fills `frame` with the next `AudioFormat.frameSamples` samples (replacing its contents).
    func read(into frame: inout [Int16]) throws(AudioDeviceError)
}

/// Where the handset's samples go.
public protocol AudioPlayback: AnyObject {
    func write(_ frame: [Int16]) throws(AudioDeviceError)
}

public protocol AudioDevice: AudioCapture, AudioPlayback {
    /// Writes out what the device buffers (the media clock stopped: no frame follows soon).
    func flush()
    /// Flushes and releases the device; further calls do nothing.
    func close()
}

extension AudioDevice {
    public func flush() {}
}

/// `--audio null`: silence in, nothing out (counted, so tests can see frames flowed).
public final class NullAudioDevice: AudioDevice {
    public private(set) var framesRead = 0
    public private(set) var framesWritten = 0

    public init() {}

    public func read(into frame: inout [Int16]) throws(AudioDeviceError) {
        frame.removeAll(keepingCapacity: true)
        frame.append(contentsOf: repeatElement(0, count: AudioFormat.frameSamples))
        framesRead += 1
    }

    public func write(_ frame: [Int16]) throws(AudioDeviceError) { framesWritten += 1 }

    public func close() {}
}

/// The value of deskphoned's `--audio` option.
public enum AudioOption: Sendable, Hashable, CustomStringConvertible {
    case null
    /// `file:PLAY.wav,RECORD.wav`; RECORD may be left out (`file:PLAY.wav`) to discard playback.
    case file(play: String, record: String?)
    /// `alsa:HANDSET[,SPEAKER]` (`alsa` alone: `default`): a sound card through libasound,
    /// with another device for the speaker (and the echo canceller) when one is named.
    case alsa(device: String, speaker: String? = nil)

    /// Parses `null` or `file:PLAY[,RECORD]`. The split is at the last comma: PLAY's path may
    /// contain commas, RECORD's may not.
    public init(parsing text: String) throws(AudioDeviceError) {
        if text == "null" { self = .null; return }
        if text == "alsa" { self = .alsa(device: "default"); return }
        if text.hasPrefix("alsa:") {
            let names = Substring(text.dropFirst(5))
            // ALSA names hold commas themselves (`hw:0,0`): the speaker's name starts after a
            // comma followed by a letter (`hw:0,0,hw:1,0`, `default,speaker`).
            var split: Substring.Index?
            var i = names.startIndex
            while i < names.endIndex {
                let next = names.index(after: i)
                if names[i] == ",", next < names.endIndex, names[next].isLetter { split = i }
                i = next
            }
            let device = split.map { String(names[..<$0]) } ?? String(names)
            let speaker = split.map { String(names[names.index(after: $0)...]) }
            guard !device.isEmpty else { throw .badOption("'\(text)': the ALSA device name is missing") }
            self = .alsa(device: device, speaker: speaker)
            return
        }
        guard text.hasPrefix("file:") else {
            throw .badOption("'\(text)': expected null, alsa[:DEVICE] or file:PLAY.wav,RECORD.wav")
        }
        let rest = text.dropFirst(5)
        var play = Substring(rest)
        var record: Substring?
        if let comma = rest.lastIndex(of: ",") {
            play = rest[..<comma]
            record = rest[rest.index(after: comma)...]
        }
        guard !play.isEmpty else { throw .badOption("'\(text)': the PLAY file is missing") }
        if let r = record, r.isEmpty { throw .badOption("'\(text)': the RECORD file after the comma is missing") }
        self = .file(play: String(play), record: record.map(String.init))
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .file(let p, let r?): "file:\(p),\(r)"
        case .file(let p, nil): "file:\(p)"
        case .alsa(let d, nil): "alsa:\(d)"
        case .alsa(let d, let speaker?): "alsa:\(d),\(speaker)"
        }
    }

    /// The option for the speaker: a sound card's speaker device when it has one, else itself.
    public var speaker: AudioOption {
        if case .alsa(_, let speaker?) = self { return .alsa(device: speaker) }
        return self
    }

    /// Opens the device the option names (a sound card's handset device).
    public func open() throws(AudioDeviceError) -> any AudioDevice {
        switch self {
        case .null: NullAudioDevice()
        case .file(let play, let record): try WAVFileDevice(play: play, record: record)
        case .alsa(let device, _): try ALSADevice(name: device)
        }
    }
}
