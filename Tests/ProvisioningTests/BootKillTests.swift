import Foundation
import TestKit
import Testing
@testable import Provisioning

#if canImport(Glibc)
import Glibc
#endif

/// Power loss (issue 17, item 3): kill -9 at random moments during each kind of flash write
/// the phone does, 100 times each; after every kill the phone boots on whole files with the
/// last good configuration. The kinds, found by every write through FlashStore in Sources/:
///
/// - the store's own atomic write (temporary file, fsync, rename): FlashAtomicityTests
///   (FlashStoreTests.swift), the primitive every kind below goes through;
/// - the configuration fetched by TFTP and cached in flash (`config/`, BootSequence): here;
/// - the firmware slots (image, executable, manifest, the active marker, the trial record):
///   SlotAtomicityTests (install and activate) and UpgradeKillTests (the loader's trial
///   counting and rollback, the TFTP download, the write, the switch, the upgrade record);
/// - settings saved on the phone: none. `local.cnf` and `network.cnf` are read at boot but the
///   phone never writes them (no CLI or menu command saves a setting), and call lists are not
///   kept in flash. `erase protflash` only removes files (unlink), which cannot leave a torn one.
@Suite struct BootKillTests {
    static let mac = "00:11:AA:BB:CC:42"
    static let phoneFile = "SIP0011AABBCC42.cnf"
    /// The parameter each file's generation is carried by, and its prefix.
    static let carriers = ["SIPDefault.cnf": ("messages_uri", "d"), phoneFile: ("phone_label", "p")]

    /// kill -9 of a process that runs the phone's boot over and over (flash-writer boot: the
    /// real BootSequence fetching a new generation of SIPDefault.cnf and SIP<MAC>.cnf from
    /// tftpd-hpa each time and caching both in flash), at random moments, 100 times. After each
    /// kill the boot with no server (what a phone that lost power and network does) runs on the
    /// flash copies: each whole (its trailer's length and sum check), each the generation last
    /// saved or the one being saved when the kill came (never older: the last good copy is not
    /// lost), and the configuration booted carries exactly those generations. Every twentieth
    /// time the real deskphoned boots on that flash and `show config` says the same.
    @Test(.timeLimit(.minutes(3))) func killNineDuringTheBootsFlashWritesLeavesWholeFilesAndTheLastGoodConfiguration() async throws {
        let writer = try TestSupport.product("flash-writer")
        let server = try await TFTPServerProcess.start(files: [:])
        defer { server.stop() }
        let dir = try TestSupport.temporaryDirectory("boot-kill")
        let flash = dir + "/flash"
        let mac = try #require(MACAddress(Self.mac))
        var rng = KillSeed.forTest("BootKillTests")
        let started = ContinuousClock.now
        var kills = 0, killsLeavingAFlashTemporary = 0, killsAfterASave = 0, daemonBoots = 0, killsOnAWrite = 0, partialTemporaries = 0
        var generationsSeen = Set<Int>()
        /// The generation of each flash copy after the previous round.
        var previous: [String: Int] = [:]
        for round in 0..<100 {
            let out = dir + "/writer-\(round).out"
            let p = try ChildProcess(writer, ["boot", flash, server.directory.path, String(server.port), String(round * 1000)],
                                     stdout: out, stderr: out + ".err")
            func said() -> String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
            try await Self.poll("flash-writer started") { said().contains("started") || p.reap() != nil }
            // A third at a random moment of the first boots; a third a random 0-5 ms after the
            // writer says it serves its 1st to 3rd generation (inside that boot's fetches or
            // writes); a third a random 0-1.5 ms after a temporary file of the flash store
            // shows up in config/ (a flash write began: it is a few percent of a boot, which
            // random moments alone seldom hit).
            switch round % 3 {
            case 0:
                try await Task.sleep(for: .microseconds(Int.random(in: 0...150_000, using: &rng)))
                kill(p.pid, SIGKILL)
            case 1:
                let wanted = Int.random(in: 1...3, using: &rng)
                try await Self.poll("flash-writer serving its generation \(wanted)") {
                    said().components(separatedBy: "serving ").count > wanted || p.reap() != nil
                }
                try await Task.sleep(for: .microseconds(Int.random(in: 0...5_000, using: &rng)))
                kill(p.pid, SIGKILL)
            default:
                let skip = Int.random(in: 0...3, using: &rng), delay = UInt32.random(in: 0...1500, using: &rng)
                let seen = await Self.killOnAWrite(p.pid, folder: flash + "/config", skipping: skip, after: delay)
                #expect(seen, "round \(round): no flash write seen within 30 s")
                killsOnAWrite += 1
            }
            let status = await p.wait(timeout: .seconds(10))
            let log = said()
            #expect(status.map { $0 & 0x7F } == SIGKILL, "round \(round): the writer was not killed by the test (status \(String(describing: status))): \(log) \((try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "")")
            kills += 1

            // A temporary file left in the flash: the kill landed inside a flash write.
            let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: flash + "/config")) ?? []).filter { $0.contains(".tmp.") }
            if !leftovers.isEmpty { killsLeavingAFlashTemporary += 1 }
            // A temporary that is not a whole file: the kill came inside the write itself.
            for name in leftovers {
                guard let data = FileManager.default.contents(atPath: flash + "/config/" + name),
                      let target = Self.carriers.keys.first(where: { name.hasPrefix("." + $0 + ".tmp.") }) else { continue }
                if (try? Self.verify(Array(data), name: target, round: round)) == nil { partialTemporaries += 1 }
            }

            let lines = log.split(separator: "\n")
            let saved = lines.compactMap { $0.hasPrefix("saved ") ? Int($0.dropFirst(6)) : nil }.last
            let serving = lines.compactMap { $0.hasPrefix("serving ") ? Int($0.dropFirst(8)) : nil }.last
            if saved != nil { killsAfterASave += 1 }

            // The next boot: opening the store clears the temporaries; then no server at all.
            let store = try FlashStore(root: flash)
            let report = await BootSequence(flash: store, source: nil, mac: mac, model: .cp7960).run()
            var now: [String: Int] = [:]
            for (name, (parameter, prefix)) in Self.carriers {
                guard let bytes = try store.read(BootSequence.copies + "/" + name) else {
                    // Only before the first boot of all got as far as writing this file.
                    #expect(previous[name] == nil && saved == nil, "round \(round): the flash copy of \(name) is gone")
                    continue
                }
                let generation = try Self.verify(bytes, name: name, round: round)
                now[name] = generation
                generationsSeen.insert(generation)
                // The last saved generation, or the one in flight; before a save in this round,
                // what the flash held before it, or this round's generation in flight.
                let allowed = Set([saved ?? previous[name], serving].compactMap { $0 })
                #expect(allowed.contains(generation),
                        "round \(round): \(name) holds generation \(generation), expected one of \(allowed.sorted()) (log: \(log.suffix(300)))")
                #expect(report.configuration.text(parameter) == prefix + String(generation),
                        "round \(round): booted \(parameter) = \(report.configuration.text(parameter) ?? "nil") from \(name) generation \(generation)")
                let outcome = report.files.first { $0.name == name }?.outcome
                #expect({ if case .flashCopy = outcome { true } else { false } }(), "round \(round): \(name): \(String(describing: outcome))")
            }
            #expect(!report.diagnostics.contains { $0.severity == .error }, "round \(round): \(report.diagnostics)")
            previous = now

            // The real daemon on that flash, with nothing to fetch from, every twentieth round.
            if round % 20 == 19, let d = now["SIPDefault.cnf"], let g = now[Self.phoneFile] {
                try await Self.daemonBootsOn(flash: flash, in: dir + "/daemon-\(round)", messages: "d\(d)", label: "p\(g)")
                daemonBoots += 1
            }
        }
        let elapsed = ContinuousClock.now - started
        print("boot kills: \(kills) in \(elapsed), leaving a temporary file in the flash (mid-write): \(killsLeavingAFlashTemporary) (\(killsOnAWrite) were sent on seeing a write begin; temporaries torn, not yet whole: \(partialTemporaries)), after at least one save: \(killsAfterASave), generations seen in flash: \(generationsSeen.count), deskphoned boots on the killed flash: \(daemonBoots)")
        #expect(kills == 100)
        #expect(daemonBoots == 5)
        #expect(generationsSeen.count > 50, "the writer barely ran: \(generationsSeen.count) generations")
        #expect(killsLeavingAFlashTemporary >= 10, "only \(killsLeavingAFlashTemporary) of \(kills) kills landed inside a flash write")
    }

    /// deskphoned on `flash` with an empty provisioning folder: boots on the flash copies, and
    /// `show config` shows the parameters of exactly those copies.
    static func daemonBootsOn(flash: String, in dir: String, messages: String, label: String) async throws {
        try FileManager.default.createDirectory(atPath: dir + "/tftpboot", withIntermediateDirectories: true)
        let daemon = try await DaemonUnderTest.launch(
            ["--provision", dir + "/tftpboot", "--flash", flash, "--mac", mac, "--telnet", "127.0.0.1:0", "--config", "/dev/null"],
            in: dir)
        defer { daemon.stop() }
        let log = daemon.log
        #expect(log.contains("SIPDefault.cnf: not found") && log.contains("booting on the last good copy from flash"), "\(log)")
        #expect(!log.contains("invalid"), "\(log)")
        let r = try await daemon.cli(["show config"])
        #expect(r.code == 0, "\(r.errors)")
        let shown = r.output.split(separator: "\n")
        #expect(shown.contains { $0.hasPrefix("messages_uri ") && $0.contains(" \(messages)") }, "\(r.output)")
        #expect(shown.contains { $0.hasPrefix("phone_label ") && $0.contains(" \(label)") }, "\(r.output)")
    }

    /// The generation of a whole flash-writer .cnf file; throws for a torn or mixed one.
    static func verify(_ bytes: [UInt8], name: String, round: Int) throws -> Int {
        guard bytes.last == 0x0A, let t = bytes.dropLast().lastIndex(of: 0x0A) else {
            throw TestFailure("round \(round): \(name) has no trailer (torn)")
        }
        let body = bytes[..<(t + 1)]
        let trailer = String(decoding: bytes[(t + 1)..<(bytes.count - 1)], as: UTF8.self)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in body { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        guard trailer == "# end len=\(body.count) sum=\(h)" else {
            throw TestFailure("round \(round): \(name) is torn or mixed: trailer '\(trailer.prefix(80))' for \(body.count) bytes")
        }
        let text = String(decoding: body, as: UTF8.self)
        guard text.hasPrefix("# generation "), let generation = Int(text.dropFirst(13).prefix { $0.isNumber }),
              text.hasPrefix("# generation \(generation) of \(name)\n") else {
            throw TestFailure("round \(round): \(name) has no header")
        }
        let (parameter, prefix) = carriers[name] ?? ("", "")
        guard text.hasSuffix("\n\(parameter): \(prefix)\(generation)\n") else {
            throw TestFailure("round \(round): \(name) generation \(generation) lacks its \(parameter) line")
        }
        return generation
    }

    /// On a thread of its own (it spins): waits until a temporary file of the flash store has
    /// appeared in `folder` `skipping` + 1 times, then `after` µs later kills `pid`. False when
    /// none appeared within 30 s (the process is killed anyway).
    static func killOnAWrite(_ pid: pid_t, folder: String, skipping: Int, after: UInt32) async -> Bool {
        await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            Thread {
                let deadline = ContinuousClock.now + .seconds(30)
                var seen = 0, inWrite = false
                while ContinuousClock.now < deadline {
                    let now = hasTemporary(in: folder)
                    if now && !inWrite { seen += 1 }
                    inWrite = now
                    if seen > skipping { break }
                    usleep(20)
                }
                if seen > skipping && after > 0 { usleep(after) }
                kill(pid, SIGKILL)
                done.resume(returning: seen > skipping)
            }.start()
        }
    }

    /// Whether a temporary file of the flash store (`.NAME.tmp.PID.N`) is in `folder`.
    static func hasTemporary(in folder: String) -> Bool {
        guard let dir = opendir(folder) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let found = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { strstr($0, ".tmp.") != nil }
            }
            if found { return true }
        }
        return false
    }

    /// Polls every 2 ms (the moment matters here), at most 30 s.
    static func poll(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
