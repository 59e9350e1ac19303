// libFuzzer harness for the .cnf files (issue 17): what a TFTP-fetched SIPDefault.cnf or
// SIP<MAC>.cnf goes through at boot — CNFParser, then Configuration.apply (validation against
// the parameter table, the relations between parameters), then the typed settings read from the
// result. Any input gives entries and diagnostics, never a crash; and the last line that sets a
// parameter without a diagnostic is the one in force. See Fuzz/sip/SIPFuzz.swift for how it is
// built and replayed.
import Provisioning
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCNF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let (entries, parseDiagnostics) = CNFParser.parse(bytes, file: "SIPDefault.cnf")
    let lineCount = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    for e in entries {
        fuzzRequire((1...lineCount).contains(e.line), "entry \(e.name) on line \(e.line) of \(lineCount)")
    }
    for d in parseDiagnostics {
        fuzzRequire((0...lineCount).contains(d.line), "diagnostic on line \(d.line) of \(lineCount): \(d)")
    }

    for model in [PhoneModel.cp7960, .cp7940] {
        var configuration = Configuration(model: model)
        let diagnostics = configuration.apply(entries, file: "SIPDefault.cnf", as: .defaultFile)
        // A parameter's last line wins unless that line was refused or changed (a diagnostic).
        var last: [String: CNFEntry] = [:]
        for e in entries { last[e.name.lowercased()] = e }
        let flagged = Set((parseDiagnostics + diagnostics).map(\.line))
        for (name, e) in last where !flagged.contains(e.line) {
            let source = configuration.setting(name)?.source
            fuzzRequire(source == .defaultFile(line: e.line),
                        "\(name) set on line \(e.line) without a diagnostic, but in force from \(String(describing: source))")
        }
        // The same bytes as the phone's own file over it, as the boot applies the second layer.
        _ = configuration.apply(bytes, file: "SIP000DBC50FCD4.cnf", as: .phoneFile("SIP000DBC50FCD4.cnf"))
        _ = SIPSettings(configuration)
        _ = CallSettings(configuration)
        _ = ConsoleSettings(configuration)
    }
    // As the flash layer (local.cnf), where phone-only parameters may be set too.
    var flash = Configuration()
    _ = flash.apply(bytes, file: "flash:local.cnf", as: .flash)
    return 0
}

@main enum CNFFuzzReplay {
    static func main() { FuzzReplay.run(fuzzCNF) }
}
