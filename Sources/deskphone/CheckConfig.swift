import ArgumentParser
import DaemonOptions
import Provisioning

#if canImport(Glibc)
import Glibc
#endif

/// `deskphone check-config FILE…`: validates .cnf files exactly as the phone applies them.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check SIPDefault.cnf and SIP<MAC>.cnf files.",
        discussion: """
            Files are applied in the order given, like the phone does: SIPDefault.cnf as the \
            default file, any other name as a phone-specific file. Prints one line per problem \
            as 'file:line: name: reason' and exits 1 when a value is invalid or a file cannot be \
            read (a folder, say). Warnings, such as unknown parameters or a 'name:' with nothing \
            after the colon, do not change the exit status.
            """)

    @Argument(help: "Configuration files.")
    var files: [String]

    @Option(help: "Phone model: \(PhoneModel.allValueStrings.joined(separator: " or ")).")
    var model: PhoneModel = .cp7960

    @Flag(help: "Also print every parameter in force at the end, with its source (passwords as stars, as show config does).")
    var show = false

    func run() throws {
        var config = Configuration(model: model)
        var errors = 0, warnings = 0
        for path in files {
            let base = String(path.split(separator: "/").last ?? Substring(path))
            let bytes: [UInt8]
            do {
                bytes = try readFile(path, limit: CNFParser.maxFileSize)
            } catch {
                print("\(path): \(error)")
                errors += 1
                continue
            }
            let layer: ConfigLayer = base == "SIPDefault.cnf" ? .defaultFile : .phoneFile(base)
            for d in config.apply(bytes, file: path, as: layer) {
                print(d)
                if d.severity == .error { errors += 1 } else { warnings += 1 }
            }
        }
        if show {
            for (name, setting) in config.all {
                print("\(name): \(Configuration.displayed(name, setting.value))  [\(setting.source)]")
            }
        }
        print("\(files.count) file\(files.count == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        if errors > 0 { throw ExitCode(1) }
    }
}

struct FileError: Error, CustomStringConvertible {
    let description: String
}

/// Reads a file, refusing (without reading it all) one larger than `limit`.
func readFile(_ path: String, limit: Int) throws -> [UInt8] {
    guard let f = fopen(path, "r") else { throw FileError(description: String(cString: strerror(errno))) }
    defer { fclose(f) }
    var st = stat()
    if fstat(fileno(f), &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
        throw FileError(description: "is a directory, not a file")
    }
    if fstat(fileno(f), &st) == 0, Int(st.st_size) > limit {
        throw FileError(description: "file is \(st.st_size) bytes, larger than the \(limit)-byte limit; not read")
    }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 {
            if ferror(f) != 0 { throw FileError(description: String(cString: strerror(errno))) }
            break
        }
        out += buf[0..<n]
        if out.count > limit { throw FileError(description: "file is larger than the \(limit)-byte limit") }
    }
    return out
}
