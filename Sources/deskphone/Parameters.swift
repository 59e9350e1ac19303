import ArgumentParser
import Provisioning

/// `deskphone parameters`: the parameter table, as the phone knows it.
struct Parameters: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every configuration parameter with its type, default and scope.")

    func run() {
        for p in ParameterTable.all {
            let name = p.indices.map { "\(p.pattern.replacingHash()) (# = \($0.lowerBound)–\($0.upperBound))" } ?? p.pattern
            print("\(name)  [\(p.scope.rawValue)]  default: \(p.defaultText ?? "UNPROVISIONED")")
            print("    \(p.help)")
            print("    valid: \(p.type.validValues)")
            if let note = p.note { print("    note: \(note)") }
        }
    }
}

extension String {
    func replacingHash() -> String { String(map { $0 == "#" ? "N" : $0 }) }
}
