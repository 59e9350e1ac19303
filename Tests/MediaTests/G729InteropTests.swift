import Testing
import Foundation
import Media
import TestKit

#if canImport(Glibc)
import Glibc
#endif

/// G.729 against another endpoint: `mediastream` (libmediastreamer-tools), mediastreamer2's
/// RTP endpoint without SIP. Its G.729 filter (MSBCG729) wraps bcg729 as well, so this checks
/// our framing, packetization and channel handling against theirs, not a second codec.
/// It plays a WAV as RTP and records what it receives into a WAV (finished on SIGINT).
@Suite(.serialized) struct G729InteropTests {
    static let mediastream = "/usr/bin/mediastream"

    /// A free even port with the next one free too (RTP and RTCP) for mediastream's `--local`.
    func freeRTPPort() throws -> Int {
        for _ in 0..<50 {
            let p = try Sockets.freeUDPPort() & ~1
            if p > 1024, !Sockets.isUDPBound(port: p), !Sockets.isUDPBound(port: p + 1) { return p }
        }
        throw TestFailure("no free RTP port pair")
    }

    func writeWAV(_ samples: [Int16], _ path: String) throws {
        try writeBytes(WAVFile.header(dataBytes: UInt32(samples.count * 2)) + littleEndian(samples), path)
    }

    func startMediastream(local: Int, remote: Int, play: String, record: String, dir: String) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: Self.mediastream) else {
            throw TestFailure("\(Self.mediastream) is missing: scripts/install-deps.sh test installs libmediastreamer-tools")
        }
        return try ChildProcess(Self.mediastream, ["--local", "\(local)", "--remote", "127.0.0.1:\(remote)", "--payload", "18",
                                                   "--infile", play, "--outfile", record],
                                stdout: dir + "/mediastream.out", stderr: dir + "/mediastream.err")
    }

    /// mediastream stops cleanly (and writes the WAV header) on SIGINT only.
    func stop(_ child: ChildProcess) async {
        kill(child.pid, SIGINT)
        if await child.wait(timeout: .seconds(5)) == nil { _ = child.terminate() }
    }

    /// The RTP header's fields the test needs, and the payload, or nil for a non-RTP datagram.
    func parseRTP(_ d: [UInt8]) -> (pt: UInt8, seq: UInt16, payload: [UInt8])? {
        guard d.count >= 12, d[0] >> 6 == 2 else { return nil }
        var start = 12 + 4 * Int(d[0] & 0x0F)
        if d[0] & 0x10 != 0 {
            guard d.count >= start + 4 else { return nil }
            start += 4 + 4 * (Int(d[start + 2]) << 8 | Int(d[start + 3]))
        }
        var end = d.count
        if d[0] & 0x20 != 0, let pad = d.last { end -= Int(pad) }
        guard start <= end else { return nil }
        return (d[1] & 0x7F, UInt16(d[2]) << 8 | UInt16(d[3]), Array(d[start..<end]))
    }

    /// mediastream encodes a 1 kHz WAV as G.729 RTP; our decoder hears 1 kHz at about the
    /// WAV's level.
    @Test func mediastreamToOurDecoder() async throws {
        let dir = try TestSupport.temporaryDirectory("g729-in")
        let tone = sine(1000, amplitude: 8000, count: 3 * 8000)
        try writeWAV(tone, dir + "/tone.wav")
        let socket = try UDPSocket()
        let child = try startMediastream(local: try freeRTPPort(), remote: socket.port, play: dir + "/tone.wav",
                                         record: dir + "/heard.wav", dir: dir)
        var packets: [(seq: UInt16, payload: [UInt8])] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            guard let d = await socket.receive(timeout: packets.isEmpty ? .seconds(10) : .milliseconds(800)) else { break }
            if let p = parseRTP(d), p.pt == 18 { packets.append((p.seq, p.payload)) }
        }
        await stop(child)
        try #require(packets.count >= 100, "G.729 packets from mediastream: \(packets.count)")
        let sizes = Set(packets.map(\.payload.count))
        #expect(sizes == [20], "payload sizes \(sizes)")
        // In order of sequence number (loopback does not reorder, but do not rely on it).
        let first = packets[0].seq
        packets.sort { $0.seq &- first < $1.seq &- first }
        let codec = try #require(G729Codec())
        var decoded: [Int16] = []
        for p in packets { p.payload.withUnsafeBytes { codec.decode($0, into: &decoded) } }
        let voiced = decoded.enumerated().filter { abs(Int($0.element)) > 1000 }.map(\.offset)
        let start = try #require(voiced.first), end = try #require(voiced.last)
        try #require(end - start > 8000, "tone heard for \(Double(end - start) / 8000) s")
        let middle = Array(decoded[(start + 800)..<(end - 800)])
        let f = zeroCrossingFrequency(middle[...])
        let level = rms(middle)
        print("G.729 mediastream → deskphone: \(packets.count) packets, \(middle.count) samples, \(f) Hz, RMS \(level) (sent \(rms(tone)))")
        #expect(abs(f - 1000) < 20, "frequency \(f) Hz")
        #expect(level > rms(tone) * 0.5 && level < rms(tone) * 1.5, "RMS \(level)")
    }

    /// Our encoder's packets, 20 ms apart, played to mediastream: its recording holds 1 kHz.
    @Test func ourEncoderToMediastream() async throws {
        let dir = try TestSupport.temporaryDirectory("g729-out")
        try writeWAV([Int16](repeating: 0, count: 8000 * 8), dir + "/silence.wav")
        let socket = try UDPSocket()
        let port = try freeRTPPort()
        let child = try startMediastream(local: port, remote: socket.port, play: dir + "/silence.wav",
                                         record: dir + "/heard.wav", dir: dir)
        // Ready when it sends (its silence, as RTP) to us.
        _ = try #require(await socket.receive(timeout: .seconds(15)), "mediastream sent nothing")
        let codec = try #require(G729Codec())
        let tone = sine(1000, amplitude: 8000, count: 2 * 8000)
        let ssrc: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var packets: [[UInt8]] = []
        for (i, start) in stride(from: 0, to: tone.count, by: 160).enumerated() {
            var payload: [UInt8] = []
            codec.encode(Array(tone[start..<start + 160]), into: &payload)
            let seq = UInt16(i), ts = UInt32(i * 160)
            let header: [UInt8] = [0x80, i == 0 ? 0x80 | 18 : 18, UInt8(seq >> 8), UInt8(seq & 0xFF),
                                   UInt8(ts >> 24), UInt8((ts >> 16) & 0xFF), UInt8((ts >> 8) & 0xFF), UInt8(ts & 0xFF)] + ssrc
            packets.append(header + payload)
        }
        // Sent 20 ms apart from a thread of their own: a Task.sleep on the test pool of a
        // loaded 2-core machine wakes late and sends in bursts, which mediastream then conceals.
        await SteadySender.run(packets, every: .milliseconds(20)) { socket.send($0, to: port) }
        try await Task.sleep(for: .milliseconds(500))
        await stop(child)
        let wav = try WAVAudio(path: dir + "/heard.wav")
        let voiced = wav.samples.enumerated().filter { abs(Int($0.element)) > 1000 }.map(\.offset)
        let start = try #require(voiced.first, "mediastream recorded no tone (\(wav.seconds) s of audio)")
        let end = try #require(voiced.last)
        try #require(end - start > 8000, "tone recorded for \(Double(end - start) / 8000) s")
        let middle = Array(wav.samples[(start + 800)..<(end - 800)])
        // Judged on mediastream's decoded 80 ms windows (a zero-crossing count over 20 ms is
        // only good to 25 Hz), not on its concealment: on a loaded
        // machine its jitter buffer fills late packets with fading repetitions (a CI run
        // recorded 2 s of tone stretched over 4 s, median window RMS 339 of 5656), which pull a
        // whole-stretch level and a zero-crossing count off. A window is decoded audio when its
        // level is at least half the tone's; a wrong level or frequency from our encoder moves
        // every window, so these checks still fail on a bad encoder.
        let windows = stride(from: 0, to: middle.count - 640, by: 640).map { Array(middle[$0..<$0 + 640]) }
        let decoded = windows.filter { rms($0) > rms(tone) * 0.5 }
        let frequencies = decoded.map { zeroCrossingFrequency($0[...]) }.sorted()
        let levels = decoded.map { rms($0) }.sorted()
        let f = frequencies.isEmpty ? 0 : frequencies[frequencies.count / 2]
        let level = levels.isEmpty ? 0 : levels[levels.count / 2]
        print("G.729 deskphone → mediastream: recorded \(wav.seconds) s, tone \(Double(end - start) / 8000) s, \(decoded.count) of \(windows.count) windows decoded, median \(f) Hz, RMS \(level) (sent \(rms(tone)))")
        try #require(decoded.count >= 6, "decoded windows: \(decoded.count) of \(windows.count) (25 sent)")
        #expect(abs(f - 1000) < 20, "frequency \(f) Hz")
        #expect(level > rms(tone) * 0.5 && level < rms(tone) * 1.5, "RMS \(level)")
    }
}

