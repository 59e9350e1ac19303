import Foundation
import TestKit
import Testing

/// The phone's audio through ALSA for real, no sound card needed: a scratch HOME whose
/// .asoundrc names a PCM whose capture reads a raw 1 kHz file (sox) and whose playback writes a
/// raw file, each over ALSA's `null` PCM (PEERS.md). SIPp echoes the phone's RTP, so what the
/// card "plays" must be the 1 kHz it "recorded", for the call's length.
@Suite(.serialized) struct ALSAAcceptanceTests {
    /// A scratch HOME whose .asoundrc names `phonetest`: capture reads `microphone` Hz (sox,
    /// 20 s, raw), playback writes the raw file returned, both at `rate` over ALSA's `null`.
    static func scratchCard(_ name: String, rate: Int, microphone: Int) async throws -> (home: String, output: String) {
        let home = try TestSupport.temporaryDirectory(name)
        let input = home + "/in.raw", output = home + "/out.raw"
        let sox = try ChildProcess("/usr/bin/sox", ["-n", "-r", "\(rate)", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw",
                                                    input, "synth", "20", "sine", "\(microphone)", "vol", "0.5"])
        #expect(await sox.wait(timeout: .seconds(20)).flatMap(ChildProcess.exitCode) == 0)
        try """
            pcm.phonetest {
                type asym
                playback.pcm {
                    type plug
                    slave { pcm { type file; slave.pcm "null"; file "\(output)"; format "raw" }; rate \(rate); channels 1; format S16_LE }
                }
                capture.pcm {
                    type plug
                    slave { pcm { type file; slave.pcm "null"; file "/dev/null"; infile "\(input)"; format "raw" }; rate \(rate); channels 1; format S16_LE }
                }
            }

            """.write(toFile: home + "/.asoundrc", atomically: true, encoding: .utf8)
        return (home, output)
    }

    @Test func aCallCarriesTheCardsAudioBothWays() async throws {
        try await callThroughACard(rate: 8000)
    }

    /// A card that runs at 48 kHz only (ALSA's own resampling is off for the phone): the phone
    /// opens it at 48 kHz and speexdsp's resampler converts both ways.
    @Test func aCardAt48kHzIsResampledBothWays() async throws {
        try await callThroughACard(rate: 48000)
    }

    func callThroughACard(rate: Int) async throws {
        let (home, output) = try await Self.scratchCard("alsa-home", rate: rate, microphone: 1000)
        let peer = try await SIPpProcess.start(scenario: "sipp-dialog-uas.xml", timeout: .seconds(30), arguments: ["-rtp_echo"])
        let phone = try await CallAcceptanceTests.Phone.start(peerPort: peer.port, audio: "alsa:phonetest", environment: ["HOME=\(home)"])
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("CONNECTED")
        let connected = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        try await phone.test("test onhook")
        let call = Double((ContinuousClock.now - connected).components.seconds)
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        _ = phone.daemon.stop()
        // The raw playback file as a WAV for the analysis.
        let wav = home + "/out.wav"
        #expect(phone.daemon.log.contains("audio: alsa:phonetest open at \(rate) Hz"), "\(phone.daemon.log.suffix(3000))")
        let convert = try ChildProcess("/usr/bin/sox", ["-r", "\(rate)", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw",
                                                        output, "-r", "8000", wav])
        #expect(await convert.wait(timeout: .seconds(20)).flatMap(ChildProcess.exitCode) == 0)
        let heard = try WAVAudio(path: wav)
        let kHz = heard.seconds(near: 1000)
        #expect(kHz >= 0.95 * call, "1 kHz played for \(kHz) s of a \(call)+ s call")
    }

    /// An incoming call rings on the card (the built-in ring, `Tone.ring`: 1 s of warble, 2 s
    /// off), `volup` twice while it rings raises the ringer by 6 dB, and answering stops it.
    @Test func anIncomingCallRingsOnTheCardAndTheVolumeKeysSetTheRinger() async throws {
        let (home, output) = try await Self.scratchCard("alsa-ring", rate: 8000, microphone: 400)
        let phone = try await CallAcceptanceTests.Phone.start(peerPort: 9, audio: "alsa:phonetest", environment: ["HOME=\(home)"])
        defer { phone.stop() }
        let peer = try await SIPpProcess.start(scenario: "sipp-call-incoming.xml", timeout: .seconds(30),
                                               arguments: ["-rtp_echo", "127.0.0.1:\(phone.sipPort)"])
        _ = try await phone.waitForCall("RINGIN")
        try await Task.sleep(for: .milliseconds(1500))   // in the first ring's 2 s of silence
        _ = try await phone.test("test key volup", "test key volup")
        try await Task.sleep(for: .milliseconds(3000))   // the second ring, 6 dB up
        try await phone.test("test offhook")
        _ = try await phone.waitForCall("CONNECTED")
        #expect(await peer.exitCode(timeout: .seconds(15)) == 0, "\(peer.log)")
        _ = phone.daemon.stop()
        #expect(phone.daemon.log.contains("ringer volume 6 dB"), "\(phone.daemon.log.suffix(2000))")

        let wav = home + "/out.wav"
        let convert = try ChildProcess("/usr/bin/sox", ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", output, wav])
        #expect(await convert.wait(timeout: .seconds(20)).flatMap(ChildProcess.exitCode) == 0)
        let heard = try WAVAudio(path: wav)
        // The card's output starts with the ring (the clock and the card start with it), whose
        // bursts are 1 s long every 3 s. Which bursts came before and after the volume keys is
        // read from the phone's log ("ringer on" and "ringer volume 6 dB" carry its clock),
        // not assumed from the test's sleeps, which a loaded machine stretches.
        func secondsOfDay(_ marker: String) -> Double? {
            guard let line = phone.daemon.log.split(separator: "\n").first(where: { $0.contains(marker) }) else { return nil }
            let parts = line.split(separator: " ")
            guard parts.count > 1 else { return nil }
            let hms = parts[1].split(separator: ":").compactMap { Double($0) }
            return hms.count == 3 ? hms[0] * 3600 + hms[1] * 60 + hms[2] : nil
        }
        let ringOn = try #require(secondsOfDay("ringer on"), "no 'ringer on' in the log")
        let pressed = try #require(secondsOfDay("ringer volume 6 dB")) - ringOn
        // The bursts as the card played them: runs of loud 20 ms windows at least 0.8 s long.
        var bursts: [Double] = [], runStart: Double?
        for t in stride(from: 0.0, to: heard.seconds - 0.02, by: 0.02) {
            let loud = heard.rms(from: t, to: t + 0.02) > 500
            if loud, runStart == nil { runStart = t }
            if !loud, let s = runStart {
                if t - s >= 0.8 { bursts.append(s) }
                runStart = nil
            }
        }
        let before = try #require(bursts.first { $0 + 1.05 < pressed }, "no ring before the keys (pressed at \(pressed) s, rings at \(bursts))")
        let after = try #require(bursts.first { $0 > pressed + 0.05 }, "no whole ring after the keys (pressed at \(pressed) s, rings at \(bursts))")
        func level(_ from: Double, _ to: Double) -> Double {
            let windows = stride(from: from, to: to, by: 0.02).map { heard.rms(from: $0, to: $0 + 0.02) }.sorted()
            return windows.isEmpty ? 0 : windows[windows.count / 2]
        }
        let first = level(before + 0.1, before + 0.9), gap = level(before + 1.2, before + 2.8), second = level(after + 0.1, after + 0.9)
        let warble = heard.frequency(from: before + 0.1, to: before + 0.9)
        print("ringer: keys at \(pressed) s; ring at \(before) s RMS \(first), gap \(gap), ring at \(after) s RMS \(second) "
              + "(\(20 * log10(second / max(first, 1))) dB), \(warble) Hz")
        #expect(first > 500 && gap < 50, "a ring, then silence: \(first), \(gap)")
        #expect(warble > 1000 && warble < 1333, "the warble of 1 kHz and 1.33 kHz: \(warble) Hz")
        #expect(second / first > 1.7 && second / first < 2.3, "6 dB louder after volup twice: \(second / first)")
        // Answered: the far end's echo of the 400 Hz microphone, and no ring any more.
        #expect(heard.seconds(near: 1333, tolerance: 20) < 1.3, "the ring stops when the call is answered")
    }

    @Test func aMissingCardIsReportedAndTheCallStillProceeds() async throws {
        let home = try TestSupport.temporaryDirectory("alsa-none")
        let peer = try await SIPpProcess.start(scenario: "sipp-dialog-uas.xml", timeout: .seconds(30), arguments: ["-rtp_echo"])
        let phone = try await CallAcceptanceTests.Phone.start(peerPort: peer.port, audio: "alsa:nosuchcard", environment: ["HOME=\(home)"])
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        let out = try await phone.waitForCall("CONNECTED")
        #expect(out.contains("sent "), "\(out)")
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        #expect(phone.daemon.log.contains("audio: alsa:nosuchcard: cannot open"), "\(phone.daemon.log.suffix(3000))")
        #expect(phone.daemon.log.contains("the device is tried again at the next call"))
        let status = try await phone.daemon.cli(["show status"], password: "s3cret").output
        #expect(status.contains("Audio: alsa:nosuchcard: alsa:nosuchcard: cannot open"), "\(status)")
        #expect(phone.daemon.process.reap() == nil, "the phone keeps running")
    }
}
