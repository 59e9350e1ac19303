import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// baresip 1.0 (Debian's baresip-core) as the far-end phone (PEERS.md): one account at a
/// registrar, auto-answer, its microphone a WAV file (`aufile`), everything it sends and hears
/// written by `sndfile` to `…-enc.wav` / `…-dec.wav` in `recordings`, and its `ctrl_tcp`
/// socket for commands (`dial`, `hangup`: the `menu` module's) and events (CALL_ESTABLISHED, CALL_DTMF_START …).
public final class BaresipProcess: @unchecked Sendable {
    public static let executable = "/usr/bin/baresip"
    public let directory: String
    public let recordings: String
    public let sipPort: Int
    public let controlPort: Int
    let process: ChildProcess
    private var control: Int32 = -1
    private var received: [UInt8] = []

    /// `account`: e.g. `sip:1002@127.0.0.1:KPORT`; `password` for its digest; `play` the WAV
    /// its microphone reads.
    public static func start(account: String, password: String, play: String) async throws -> BaresipProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("baresip is not installed: run scripts/install-deps.sh test")
        }
        let dir = try TestSupport.temporaryDirectory("baresip")
        let recordings = dir + "/recordings"
        try FileManager.default.createDirectory(atPath: recordings, withIntermediateDirectories: true)
        let sipPort = try Sockets.freeUDPAndTCPPort(), controlPort = try Sockets.freeTCPPort()
        let config = """
            sip_listen 127.0.0.1:\(sipPort)
            module_path /usr/lib/baresip/modules
            module g711.so
            module aufile.so
            module aubridge.so
            module sndfile.so
            module account.so
            module ctrl_tcp.so
            module menu.so
            audio_source aufile,\(play)
            audio_player aubridge,discard
            snd_path \(recordings)
            ctrl_tcp_listen 127.0.0.1:\(controlPort)
            rtp_stats yes

            """
        try config.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        try "<\(account);transport=udp>;auth_pass=\(password);answermode=auto;ptime=20;audio_codecs=PCMU/8000/1,PCMA/8000/1\n"
            .write(toFile: dir + "/accounts", atomically: true, encoding: .utf8)
        // -n 127.0.0.1: its SDP then names loopback (`net_interface lo` fails, PEERS.md).
        let p = try ChildProcess(executable, ["-f", dir, "-n", "127.0.0.1"], stdout: dir + "/baresip.log", stderr: dir + "/baresip.err")
        let b = BaresipProcess(directory: dir, recordings: recordings, sipPort: sipPort, controlPort: controlPort, process: p)
        try await waitUntil("baresip is registered", timeout: .seconds(10)) {
            if p.reap() != nil { throw TestFailure("baresip exited: \(b.log)") }
            return b.log.contains("200 OK")
        }
        guard case .success(let fd) = Sockets.connect(port: controlPort) else { throw TestFailure("ctrl_tcp: no connection") }
        b.control = fd
        return b
    }

    init(directory: String, recordings: String, sipPort: Int, controlPort: Int, process: ChildProcess) {
        self.directory = directory
        self.recordings = recordings
        self.sipPort = sipPort
        self.controlPort = controlPort
        self.process = process
    }

    deinit {
        if control >= 0 { close(control) }
        process.terminate()
    }

    public var log: String { (try? String(contentsOfFile: directory + "/baresip.log", encoding: .utf8)) ?? "" }

    /// A ctrl_tcp command, netstring-framed JSON.
    public func command(_ name: String, _ params: String = "") {
        let json = "{\"command\":\"\(name)\",\"params\":\"\(params)\",\"token\":\"t\"}"
        _ = Sockets.send(control, Array("\(json.utf8.count):\(json),".utf8))
    }

    /// Every event type/param seen so far on the control socket, as `TYPE param` lines.
    public func events() async -> [String] {
        received += await Sockets.receive(control, timeout: .milliseconds(100))
        let text = String(decoding: received, as: UTF8.self)
        return text.components(separatedBy: "{\"event\":true,").dropFirst().map { e in
            func field(_ name: String) -> String {
                guard let r = e.range(of: "\"\(name)\":\"") else { return "" }
                return String(e[r.upperBound...].prefix { $0 != "\"" })
            }
            return field("type") + " " + field("param")
        }
    }

    /// Waits until an event line starting with `prefix` has been seen.
    public func waitForEvent(_ prefix: String, timeout: Duration = .seconds(10)) async throws {
        try await waitUntil("baresip event \(prefix)", timeout: timeout) { await self.events().contains { $0.hasPrefix(prefix) } }
    }

    /// The recordings of the last call: what baresip sent (`enc`) and heard (`dec`).
    public func recording(_ kind: String) -> String? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: recordings)) ?? []
        return files.filter { $0.hasSuffix("-\(kind).wav") }.sorted().last.map { recordings + "/" + $0 }
    }

    public func stop() { process.terminate() }
}
