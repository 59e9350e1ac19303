import Foundation
import TestKit
import Testing

/// Calls driven by `test` over telnet against SIPp scenarios (Tests/Peers/sipp-call-*.xml) on
/// loopback: the far end is SIPp itself (its port is proxy1), the phone's audio is a WAV pair.
@Suite(.serialized) struct CallAcceptanceTests {
    /// A phone whose line 1 (620) calls through proxy1 = `peerPort`, with `--audio file:`.
    struct Phone {
        let daemon: DaemonUnderTest
        let sipPort: Int
        let play: String
        let record: String

        /// The microphone plays `playFrequency`, or the sum of `playTones` when given.
        static func start(peerPort: Int, extra: String = "", playFrequency: Int? = 1000, playTones: [Int]? = nil,
                          audio: String? = nil, environment: [String] = []) async throws -> Phone {
            let dir = try TestSupport.temporaryDirectory("call")
            let play = dir + "/play.wav", record = dir + "/record.wav"
            if let playTones {
                try await Sox.tones(playTones, seconds: 10, to: play)
            } else {
                try await Sox.tone(frequency: playFrequency, seconds: 10, to: play)
            }
            let sipPort = try Sockets.freeUDPAndTCPPort()
            let files = [
                "SIPDefault.cnf": "telnet_level: 2\nproxy1_address: 127.0.0.1\nproxy1_port: \(peerPort)\nvoip_control_port: \(sipPort)\n"
                    + "start_media_port: 20000\nend_media_port: 29998\n" + extra,
                "SIP0011AABBCC42.cnf": "line1_name: 620\nline1_password: pw620\nphone_password: s3cret\n",
            ]
            let daemon = try await DaemonUnderTest.start(files: files, arguments: [
                "--sip-address", "127.0.0.1", "--log-level", "debug", "--audio", audio ?? "file:\(play),\(record)",
            ], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=vt100"] + environment)
            return Phone(daemon: daemon, sipPort: sipPort, play: play, record: record)
        }

        /// `test open` then `commands`, in one telnet session.
        @discardableResult
        func test(_ commands: String...) async throws -> String {
            let r = try await daemon.cli(["test open"] + commands, password: "s3cret")
            guard r.code == 0 else { throw TestFailure("cli exit \(r.code.map(String.init) ?? "?"): \(r.output)\(r.errors)") }
            return r.output
        }

        func calls() async throws -> String { try await daemon.cli(["show calls", "show rtp"], password: "s3cret").output }

        func waitForCall(_ text: String, timeout: Duration = .seconds(10)) async throws -> String {
            var out = ""
            try await waitUntil("show calls says \(text)", timeout: timeout) {
                out = try await calls()
                return out.contains(text)
            }
            return out
        }

        func stop() { _ = daemon.stop() }
    }

    func sipp(_ scenario: String, arguments: [String] = []) async throws -> SIPpProcess {
        try await SIPpProcess.start(scenario: scenario, timeout: .seconds(30), arguments: arguments)
    }

    /// `sent N` of `show calls`.
    func sent(_ calls: String) -> Int {
        guard let r = calls.range(of: "sent ") else { return -1 }
        return Int(calls[r.upperBound...].prefix { $0.isNumber }) ?? -1
    }

    @Test func aCallMovesRTPBothWaysAndEndsWithBye() async throws {
        let peer = try await sipp("sipp-dialog-uas.xml", arguments: ["-rtp_echo"])
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        let out = try await phone.test("test show", "test offhook", "test key 1000#")
        #expect(out.contains("DISPLAY: status=\"Enter number\" softkeys=[Redial] [EndCall] [<<] [Dial]"), "\(out)")
        #expect(out.contains("DISPLAY: status=\"Calling 1000\" softkeys=[EndCall]"), "\(out)")
        _ = try await phone.waitForCall("CONNECTED")
        try await Task.sleep(for: .seconds(3))   // three seconds of call
        let during = try await phone.calls()
        #expect(during.contains("codec PCMU/8000"), "\(during)")
        #expect(during.contains("RTP-TxStat: Dur="), "\(during)")
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "SIPp: \(peer.log)")
        #expect(try await phone.calls().contains("No calls"))
        _ = phone.daemon.stop()   // SIGTERM: the RECORD file is closed
        // SIPp echoed the phone's 1 kHz back: the handset heard it for the call's length.
        let heard = try WAVAudio(path: phone.record)
        let f = heard.frequency(from: 0.5, to: heard.seconds - 0.5)
        #expect(abs(f - 1000) < 50, "heard \(f) Hz over \(heard.seconds) s")
        #expect(heard.audibleSeconds() > 2.5, "audible \(heard.audibleSeconds()) s")
    }

    @Test func busyIsAcknowledgedAndPlaysTheBusyTone() async throws {
        let peer = try await sipp("sipp-call-busy.xml")
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "the 486 was ACKed: \(peer.log)")
        let out = try await phone.waitForCall("RELEASED")
        #expect(out.contains("outgoing  RELEASED"))
        try await waitUntil("the busy tone plays", timeout: .seconds(5)) { phone.daemon.log.contains("handset tone: busy") }
        try await phone.test("test onhook")
        #expect(try await phone.calls().contains("No calls"))
    }

    @Test func notFoundPlaysReorderWithTheReason() async throws {
        let peer = try await sipp("sipp-call-notfound.xml")
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        let out = try await phone.test("test show", "test offhook", "test key 1000#")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        try await waitUntil("reorder plays", timeout: .seconds(5)) { phone.daemon.log.contains("handset tone: reorder") }
        let shown = try await phone.test("test show", "test key 5")
        #expect(shown.contains("status=\"404 Not Found\""), "\(out)\n\(shown)")
    }

    @Test func a407IsAnsweredOnceWithProxyAuthorization() async throws {
        let peer = try await sipp("sipp-call-auth.xml")
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        do { _ = try await phone.waitForCall("CONNECTED") } catch { Issue.record("\(error)\nSIPp:\(peer.messages)\n\(peer.log)") }
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "SIPp checked the credentials and the CSeq: \(peer.log)")
    }

    @Test func hangingUpWhileItRingsCancelsTheInvite() async throws {
        let peer = try await sipp("sipp-call-cancel.xml")
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("RINGOUT")
        try await waitUntil("ring-back plays", timeout: .seconds(5)) { phone.daemon.log.contains("handset tone: ringback") }
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "CANCEL, 487 and its ACK: \(peer.log)")
        #expect(try await phone.calls().contains("No calls"))
    }

    @Test func earlyMediaOfA183IsHeard() async throws {
        let dir = try TestSupport.temporaryDirectory("early")
        let tone = dir + "/tone440.wav"
        try await Sox.tone(frequency: 440, seconds: 3, to: tone, encoding: "u-law")
        let template = try String(contentsOfFile: TestSupport.repositoryRoot.appendingPathComponent("Tests/Peers/sipp-call-early.xml").path,
                                  encoding: .utf8)
        let scenario = dir + "/sipp-call-early.xml"
        try template.replacingOccurrences(of: "@TONE@", with: tone).write(toFile: scenario, atomically: true, encoding: .utf8)
        let peer = try await sipp(scenario)
        let phone = try await Phone.start(peerPort: peer.port, playFrequency: nil)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        // The early state lasts the scenario's 4 s pause: long enough for `show calls` (a telnet
        // round trip each) to see it on a loaded machine; 2 s was missed in a full run.
        _ = try await phone.waitForCall("EARLYMEDIA", timeout: .seconds(10))
        _ = try await phone.waitForCall("CONNECTED", timeout: .seconds(15))
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        _ = phone.daemon.stop()
        let heard = try WAVAudio(path: phone.record)
        // The 183's stream played for four seconds before the 200 (and SIPp's stream goes on after it).
        let a440 = heard.seconds(near: 440)
        #expect(a440 >= 1.5, "heard 440 Hz for \(a440) s of \(heard.seconds) s recorded")
    }

    @Test func aSendonlyReInviteIsAnsweredRecvonlyAndTheByeCarriesStatistics() async throws {
        let peer = try await sipp("sipp-call-hold.xml", arguments: ["-rtp_echo"])
        let phone = try await Phone.start(peerPort: peer.port, extra: "call_stats: 1\n")
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("CONNECTED")
        // The re-INVITE comes 1.5 s after the ACK; then the phone sends nothing.
        try await waitUntil("the hold is processed", timeout: .seconds(10)) { phone.daemon.log.contains("recvonly") }
        let before = sent(try await phone.calls())
        try await Task.sleep(for: .seconds(1))
        let after = sent(try await phone.calls())
        #expect(before > 0 && after == before, "packets sent while held: \(before) -> \(after)")
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "a=recvonly and RTP-RxStat/TxStat checked by SIPp: \(peer.log)")
    }

    @Test func anIncomingCallRingsIsAnsweredAndEndsWithTheCallersBye() async throws {
        let phone = try await Phone.start(peerPort: 9)   // no outgoing calls here
        defer { phone.stop() }
        let peer = try await SIPpProcess.start(scenario: "sipp-call-incoming.xml", timeout: .seconds(30),
                                               arguments: ["-rtp_echo", "127.0.0.1:\(phone.sipPort)"])
        let ringing = try await phone.waitForCall("RINGIN")
        #expect(ringing.contains("incoming  RINGIN  remote caller"), "\(ringing)")
        try await phone.test("test offhook")
        _ = try await phone.waitForCall("CONNECTED")
        #expect(await peer.exitCode(timeout: .seconds(15)) == 0, "PCMA chosen, ACK, BYE answered: \(peer.log)")
        try await waitUntil("the call is over") { try await phone.calls().contains("No calls") }
    }

    @Test func aScriptRunByDeskphoneCliDrivesAWholeCall() async throws {
        let peer = try await sipp("sipp-dialog-uas.xml", arguments: ["-rtp_echo"])
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        let dir = try TestSupport.temporaryDirectory("script")
        // `ping … count 2` is the script's pause: a second of call before `show calls`.
        try "test open\ntest offhook\ntest key 1000#\nping 127.0.0.1 count 2\nshow calls\ntest onhook\n"
            .write(toFile: dir + "/calls.txt", atomically: true, encoding: .utf8)
        let run = try await phone.daemon.cliScript(dir + "/calls.txt", password: "s3cret")
        #expect(run.code == 0, "\(run.output)\(run.errors)")
        #expect(run.output.contains("outgoing  CONNECTED  remote 1000"), "\(run.output)")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        try "test open\ntest key 1frob\nshow calls\n".write(toFile: dir + "/bad.txt", atomically: true, encoding: .utf8)
        let bad = try await phone.daemon.cliScript(dir + "/bad.txt", password: "s3cret")
        #expect(bad.code == 1, "a failing test command ends the script with status 1: \(bad.output)")
        #expect(!bad.output.contains("No calls"), "the script stopped at the failing command")
    }

    @Test func testCommandsAreRefusedAtTelnetLevelOne() async throws {
        let files = [
            "SIPDefault.cnf": "telnet_level: 1\nproxy1_address: 127.0.0.1\n",
            "SIP0011AABBCC42.cnf": "line1_name: 620\nphone_password: s3cret\n",
        ]
        let daemon = try await DaemonUnderTest.start(files: files, arguments: ["--sip-address", "127.0.0.1"])
        defer { _ = daemon.stop() }
        let r = try await daemon.cli(["test open"], password: "s3cret")
        #expect(r.code == 1, "\(r.output)")
        #expect(!r.output.contains("Test mode on"), "\(r.output)")
    }

    @Test func aRedirectIsFollowedToItsContact() async throws {
        let peer = try await sipp("sipp-call-redirect.xml")
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        let connected = try await phone.waitForCall("CONNECTED")
        #expect(connected.contains("remote desk2"), "\(connected)")
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "302 ACKed, new INVITE to the Contact: \(peer.log)")
    }

    @Test func redialCallsTheLastNumberAgain() async throws {
        let peer = try await SIPpProcess.start(scenario: "sipp-dialog-uas.xml", calls: 2, timeout: .seconds(30))
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("CONNECTED")
        try await phone.test("test onhook")
        try await waitUntil("the first call is over") { try await phone.calls().contains("No calls") }
        let idle = try await phone.test("test show")
        #expect(idle.contains("softkeys=[Redial] [NewCall] [CFwdAll] [more]"), "\(idle)")
        try await phone.test("test key soft1")   // Redial
        let again = try await phone.waitForCall("CONNECTED")
        #expect(again.contains("remote 1000"), "\(again)")
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "two calls: \(peer.log)")
    }

    @Test func digitsGoInBandWhenTheFarEndOffersNoTelephoneEvent() async throws {
        // sipp-dialog-uas answers PCMU alone; SIPp echoes the phone's RTP, so the phone hears
        // its own in-band digit.
        let peer = try await sipp("sipp-dialog-uas.xml", arguments: ["-rtp_echo"])
        let phone = try await Phone.start(peerPort: peer.port, playFrequency: nil)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("CONNECTED")
        try await Task.sleep(for: .milliseconds(500))
        try await phone.test("test key 5")
        try await Task.sleep(for: .milliseconds(800))
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        _ = phone.daemon.stop()
        let heard = try WAVAudio(path: phone.record)
        // DTMF 5 is 770 Hz + 1336 Hz (ITU-T Q.23): both strong in some 40 ms of the recording,
        // and a digit's neighbours (1 = 697 + 1209 Hz) not.
        let windows = stride(from: 0.0, to: heard.seconds - 0.04, by: 0.02)
        let five = windows.contains { heard.power(at: 770, from: $0, to: $0 + 0.04) > 1e6 && heard.power(at: 1336, from: $0, to: $0 + 0.04) > 1e6 }
        let one = windows.contains { heard.power(at: 697, from: $0, to: $0 + 0.04) > 1e6 && heard.power(at: 1209, from: $0, to: $0 + 0.04) > 1e6 }
        #expect(five && !one, "digit 5 in band: \(five), digit 1: \(one)")
        #expect(phone.daemon.log.contains("RTP: DTMF 5 in-band"))
        #expect(phone.daemon.log.contains("RTP: received DTMF 5 (in-band)"), "the echoed tone is detected as the digit")
    }

    @Test func tonesAreDetectedAsDigitsOnlyWhileNoTelephoneEventIsNegotiated() async throws {
        // The phone's microphone plays DTMF 5 (770 + 1336 Hz, made by sox), SIPp echoes it.
        func heardTheTone(scenario: String) async throws -> Bool {
            let peer = try await sipp(scenario, arguments: ["-rtp_echo"])
            let phone = try await Phone.start(peerPort: peer.port, playTones: [770, 1336])
            defer { phone.stop() }
            try await phone.test("test offhook", "test key 1000#")
            _ = try await phone.waitForCall("CONNECTED")
            try await Task.sleep(for: .milliseconds(1500))
            let rtp = try await phone.calls()
            try await phone.test("test onhook")
            #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
            #expect(!rtp.contains("received 0"), "the echo came back: \(rtp)")
            return phone.daemon.log.contains("RTP: received DTMF 5 (in-band)")
        }
        #expect(try await heardTheTone(scenario: "sipp-dialog-uas.xml"), "PCMU alone: the tone is the digit")
        #expect(try await !heardTheTone(scenario: "sipp-dialog-uas-avt.xml"),
                "telephone-event negotiated: digits come as events, the tone is only sound")
    }

    @Test func muteSendsSilenceNotNothing() async throws {
        let peer = try await sipp("sipp-dialog-uas.xml", arguments: ["-rtp_echo"])
        let phone = try await Phone.start(peerPort: peer.port)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        _ = try await phone.waitForCall("CONNECTED")
        try await Task.sleep(for: .seconds(1))
        try await phone.test("test key mute")
        let before = sent(try await phone.calls())
        try await Task.sleep(for: .seconds(1.5))
        let after = sent(try await phone.calls())
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        #expect(after - before > 50, "packets still go while muted: \(before) -> \(after)")
        _ = phone.daemon.stop()
        let heard = try WAVAudio(path: phone.record)
        let kHz = heard.seconds(near: 1000)
        #expect(kHz > 0.7 && kHz < 1.4, "the 1 kHz echoed back only until mute: \(kHz) s")
    }

    @Test func testCommandsNeedTestOpenAndKnowTheKeys() async throws {
        let phone = try await Phone.start(peerPort: 9)
        defer { phone.stop() }
        let closed = try await phone.daemon.cli(["test key 1"], password: "s3cret")
        #expect(closed.code == 1 && closed.output.contains("Test mode is not open: use 'test open' first"), "\(closed.output)")
        let bad = try await phone.daemon.cli(["test open", "test key 12frob"], password: "s3cret")
        #expect(bad.code == 1 && bad.output.contains("'frob' is not a key"), "\(bad.output)")
    }
}

/// WAV files made by sox (Debian's sox): the independent source of the tones the tests play.
enum Sox {
    /// `seconds` of a sine at `frequency` (nil: silence), 8 kHz mono, 16-bit or `encoding`.
    static func tone(frequency: Int?, seconds: Int, to path: String, encoding: String = "signed-integer") async throws {
        let synth = frequency.map { ["synth", String(seconds), "sine", String($0), "vol", "0.5"] } ?? ["trim", "0", String(seconds)]
        let bits = encoding == "signed-integer" ? ["-b", "16"] : ["-b", "8"]
        let input = frequency == nil ? ["-r", "8000", "-c", "1", "-n"] : ["-n"]
        try await run(input + ["-r", "8000", "-c", "1", "-e", encoding] + bits + [path] + synth, making: path)
    }

    static func run(_ arguments: [String], making path: String) async throws {
        let p = try ChildProcess("/usr/bin/sox", arguments)
        guard let status = await p.wait(timeout: .seconds(20)), ChildProcess.exitCode(status) == 0 else {
            throw TestFailure("sox failed for \(path)")
        }
    }
}

extension Sox {
    /// `seconds` of the sum of sines at `frequencies` (a DTMF digit: its row and column), 8 kHz mono 16-bit.
    static func tones(_ frequencies: [Int], seconds: Int, to path: String) async throws {
        try await run(["-r", "8000", "-c", String(frequencies.count), "-n", "-r", "8000", "-c", "1", "-e", "signed-integer", "-b", "16",
                       path, "synth", String(seconds)] + frequencies.flatMap { ["sine", String($0)] } + ["remix", "-", "vol", "0.5"],
                      making: path)
    }
}

/// The far end's RTP played by the test itself: the statistics the phone shows must match what
/// was sent, and packets it must refuse (too short, a wrong version, another SSRC, another
/// source) are counted by reason while the call goes on.
@Suite(.serialized) struct RTPRobustnessTests {
    static func rtp(seq: Int, ssrc: UInt32 = 0x1234_5678, version: UInt8 = 2) -> [UInt8] {
        var p: [UInt8] = [version << 6, 0, UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF)]
        let ts = UInt32(truncatingIfNeeded: seq * 160)
        p += [UInt8(ts >> 24), UInt8(ts >> 16 & 0xFF), UInt8(ts >> 8 & 0xFF), UInt8(ts & 0xFF)]
        p += [UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)]
        return p + [UInt8](repeating: 0xFF, count: 160)
    }

    /// A far end whose RTP is impaired as a real network would: reordered, duplicated, late
    /// by 120 ms and lost, then silent. The jitter buffer plays each packet once in order and
    /// conceals the holes, so the phone's recording of the 1 kHz stream has no silent 20 ms
    /// window while the stream lasts (three missing frames in a row at most here, and G.711
    /// concealment covers three), goes quiet once it stops (no endless repetition), and the
    /// statistics count exactly what was done to the stream.
    @Test func reorderedDuplicatedLateAndLostPacketsAreConcealedAndCounted() async throws {
        let media = try UDPSocket()
        let dir = try TestSupport.temporaryDirectory("rtp-impaired")
        let template = try String(contentsOfFile: TestSupport.repositoryRoot.appendingPathComponent("Tests/Peers/sipp-call-media.xml").path,
                                  encoding: .utf8)
        let scenario = dir + "/sipp-call-media.xml"
        try template.replacingOccurrences(of: "@MEDIAPORT@", with: String(media.port)).write(toFile: scenario, atomically: true, encoding: .utf8)
        try await Sox.tone(frequency: 1000, seconds: 6, to: dir + "/tone.ul", encoding: "mu-law")
        let ulaw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/tone.ul")))
        try #require(ulaw.count >= 250 * 160)
        let peer = try await SIPpProcess.start(scenario: scenario, timeout: .seconds(30))
        let phone = try await CallAcceptanceTests.Phone.start(peerPort: peer.port, playFrequency: nil)
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        let connected = try await phone.waitForCall("CONNECTED")
        guard let r = connected.range(of: "from 127.0.0.1:"), let phonePort = Int(connected[r.upperBound...].prefix { $0.isNumber }) else {
            Issue.record("no RTP port in \(connected)")
            return
        }
        func packet(_ seq: Int) -> [UInt8] {
            var p = Self.rtp(seq: seq)
            p.replaceSubrange(12..<172, with: ulaw[((seq - 1) * 160)..<(seq * 160)])
            return p
        }
        // What goes out at each 20 ms slot (slot n is seq n's own time).
        var slots = [[Int]](repeating: [], count: 251)
        for seq in 1...250 { slots[seq] = [seq] }
        slots[50] = [51]; slots[51] = [50]          // reordered
        slots[90] = [91]; slots[91] = [90]
        slots[70] = [70, 70]                         // one duplicate
        slots[130] = [130, 130, 130]                 // two more
        slots[110] = []; slots[116] = [116, 110]     // 110 arrives 120 ms late
        slots[150] = []; slots[151] = []; slots[200] = []   // lost
        let datagrams = slots.dropFirst().map { $0.map(packet) }
        // A thread of its own, absolute deadlines: the test pool's sleeps wake late under load.
        await SteadySender.run(datagrams, every: .milliseconds(20)) { slot in for d in slot { media.send(d, to: phonePort) } }
        try await Task.sleep(for: .milliseconds(1500))   // then silence
        let shown = try await phone.calls()
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        _ = phone.daemon.stop()   // RECORD complete
        print("impaired RTP, the phone's statistics:\n\(shown)")
        #expect(shown.contains("received 247  lost 3"), "247 distinct packets of 250, 3 lost: \(shown)")
        #expect(shown.contains("out of order 3  duplicates 3"), "\(shown)")
        let late = shown.range(of: "late ").flatMap { Int(shown[$0.upperBound...].prefix { $0.isNumber }) } ?? -1
        let concealed = shown.range(of: "concealed ").flatMap { Int(shown[$0.upperBound...].prefix { $0.isNumber }) } ?? -1
        #expect((0...1).contains(late), "only 110 can be late: \(late)")
        #expect(concealed >= 3, "the three lost frames at least were concealed: \(concealed)")

        let heard = try WAVAudio(path: phone.record)
        let windows = stride(from: 0, to: heard.samples.count - 160, by: 160).map { heard.rms(from: Double($0) / 8000, to: Double($0 + 160) / 8000) }
        // The stream's 1 kHz windows (the handset heard the ringback tone before it, and a
        // pause until the test's first packet).
        let stream = windows.indices.filter {
            windows[$0] > 500 && abs(heard.frequency(from: Double($0) / 50, to: Double($0 + 1) / 50) - 1000) < 50
        }
        let first = try #require(stream.first, "the phone heard no 1 kHz"), last = try #require(stream.last)
        let silentInside = (first...last).filter { windows[$0] <= 500 }.count
        print("impaired RTP: 1 kHz heard for \(Double(last - first + 1) / 50) s, \(silentInside) silent 20 ms windows in it, "
              + "\(Double(windows.count - 1 - last) / 50) s of silence after it")
        #expect(Double(last - first + 1) / 50 > 4.8, "the 5 s stream was heard for \(Double(last - first + 1) / 50) s")
        #expect(silentInside == 0, "\(silentInside) silent windows while the stream lasted")
        #expect(Double(windows.count - 1 - last) / 50 >= 1.0, "quiet after the stream stopped")
        #expect(heard.seconds(near: 1000) > 4.5, "1 kHz for \(heard.seconds(near: 1000)) s")
    }

    @Test func garbageAndForeignPacketsAreCountedAndTheCallGoesOn() async throws {
        let media = try UDPSocket(), intruder = try UDPSocket()
        let dir = try TestSupport.temporaryDirectory("rtp")
        let template = try String(contentsOfFile: TestSupport.repositoryRoot.appendingPathComponent("Tests/Peers/sipp-call-media.xml").path,
                                  encoding: .utf8)
        let scenario = dir + "/sipp-call-media.xml"
        try template.replacingOccurrences(of: "@MEDIAPORT@", with: String(media.port)).write(toFile: scenario, atomically: true, encoding: .utf8)
        let peer = try await SIPpProcess.start(scenario: scenario, timeout: .seconds(30))
        let phone = try await CallAcceptanceTests.Phone.start(peerPort: peer.port, extra: "call_stats: 1\n")
        defer { phone.stop() }
        try await phone.test("test offhook", "test key 1000#")
        let connected = try await phone.waitForCall("CONNECTED")
        guard let r = connected.range(of: "from 127.0.0.1:"), let phonePort = Int(connected[r.upperBound...].prefix { $0.isNumber }) else {
            Issue.record("no RTP port in \(connected)")
            return
        }
        var phoneSent = 0
        func drain() async { while await media.receive(timeout: .milliseconds(1)) != nil { phoneSent += 1 } }
        for seq in 1...100 {
            media.send(Self.rtp(seq: seq), to: phonePort)
            if seq % 10 == 0 { await drain() }
        }
        media.send([0x80, 0, 1], to: phonePort)                              // shorter than a header
        media.send(Self.rtp(seq: 101, version: 1), to: phonePort)            // RTP version 1
        for seq in 101...105 { media.send(Self.rtp(seq: seq, ssrc: 0x0BAD_0BAD), to: phonePort) }   // another SSRC
        for seq in 101...103 { intruder.send(Self.rtp(seq: seq), to: phonePort) }                    // another source
        for seq in 101...150 {
            media.send(Self.rtp(seq: seq), to: phonePort)
            if seq % 10 == 0 { await drain() }
        }
        var shown = ""
        try await waitUntil("the phone counted 150 packets", timeout: .seconds(5)) {
            shown = try await phone.calls()
            return shown.contains("RTP-RxStat: Dur=") && shown.contains(",Pkt=150,")
        }
        #expect(shown.contains("dropped: wrongSource 3, badVersion 1, tooShort 1, wrongSSRC 5"), "\(shown)")
        #expect(shown.contains("lost 0"), "\(shown)")
        #expect(shown.contains("CONNECTED"), "the call goes on: \(shown)")
        try await Task.sleep(for: .seconds(1))
        try await phone.test("test onhook")
        #expect(await peer.exitCode(timeout: .seconds(10)) == 0, "\(peer.log)")
        // The last packets: read until 300 ms pass without one.
        while await media.receive(timeout: .milliseconds(300)) != nil { phoneSent += 1 }
        // What the phone says it sent (RTP-TxStat in its BYE) against what arrived here.
        let log = phone.daemon.log
        guard let tx = log.range(of: "RTP-TxStat: Dur="), let pkt = log[tx.upperBound...].range(of: "Pkt="),
              let told = Int(log[pkt.upperBound...].prefix { $0.isNumber }) else {
            Issue.record("no RTP-TxStat in the BYE")
            return
        }
        #expect(told > 50 && abs(told - phoneSent) <= max(2, told / 50), "BYE says \(told) sent, \(phoneSent) arrived")
    }
}
