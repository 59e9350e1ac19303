// WAV (RIFF WAVE) files: the header the phone writes, and reading what others wrote.
//
// Reading converts rather than rejects: 8/16/24/32-bit integer PCM, 32-bit float, µ-law and
// A-law (format tags 1, 3, 7, 6, and WAVE_FORMAT_EXTENSIBLE with those subformats), any
// number of channels (averaged to mono) and any sample rate (resampled to 8 kHz by linear
// interpolation: adequate for test tones and prompts, not hi-fi). Other encodings (ADPCM,
// MP3 ...) are refused with `AudioDeviceError.unsupportedFormat` naming the tag.

#if canImport(Glibc)
import Glibc
#endif

public struct WAVInfo: Sendable, Hashable {
    public var formatTag: UInt16
    public var channels: Int
    public var sampleRate: Int
    public var bitsPerSample: Int
    /// Where the data chunk's bytes are in the file, clamped to what the file holds.
    public var dataRange: Range<Int>
    /// The data size the header declares (may exceed the file for a streamed or cut file).
    public var declaredDataSize: UInt32
    public var declaredRIFFSize: UInt32
}

public enum WAVFile {
    public static let pcm: UInt16 = 1
    public static let float: UInt16 = 3
    public static let alaw: UInt16 = 6
    public static let ulaw: UInt16 = 7
    public static let extensible: UInt16 = 0xFFFE
    public static let headerSize = 44

    /// The 44-byte header of an 8 kHz 16-bit mono PCM file holding `dataBytes` of samples.
    public static func header(dataBytes: UInt32, sampleRate: UInt32 = 8000) -> [UInt8] {
        var h: [UInt8] = []
        h.reserveCapacity(headerSize)
        h += Array("RIFF".utf8); le32(&h, 36 &+ dataBytes)
        h += Array("WAVE".utf8)
        h += Array("fmt ".utf8); le32(&h, 16)
        le16(&h, pcm); le16(&h, 1); le32(&h, sampleRate); le32(&h, sampleRate * 2); le16(&h, 2); le16(&h, 16)
        h += Array("data".utf8); le32(&h, dataBytes)
        return h
    }

    /// Parses the chunk structure of a whole file's bytes.
    public static func parse(_ b: [UInt8], path: String = "WAV") throws(AudioDeviceError) -> WAVInfo {
        guard b.count >= 12, b[0..<4].elementsEqual("RIFF".utf8), b[8..<12].elementsEqual("WAVE".utf8) else {
            throw .notWAV(path: path, reason: "no RIFF/WAVE header")
        }
        let riff = u32(b, 4)
        var offset = 12
        var fmt: (tag: UInt16, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= b.count {
            let id = b[offset..<(offset + 4)]
            let size = Int(u32(b, offset + 4))
            let body = offset + 8
            if id.elementsEqual("fmt ".utf8) {
                guard size >= 16, body + 16 <= b.count else { throw .notWAV(path: path, reason: "short fmt chunk") }
                var tag = u16(b, body)
                if tag == extensible {
                    guard size >= 40, body + 26 <= b.count else { throw .notWAV(path: path, reason: "short extensible fmt chunk") }
                    tag = u16(b, body + 24)   // the first two bytes of the subformat GUID
                }
                fmt = (tag, Int(u16(b, body + 2)), Int(u32(b, body + 4)), Int(u16(b, body + 14)))
            } else if id.elementsEqual("data".utf8) {
                guard let fmt else { throw .notWAV(path: path, reason: "data chunk before fmt chunk") }
                let end = min(b.count, body + size)
                return WAVInfo(formatTag: fmt.tag, channels: fmt.channels, sampleRate: fmt.rate, bitsPerSample: fmt.bits,
                               dataRange: body..<end, declaredDataSize: UInt32(size), declaredRIFFSize: riff)
            }
            offset = body + size + (size & 1)   // chunks are padded to an even size
        }
        throw .notWAV(path: path, reason: fmt == nil ? "no fmt chunk" : "no data chunk")
    }

    /// The file's audio as 8 kHz mono 16-bit samples.
    public static func samples(_ b: [UInt8], path: String = "WAV") throws(AudioDeviceError) -> [Int16] {
        let info = try parse(b, path: path)
        guard info.channels >= 1, info.channels <= 16 else {
            throw .unsupportedFormat(path: path, reason: "\(info.channels) channels")
        }
        guard info.sampleRate >= 1000, info.sampleRate <= 384_000 else {
            throw .unsupportedFormat(path: path, reason: "sample rate \(info.sampleRate)")
        }
        let bytesPerSample: Int
        let sample: (Int) -> Int32   // byte offset -> sample scaled to 16 bits
        switch (info.formatTag, info.bitsPerSample) {
        case (pcm, 8): bytesPerSample = 1; sample = { (Int32(b[$0]) - 128) << 8 }
        case (pcm, 16): bytesPerSample = 2; sample = { Int32(Int16(bitPattern: u16(b, $0))) }
        case (pcm, 24): bytesPerSample = 3; sample = { Int32(Int16(bitPattern: UInt16(b[$0 + 1]) | UInt16(b[$0 + 2]) << 8)) }
        case (pcm, 32): bytesPerSample = 4; sample = { Int32(Int16(bitPattern: u16(b, $0 + 2))) }
        case (float, 32):
            bytesPerSample = 4
            sample = { Int32(max(-32768, min(32767, (Float(bitPattern: u32(b, $0)) * 32768).rounded()))) }
        case (ulaw, 8): bytesPerSample = 1; sample = { Int32(G711.linear(ulaw: b[$0])) }
        case (alaw, 8): bytesPerSample = 1; sample = { Int32(G711.linear(alaw: b[$0])) }
        default:
            throw .unsupportedFormat(path: path, reason: "format tag \(info.formatTag) with \(info.bitsPerSample) bits "
                                     + "(PCM 8/16/24/32-bit, float 32-bit, µ-law and A-law are read)")
        }
        let frameBytes = bytesPerSample * info.channels
        let frames = info.dataRange.count / frameBytes
        var mono: [Int16] = []
        mono.reserveCapacity(frames)
        for f in 0..<frames {
            let base = info.dataRange.lowerBound + f * frameBytes
            var sum: Int32 = 0
            for c in 0..<info.channels { sum += sample(base + c * bytesPerSample) }
            mono.append(Int16(sum / Int32(info.channels)))
        }
        return info.sampleRate == AudioFormat.sampleRate ? mono : resample(mono, from: info.sampleRate, to: AudioFormat.sampleRate)
    }

    /// Linear interpolation between neighbouring samples (no anti-alias filter).
    public static func resample(_ x: [Int16], from: Int, to: Int) -> [Int16] {
        guard !x.isEmpty, from > 0, to > 0 else { return [] }
        let count = Int((Int64(x.count) * Int64(to)) / Int64(from))
        var out: [Int16] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let position = Double(i) * Double(from) / Double(to)
            let j = Int(position)
            let frac = position - Double(j)
            let a = Double(x[min(j, x.count - 1)])
            let b = Double(x[min(j + 1, x.count - 1)])
            out.append(Int16((a + (b - a) * frac).rounded()))
        }
        return out
    }

    static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    static func le16(_ o: inout [UInt8], _ v: UInt16) { o.append(UInt8(v & 0xFF)); o.append(UInt8(v >> 8)) }
    static func le32(_ o: inout [UInt8], _ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { o.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
}

/// `--audio file:PLAY.wav,RECORD.wav`. PLAY is read whole at open (converted to 8 kHz mono)
/// and served in a loop as the microphone; an empty PLAY gives silence. Every frame written
/// (the handset) is appended to RECORD, 8 kHz 16-bit mono PCM.
///
/// Validity after a kill: frames are written in batches of 500 ms (`batchFrames`); each batch
/// is appended with one pwrite, then the whole 44-byte header (RIFF and data sizes) is
/// rewritten with a second pwrite of one block. At any moment the header describes whole
/// frames that are in the file; a kill between the two writes leaves at most one batch after
/// the data chunk that the header does not count (readers ignore bytes past the RIFF size).
/// A batch, not every frame: the two system calls per 20 ms frame were a tenth of the media
/// thread's CPU in a call (perf, the calls benchmark), and 100 ms batches still 4 % of it; a
/// kill loses at most the last 500 ms (a recording is a test and automation aid).
/// `flush()` (the media clock stopping, `close`) writes what is pending.
public final class WAVFileDevice: AudioDevice {
    public let playPath: String?
    public let recordPath: String?
    private let play: [Int16]
    private var playPosition = 0
    private var fd: Int32 = -1
    public private(set) var recordedBytes: UInt32 = 0
    /// Frames written but not yet in the file (at most `batchFrames`).
    private var pending: [UInt8] = []
    public static let batchFrames = 25
    private static let batchBytes = batchFrames * AudioFormat.frameSamples * 2
    /// The largest data chunk a 32-bit RIFF size can describe, in whole frames.
    static let maximumData: UInt32 = (UInt32.max - 36) / 320 * 320

    public init(play: String?, record: String?) throws(AudioDeviceError) {
        playPath = play
        recordPath = record
        if let play {
            self.play = try WAVFile.samples(try FileBytes.read(play), path: play)
        } else {
            self.play = []
        }
        if let record {
            let d = Glibc.open(record, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard d >= 0 else { throw .cannotOpen(path: record, reason: FileBytes.errorText()) }
            fd = d
            try writeHeader()
        }
    }

    deinit { close() }

    public var playSamples: Int { play.count }

    public func read(into frame: inout [Int16]) throws(AudioDeviceError) {
        frame.removeAll(keepingCapacity: true)
        guard !play.isEmpty else {
            frame.append(contentsOf: repeatElement(0, count: AudioFormat.frameSamples))
            return
        }
        while frame.count < AudioFormat.frameSamples {
            let n = min(AudioFormat.frameSamples - frame.count, play.count - playPosition)
            frame.append(contentsOf: play[playPosition..<(playPosition + n)])
            playPosition = (playPosition + n) % play.count
        }
    }

    public func write(_ frame: [Int16]) throws(AudioDeviceError) {
        guard fd >= 0, !frame.isEmpty else { return }
        let bytes = UInt32(frame.count * 2)
        // 4 GB: 74 hours; the rest is dropped.
        guard recordedBytes + UInt32(pending.count) + bytes <= Self.maximumData else { return }
        if pending.capacity < Self.batchBytes { pending.reserveCapacity(Self.batchBytes) }
        for s in frame {
            let u = UInt16(bitPattern: s)
            pending.append(UInt8(u & 0xFF))
            pending.append(UInt8(u >> 8))
        }
        if pending.count >= Self.batchBytes { try flushPending() }
    }

    /// Writes the frames not yet in the file, then the header that counts them.
    public func flush() {
        do {
            try flushPending()
        } catch {
            // Reported by the next write, which fails the same way.
        }
    }

    private func flushPending() throws(AudioDeviceError) {
        guard fd >= 0, !pending.isEmpty else { return }
        try pwriteAll(pending, at: off_t(WAVFile.headerSize) + off_t(recordedBytes))
        recordedBytes += UInt32(pending.count)
        pending.removeAll(keepingCapacity: true)
        try writeHeader()
    }

    public func close() {
        if fd >= 0 {
            flush()
            Glibc.close(fd)
            fd = -1
        }
    }

    private func writeHeader() throws(AudioDeviceError) {
        try pwriteAll(WAVFile.header(dataBytes: recordedBytes), at: 0)
    }

    private func pwriteAll(_ bytes: [UInt8], at offset: off_t) throws(AudioDeviceError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.pwrite(fd, base + done, raw.count - done, offset + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: recordPath ?? "", reason: FileBytes.errorText())
            }
            done += n
        }
    }
}

/// Whole-file reads with the C library (this module does not use Foundation).
enum FileBytes {
    static let limit = 64 * 1024 * 1024

    static func read(_ path: String) throws(AudioDeviceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: errorText()) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.read(fd, base, raw.count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotOpen(path: path, reason: errorText())
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            guard out.count <= limit else { throw .unsupportedFormat(path: path, reason: "larger than \(limit / 1024 / 1024) MB") }
        }
        return out
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
