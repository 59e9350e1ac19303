/// Every command, arranged for matching: the words form a tree; a node may end a command.
/// Parsing, `?` help and Tab completion all walk it. Immutable and Sendable, so a line
/// editor's completion callback can use it from any thread.
import TextUtilities

public struct CommandTree: Sendable {
    final class Node: Sendable {
        let word: String
        let help: String
        let children: [Node]
        let spec: CommandSpec?

        init(word: String, help: String, children: [Node], spec: CommandSpec?) {
            self.word = word
            self.help = help
            self.children = children
            self.spec = spec
        }

        /// The lowest privilege of any command below (or at) this node.
        var privilege: Privilege {
            let own = spec.map { [$0.privilege] } ?? []
            return (own + children.map(\.privilege)).min() ?? .privileged
        }
    }

    let root: Node
    public let commands: [CommandSpec]

    /// `groupHelp` gives the help of intermediate words (`show` → "Display information").
    public init(_ commands: [CommandSpec], groupHelp: [String: String] = [:]) {
        self.commands = commands
        func build(_ word: String, _ path: [String], _ specs: [CommandSpec]) -> Node {
            let depth = path.count
            let here = specs.first { $0.words.count == depth }
            var order: [String] = []
            var byWord: [String: [CommandSpec]] = [:]
            for s in specs where s.words.count > depth {
                let w = s.words[depth].lowercased()
                if byWord[w] == nil { order.append(w) }
                byWord[w, default: []].append(s)
            }
            let children = order.sorted().map { w in build(w, path + [w], byWord[w] ?? []) }
            let help = here?.help ?? groupHelp[path.joined(separator: " ")] ?? ""
            return Node(word: word, help: help, children: children, spec: here)
        }
        root = build("", [], commands)
    }

    /// A successful parse: the command and its argument values.
    public struct Match: Sendable {
        public let spec: CommandSpec
        public let values: [String: [String]]
    }

    // MARK: parsing

    public func parse(_ line: String, privilege: Privilege) -> Result<Match, CLIError> {
        let tokens = CommandLineTokens.split(line)
        guard !tokens.isEmpty else { return .failure(CLIError(kind: .incomplete, column: nil, detail: "empty line")) }
        var node = root
        var i = 0
        var path: [String] = []
        // 1. command words
        while i < tokens.count, !node.children.isEmpty {
            let t = tokens[i]
            let visible = node.children.filter { $0.privilege <= privilege }
            switch Self.matchKeyword(t.text, among: visible.map(\.word)) {
            case .exact(let w), .unique(let w):
                guard let next = visible.first(where: { $0.word == w }) else { break }
                node = next
                path.append(w)
                i += 1
                continue
            case .ambiguous(let ws):
                return .failure(CLIError(kind: .ambiguous(ws), column: t.column,
                                         detail: "'\(t.text)' could be \(ws.joined(separator: ", "))"))
            case .none:
                if node.spec != nil { break }   // the rest are arguments of this command
                if node.children.contains(where: { Self.matches(t.text, $0.word) }) {
                    return .failure(CLIError(kind: .notPermitted, column: t.column,
                                             detail: "'\(t.text)' needs privileged access (telnet_level 2)"))
                }
                let what = path.isEmpty ? "a command" : "a \(path.joined(separator: " ")) keyword"
                return .failure(CLIError(kind: .invalid, column: t.column,
                                         detail: "'\(t.text)' is not \(what) (valid: \(visible.map(\.word).joined(separator: ", ")))"))
            }
            break
        }
        guard let spec = node.spec else {
            let next = node.children.filter { $0.privilege <= privilege }.map(\.word)
            return .failure(CLIError(kind: .incomplete, column: nil,
                                     detail: "'\(path.joined(separator: " "))' needs one of: \(next.joined(separator: ", "))"))
        }
        guard spec.privilege <= privilege else {
            return .failure(CLIError(kind: .notPermitted, column: tokens[0].column,
                                     detail: "'\(spec.words.joined(separator: " "))' needs privileged access (telnet_level 2)"))
        }
        // 2. arguments
        return Self.parseArguments(spec, Array(tokens[i...]), line: line).map { Match(spec: spec, values: $0) }
    }

    static func parseArguments(_ spec: CommandSpec, _ tokens: [Token], line: String) -> Result<[String: [String]], CLIError> {
        var values: [String: [String]] = [:]
        let positionals = spec.arguments.filter { $0.keyword == nil }
        let options = spec.arguments.filter { $0.keyword != nil }
        var p = 0   // next positional
        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            // An option keyword (`count 5`), once every required positional is given.
            let requiredPending = positionals[p...].contains { !$0.optional && values[$0.name] == nil }
            if !requiredPending {
                switch matchKeyword(t.text, among: options.compactMap(\.keyword)) {
                case .exact(let k), .unique(let k):
                    guard let opt = options.first(where: { $0.keyword == k }) else { break }
                    guard i + 1 < tokens.count else {
                        return .failure(CLIError(kind: .incomplete, column: nil, detail: "'\(k)' needs a value \(opt.placeholder)"))
                    }
                    switch validate(tokens[i + 1], opt) {
                    case .success(let v): values[opt.name] = [v]
                    case .failure(let e): return .failure(e)
                    }
                    i += 2
                    continue
                case .ambiguous(let ws) where p >= positionals.count:
                    return .failure(CLIError(kind: .ambiguous(ws), column: t.column, detail: "'\(t.text)' could be \(ws.joined(separator: ", "))"))
                case .ambiguous, .none:
                    break
                }
            }
            guard p < positionals.count else {
                let unused = options.filter { values[$0.name] == nil }.compactMap(\.keyword)
                let hint = unused.isEmpty ? "nothing more is expected" : "expected one of: \(unused.joined(separator: ", "))"
                return .failure(CLIError(kind: .invalid, column: t.column, detail: "'\(t.text)': \(hint)"))
            }
            let arg = positionals[p]
            if case .rest = arg.kind {
                let text = String(line.dropFirst(t.column).trimmingSuffix(while: \.isWSP))
                values[arg.name] = [text]
                return .success(fillDefaults(values, spec))
            }
            switch validate(t, arg) {
            case .success(let v): values[arg.name, default: []].append(v)
            case .failure(let e): return .failure(e)
            }
            if !arg.repeats { p += 1 }
            i += 1
        }
        for arg in positionals where !arg.optional && values[arg.name] == nil {
            return .failure(CLIError(kind: .incomplete, column: nil,
                                     detail: "'\(spec.words.joined(separator: " "))' needs \(arg.placeholder) (\(arg.help))"))
        }
        return .success(fillDefaults(values, spec))
    }

    static func fillDefaults(_ values: [String: [String]], _ spec: CommandSpec) -> [String: [String]] {
        var v = values
        for a in spec.arguments where v[a.name] == nil { if let d = a.defaultValue { v[a.name] = [d] } }
        return v
    }

    static func validate(_ t: Token, _ arg: ArgumentSpec) -> Result<String, CLIError> {
        switch arg.kind {
        case .integer(let r):
            guard let n = Int(t.text), r.contains(n) else {
                return .failure(CLIError(kind: .invalid, column: t.column,
                                         detail: "'\(t.text)' is not a number in \(r.lowerBound)–\(r.upperBound) (\(arg.help))"))
            }
            return .success(String(n))
        case .choice(let words):
            switch matchKeyword(t.text, among: words) {
            case .exact(let w), .unique(let w): return .success(w)
            case .ambiguous(let ws):
                return .failure(CLIError(kind: .ambiguous(ws), column: t.column, detail: "'\(t.text)' could be \(ws.joined(separator: ", "))"))
            case .none:
                return .failure(CLIError(kind: .invalid, column: t.column,
                                         detail: "'\(t.text)' is not valid here (valid: \(words.joined(separator: ", ")))"))
            }
        case .word, .rest:
            return .success(t.text)
        }
    }

    // MARK: keyword matching

    enum KeywordMatch: Equatable {
        case exact(String), unique(String), ambiguous([String]), none
    }

    static func matches(_ typed: String, _ word: String) -> Bool {
        word.lowercased().hasPrefix(typed.lowercased())
    }

    /// Exact (case-insensitive) match first, else the unique word it is a prefix of.
    static func matchKeyword(_ typed: String, among words: [String]) -> KeywordMatch {
        let t = typed.lowercased()
        if let w = words.first(where: { $0.lowercased() == t }) { return .exact(w) }
        let candidates = words.filter { $0.lowercased().hasPrefix(t) }
        switch candidates.count {
        case 0: return .none
        case 1: return .unique(candidates[0])
        default: return .ambiguous(candidates)
        }
    }
}
