import ArgumentParser

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The part of swift-argument-parser's tool info (`--experimental-dump-help`, ToolInfoV0) the
/// man pages use: what its help screens show, as data.
struct ToolInfo: Decodable {
    let command: CommandInfo

    struct CommandInfo: Decodable {
        let commandName: String
        let abstract: String?
        let discussion: String?
        let subcommands: [CommandInfo]?
        let arguments: [ArgumentInfo]?
        let shouldDisplay: Bool?
    }

    struct ArgumentInfo: Decodable {
        struct Name: Decodable {
            let kind: String
            let name: String
        }
        let kind: String
        let shouldDisplay: Bool
        let isOptional: Bool
        let isRepeating: Bool
        let names: [Name]?
        let preferredName: Name?
        let valueName: String?
        let defaultValue: String?
        let abstract: String?
        let discussion: String?

        /// `-c`, `--password-file`, `--long-with-single-dash` as typed.
        var spellings: [String] {
            (names ?? []).map { $0.kind == "long" ? "--\($0.name)" : "-\($0.name)" }
        }
        var isPositional: Bool { kind == "positional" }
        var isFlag: Bool { kind == "flag" }
        /// The value placeholder (`<dir>`), or the positional's name.
        var placeholder: String { valueName ?? preferredName?.name ?? "value" }
    }

    static func of(_ type: any ParsableArguments.Type) -> ToolInfo {
        let json = type._dumpHelp()
        do {
            return try JSONDecoder().decode(ToolInfo.self, from: Data(json.utf8))
        } catch {
            fatalError("swift-argument-parser's tool info did not decode: \(error)")
        }
    }
}

extension ToolInfo.CommandInfo {
    /// The arguments a user sees (--help and --version excluded: the pages say them once).
    var visibleArguments: [ToolInfo.ArgumentInfo] {
        (arguments ?? []).filter {
            $0.shouldDisplay && !$0.spellings.contains("--help") && !$0.spellings.contains("--version")
        }
    }

    /// `[--flash <flash>] <address> -c <command> ...`
    var synopsisPieces: [String] {
        visibleArguments.map { a in
            var s: String
            if a.isPositional { s = "<\(a.placeholder)>" }
            else if a.isFlag { s = a.preferredSpelling }
            else { s = "\(a.preferredSpelling) <\(a.placeholder)>" }
            if a.isRepeating { s += " ..." }
            return a.isOptional ? "[\(s)]" : s
        }
    }
}

extension ToolInfo.ArgumentInfo {
    var preferredSpelling: String {
        guard let p = preferredName else { return spellings.first ?? "" }
        return p.kind == "long" ? "--\(p.name)" : "-\(p.name)"
    }
}
