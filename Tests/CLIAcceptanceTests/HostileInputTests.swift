import Foundation
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Garbage on the telnet port: the daemon survives and other sessions keep their pace.
@Suite(.serialized) struct HostileInputTests {
    @Test func randomBytesOverlongLinesAndHalfOpenConnectionsAreSurvived() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let port = try #require(daemon.telnetPort)

        // A baseline round trip for a well-behaved client.
        let before = ContinuousClock.now
        #expect(try await daemon.cli(["show version"], password: "s3cret").code == 0)
        let baseline = ContinuousClock.now - before

        // Half-open: connects, never speaks.
        var idle: [Int32] = []
        for _ in 0..<3 { if case .success(let fd) = Sockets.connect(port: port) { idle.append(fd) } }
        defer { idle.forEach { close($0) } }

        // 1 MB of random bytes, telnet commands included, on several connections at once.
        let hostile = Task.detached {
            var rng = SystemRandomNumberGenerator()
            for round in 0..<4 {
                // From 127.0.0.2: the random lines are wrong passwords, and the back-off they earn
                // belongs to their address, not to the normal client's 127.0.0.1.
                guard case .success(let fd) = Sockets.connect(port: port, from: "127.0.0.2") else { continue }
                var bytes = [UInt8](repeating: 0, count: 256 * 1024)
                for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
                if round == 1 { bytes = [UInt8](repeating: UInt8(ascii: "A"), count: 256 * 1024) + [13, 10] }  // over-long line
                if round == 2 { bytes = Array(repeating: [255, 250, 31], count: 50_000).flatMap { $0 } }   // endless SB
                _ = Sockets.send(fd, bytes)
                close(fd)
            }
        }
        // Meanwhile a normal session still works at its usual pace.
        let during = ContinuousClock.now
        let r = try await daemon.cli(["show version", "show network"], password: "s3cret")
        let elapsed = ContinuousClock.now - during
        await hostile.value
        #expect(r.code == 0, "the normal session failed:\n\(r.output)\n\(r.errors)")
        #expect(r.output.contains("Interface: "))
        // The bound has room for a loaded machine (the whole suite runs beside this test, and the
        // CLI client is a process of its own): 2 s of slack once failed CI with nothing wrong.
        // A daemon busy chewing the garbage would still miss it, and the client's own 20 s limit.
        #expect(elapsed < baseline * 20 + .seconds(8), "a normal session took \(elapsed) (baseline \(baseline))")
        #expect(daemon.process.reap() == nil, "the daemon died:\n\(daemon.log)")
        // and afterwards
        let afterStart = ContinuousClock.now
        let after = try await daemon.cli(["show status"], password: "s3cret")
        let afterElapsed = ContinuousClock.now - afterStart
        #expect(afterElapsed < baseline * 20 + .seconds(8), "show status afterwards took \(afterElapsed) (baseline \(baseline))")
        #expect(after.code == 0, "show status afterwards:\n\(after.output)\n\(after.errors)\ndaemon log (end):\n\(daemon.log.suffix(6000))")
    }

    /// 2 MB typed at the password prompt by a client that reads what comes back and stays:
    /// all of it is read and refused past the 512-byte cap, and the answer to the line comes
    /// within seconds. Counting the line again for every refused character once made such a
    /// flood take the phone's loop for tens of seconds (a login beside it timed out).
    @Test func aFloodedPasswordLineIsAnsweredWithinSeconds() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let port = try #require(daemon.telnetPort)
        guard case .success(let fd) = Sockets.connect(port: port, from: "127.0.0.3") else { Issue.record("no connection"); return }
        defer { close(fd) }
        _ = await Sockets.receive(fd, timeout: .milliseconds(300))   // the prompt
        let start = ContinuousClock.now
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 16 * 1024)
        var echoed: [UInt8] = []
        for _ in 0..<128 {
            #expect(Sockets.send(fd, chunk))
            echoed += await Sockets.receive(fd, timeout: .zero)
        }
        #expect(Sockets.send(fd, [13, 10]))
        var answer: [UInt8] = []
        while !String(decoding: answer, as: UTF8.self).contains("% Password incorrect"), ContinuousClock.now - start < .seconds(20) {
            answer += await Sockets.receive(fd, timeout: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - start
        let text = String(decoding: echoed + answer, as: UTF8.self)
        #expect(text.contains("% Password incorrect"), "no answer to the line after \(elapsed)")
        #expect(!text.contains("A"), "a password is never echoed")
        #expect(elapsed < .seconds(20), "2 MB took the loop \(elapsed)")
        #expect(daemon.process.reap() == nil)
    }

    @Test func wrongPasswordsAreCutOff() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let port = try #require(daemon.telnetPort)
        guard case .success(let fd) = Sockets.connect(port: port) else { Issue.record("no connection"); return }
        defer { close(fd) }
        let start = ContinuousClock.now
        for guess in ["one", "two", "three"] { _ = Sockets.send(fd, Array("\(guess)\r\n".utf8)) }
        let text = String(decoding: await Sockets.receive(fd, timeout: .seconds(8)).filter { $0 < 128 }, as: UTF8.self)
        #expect(text.contains("Password :"))
        #expect(text.contains("% Password incorrect"))
        #expect(text.contains("% Login failed: too many wrong passwords; closing the session"))
        #expect(ContinuousClock.now - start >= .seconds(3), "1 s + 2 s of back-off before the third answer")
        // the connection is closed: a further send fails or reads EOF
        #expect(await Sockets.receive(fd, timeout: .milliseconds(300)).isEmpty)
    }
}
