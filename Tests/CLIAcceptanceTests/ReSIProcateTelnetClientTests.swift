import Foundation
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// reSIProcate's test driver for the reference phone (tfm/TelnetClient.cxx, `Cisco7960Client`),
/// replayed byte for byte and with its timing against the real daemon. It was written against
/// the real phone, so the phone must work with it as it is:
/// - every write carries one byte more than the data (`size()+1`: the string's NUL), so the
///   option burst ends in NUL and every command in CR NUL;
/// - each `read()` clears the buffer and reads 1024-byte chunks until two seconds of silence
///   (Netxx::Timeout(2)), dropping every 0xFF and the two bytes after it, per chunk;
/// - `expect(intro)` compares that buffer with `"\r\n\r\nPassword :"` before reading again
///   (100 ms apart): the phone's whole first burst, telnet commands dropped, must be exactly
///   the guide's greeting. A byte more (an echo, a subnegotiation, a split command) and the
///   driver waits for ever.
/// So the prompt may come at once, in the same burst as the option offers: the first read
/// takes it and `expect(intro)` matches before it reads again. What the phone must keep is
/// that burst's shape: whole 3-byte IAC commands (one write each, no IAC SB), no echo while
/// the client has not agreed to WILL ECHO, and the NUL after the burst ignored at the prompt.
@Suite(.serialized) struct ReSIProcateTelnetClientTests {
    /// The driver's connection: a plain TCP socket, as Netxx::Stream gives it.
    final class Driver: @unchecked Sendable {
        let fd: Int32
        var buffer: [UInt8] = []
        /// What each read() returned before its two seconds of silence, for failure messages.
        var reads: [String] = []

        init(port: Int) throws {
            fd = try Sockets.connect(port: port).get()
        }
        deinit { close(fd) }

        /// `TelnetClient::send`: the data, CR when `newline`, and the terminating NUL.
        func send(_ data: [UInt8], newline: Bool = true) {
            _ = Sockets.send(fd, data + (newline ? [0x0D] : []) + [0x00])
        }
        func send(_ text: String) { send(Array(text.utf8)) }

        /// `TelnetClient::read`: until two seconds pass without a byte.
        func read() async {
            buffer.removeAll()
            var silentSince = ContinuousClock.now
            while ContinuousClock.now - silentSince < .seconds(2) {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 0) > 0 {
                    var chunk = [UInt8](repeating: 0, count: 1024)
                    let n = recv(fd, &chunk, chunk.count, 0)
                    if n <= 0 { break }
                    var i = 0
                    while i < n {
                        if chunk[i] == 0xFF { i += 3 } else { buffer.append(chunk[i]); i += 1 }
                    }
                    silentSince = ContinuousClock.now
                    continue
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            reads.append(text)
        }

        /// `TelnetClient::expect(expects)`, bounded here so a hang fails the test.
        func expect(_ expected: String, within attempts: Int = 5) async -> Bool {
            var n = 0
            while buffer != Array(expected.utf8) {
                guard n < attempts else { return false }
                try? await Task.sleep(for: .milliseconds(100))
                await read()
                n += 1
            }
            return true
        }

        var text: String { String(decoding: buffer, as: UTF8.self) }
    }

    @Test(.timeLimit(.minutes(2))) func cisco7960ClientLogsInAndRunsCommands() async throws {
        let daemon = try await DaemonUnderTest.start(files: CLIFiles.files())
        let driver = try Driver(port: try #require(daemon.telnetPort))
        // TelnetClient::TelnetClient: DO SGA, WILL TTYPE, WILL TSPEED, WILL TSPEED; expect().
        driver.send([0xFF, 0xFD, 0x03, 0xFF, 0xFB, 0x18, 0xFF, 0xFB, 0x20, 0xFF, 0xFB, 0x20], newline: false)
        await driver.read()
        // Cisco7960Client::Cisco7960Client: expect(intro), then the password.
        #expect(await driver.expect("\r\n\r\nPassword :"), "the driver would wait for ever; reads: \(driver.reads)")
        driver.send("s3cret")
        await driver.read()
        #expect(driver.text.hasSuffix("SIP Phone> "), "login: \(driver.text.debugDescription)")
        driver.send("show version")
        await driver.read()
        #expect(driver.text.contains("Deskphone "), "show version: \(driver.text.debugDescription)")
        #expect(driver.text.hasSuffix("SIP Phone> "))
        // The driver's steps as it sends them: `test open`, `test offhook`, `test key <digits>`,
        // `test key soft<N>`, `test onhook`, and `test close` before `exit` (~TelnetClient).
        for (command, answer) in [("test open", "Test mode on"), ("test offhook", ""), ("test key 2000", ""),
                                  ("test key soft2", ""), ("test onhook", ""), ("test close", "Test mode off")] {
            driver.send(command)
            await driver.read()
            #expect((answer.isEmpty || driver.text.contains(answer)) && driver.text.hasSuffix("SIP Phone> "), "\(command): \(driver.text.debugDescription)")
            #expect(!driver.text.contains("%"), "\(command) failed: \(driver.text.debugDescription)")
        }
        // ~TelnetClient: exit, then close; the phone closes the session.
        driver.send("exit")
        await driver.read()
        var p = pollfd(fd: driver.fd, events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        #expect(poll(&p, 1, 0) > 0 && recv(driver.fd, &byte, 1, 0) == 0, "the session ended")
        try await waitUntil("the daemon logs the closed session") { daemon.log.contains("closed") }
    }
}
