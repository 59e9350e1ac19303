import Foundation
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The serial console on a pty: deskphoned opens the slave as its console device; the test
/// types on the master like a person at a terminal.
@Suite(.serialized) struct SerialConsoleTests {
    final class Terminal {
        let master: Int32
        let slavePath: String
        var seen = ""

        init() throws {
            var m: Int32 = -1, s: Int32 = -1
            var name = [CChar](repeating: 0, count: 128)
            guard openpty(&m, &s, &name, nil, nil) == 0 else { throw TestFailure("openpty: \(errno)") }
            close(s)   // deskphoned opens the slave by name
            master = m
            slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        deinit { close(master) }

        func type(_ text: String) { _ = text.utf8CString.dropLast().withUnsafeBytes { write(master, $0.baseAddress, $0.count) } }

        /// Reads until `text` has appeared since the last call, returning everything read.
        @discardableResult
        func expect(_ text: String, timeout: Duration = .seconds(10)) throws -> String {
            let deadline = ContinuousClock.now + timeout
            while !seen.contains(text) {
                guard ContinuousClock.now < deadline else { throw TestFailure("no '\(text)' on the console; saw:\n\(seen)") }
                var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 50) > 0 else { continue }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = read(master, &chunk, chunk.count)
                if n > 0 { seen += String(decoding: chunk[0..<n], as: UTF8.self) }
            }
            let range = seen.range(of: text)!
            let upTo = String(seen[..<range.upperBound])
            seen = String(seen[range.upperBound...])
            return upTo
        }
    }

    @Test func editingKeysHistoryAndCompletionOnAPty() async throws {
        let tty = try Terminal()
        let daemon = try await DaemonUnderTest.start(
            files: CLIFiles.files(), arguments: ["--console", tty.slavePath, "--console-speed", "115200"])
        try await daemon.waitFor("console on \(tty.slavePath)")

        try tty.expect("Password :")
        tty.type("s3cret\r")
        try tty.expect("******")
        try tty.expect("SIP Phone> ")

        // "sow", two left arrows, insert "h" → "show"; " versiom", backspace, "n"
        tty.type("sow\u{1B}[D\u{1B}[Dh")
        tty.type("\u{1B}[C\u{1B}[C versiom\u{7F}n\r")
        try tty.expect("Deskphone ")
        try tty.expect("SIP Phone> ")

        // history: up arrow recalls "show version"
        tty.type("\u{1B}[A\r")
        try tty.expect("Model:")
        try tty.expect("SIP Phone> ")

        // Tab completion: "sh<Tab>fla<Tab>" → "show flash "
        tty.type("sh\tfla\t\r")
        try tty.expect("Flash: ")
        try tty.expect("SIP Phone> ")

        // ? lists what may follow, then the line is still there
        tty.type("show ?")
        let help = try tty.expect("version")
        #expect(help.contains("network"))
        tty.type("\u{15}exit\r")    // Ctrl-U clears "show ", then exit
        try tty.expect("Password :")   // a new console session starts
        #expect(daemon.process.reap() == nil)
    }
}
