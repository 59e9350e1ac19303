import Foundation
import TestKit
import Testing

/// The phone's audio through ALSA for real, no sound card needed: a scratch HOME whose
/// .asoundrc names a PCM whose capture reads a raw 1 kHz file (sox) and whose playback writes a
/// raw file, each over ALSA's `null` PCM (PEERS.md). SIPp echoes the phone's RTP, so what the
/// card "plays" must be the 1 kHz it "recorded", for the call's length.
@Suite(.serialized) struct ALSAAcceptanceTests {
    @Test func aCallCarriesTheCardsAudioBothWays() async throws {
        try await callThroughACard(rate: 8000)
    }

    /// A card that runs at 48 kHz only (ALSA's own resampling is off for the phone): the phone
    /// opens it at 48 kHz and speexdsp's resampler converts both ways.
    @Test func aCardAt48kHzIsResampledBothWays() async throws {
        try await callThroughACard(rate: 48000)
    }

    func callThroughACard(rate: Int) async throws {
        let home = try TestSupport.temporaryDirectory("alsa-home")
        let input = home + "/in.raw", output = home + "/out.raw"
        let sox = try ChildProcess("/usr/bin/sox", ["-n", "-r", "\(rate)", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw",
                                                    input, "synth", "20", "sine", "1000", "vol", "0.5"])
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
