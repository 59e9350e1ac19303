import TextUtilities
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `deskphone cli HOST[:PORT] [--password-file F] (-c COMMAND … | -f SCRIPT)`: runs CLI
/// commands over telnet without a person (GUIDE.md §4.5's automation, `test key …`).
struct CLICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cli",
        abstract: "Run CLI commands on a phone over telnet.",
        discussion: """
            Logs in with the phone password (from --password-file, else $DESKPHONE_PASSWORD, else \
            the guide's default 'cisco'), runs each command in order and prints its output. Stops \
            at the first command whose output reports an error (a line starting with '%') and exits 1; \
            exits 2 when the phone cannot be reached or the login fails.
            """)

    @Argument(help: ArgumentHelp("The phone's telnet address (port 23 by default).", valueName: "host[:port]"))
    var address: String

    @Option(name: .customLong("password-file"), help: "A file whose first line is the phone password.")
    var passwordFile: String?

    @Option(name: .short, help: ArgumentHelp("A command to run (repeatable).", valueName: "command"))
    var c: [String] = []

    @Option(name: .short, help: ArgumentHelp("A file of commands, one per line ('#' starts a comment).", valueName: "script"))
    var f: String?

    @Option(help: "Seconds to wait for each command's output.")
    var timeout: Int = 30

    @Option(help: "Run the command list this many times (for soak and latency checks).")
    var `repeat`: Int = 1

    @Flag(help: "Do not print the commands' output.")
    var quiet = false

    @Option(help: ArgumentHelp("Write each command's round trip in milliseconds, one per line, to this file.",
                               valueName: "file"))
    var timings: String?

    func validate() throws {
        if c.isEmpty && f == nil { throw ValidationError("give commands with -c, or a script with -f") }
    }

    func run() throws {
        var commands = c
        if let f {
            let text = String(decoding: try readFile(f, limit: 1 << 20), as: UTF8.self)
            commands += text.split(separator: "\n").map { String($0.trimming(while: { $0 == " " || $0 == "\t" || $0 == "\r" })) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        let password: String
        if let file = passwordFile {
            let firstLine = String(decoding: try readFile(file, limit: 4096), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
            password = String(firstLine.trimming(while: { $0 == " " || $0 == "\t" || $0 == "\r" }))
        } else if let env = getenv("DESKPHONE_PASSWORD") {
            password = String(cString: env)
        } else {
            password = "cisco"
        }
        let (host, port) = Self.split(address)
        let client: TelnetScriptClient
        do {
            client = try TelnetScriptClient(host: host, port: port, timeout: .seconds(timeout))
            try client.login(password: password)
        } catch {
            printError("deskphone cli: \(error)")
            throw ExitCode(2)
        }
        defer { client.close() }
        var roundTrips: [Duration] = []
        defer { if let timings { Self.writeTimings(roundTrips, to: timings) } }
        for _ in 0..<max(1, `repeat`) {
            for command in commands {
                let sent = ContinuousClock.now
                let output: String
                do {
                    output = try client.run(command)
                } catch {
                    printError("deskphone cli: \(command): \(error)")
                    throw ExitCode(2)
                }
                roundTrips.append(ContinuousClock.now - sent)
                if !quiet { print(output, terminator: "") }
                if Self.reportsError(output) {
                    printError("deskphone cli: '\(command)' failed")
                    throw ExitCode(1)
                }
            }
        }
    }

    /// The phone marks every error line with `%` (GUIDE.md-style `% Invalid input …`).
    static func reportsError(_ output: String) -> Bool {
        output.split(separator: "\n").contains { $0.hasPrefix("%") }
    }

    static func writeTimings(_ roundTrips: [Duration], to path: String) {
        let text = roundTrips.map { d -> String in
            let us = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
            return "\(us / 1000).\(String(us % 1000).leftPadded(3, "0"))"
        }.joined(separator: "\n") + "\n"
        guard let f = fopen(path, "w") else { printError("deskphone cli: \(path): cannot write"); return }
        fputs(text, f)
        fclose(f)
    }

    static func split(_ address: String) -> (String, Int) {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let host = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...].drop { $0 == ":" }
            return (host, Int(rest) ?? 23)
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") {
            return (String(address[..<colon]), Int(address[address.index(after: colon)...]) ?? 23)
        }
        return (address, 23)
    }
}

func printError(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

extension String {
    func leftPadded(_ width: Int, _ pad: Character) -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
