/// `?` help and Tab completion, from the same declarations the parser uses.
extension CommandTree {
    /// Something that may be typed next: a keyword (completable) or an argument placeholder.
    public struct Next: Sendable, Equatable {
        public let text: String
        public let help: String
        public let isKeyword: Bool
    }

    /// What may follow the complete words in `tokens`; `carriageReturn` when the line may end.
    func next(after tokens: [Token], privilege: Privilege) -> (items: [Next], carriageReturn: Bool)? {
        var node = root
        var i = 0
        while i < tokens.count, !node.children.isEmpty {
            let visible = node.children.filter { $0.privilege <= privilege }
            switch Self.matchKeyword(tokens[i].text, among: visible.map(\.word)) {
            case .exact(let w), .unique(let w):
                guard let n = visible.first(where: { $0.word == w }) else { return nil }
                node = n
                i += 1
                continue
            case .ambiguous:
                return nil
            case .none:
                if node.spec == nil { return nil }
            }
            break
        }
        if i == tokens.count, !node.children.isEmpty {
            // Alphabetical, as `help` lists the commands.
            let items = node.children.filter { $0.privilege <= privilege }.sorted { $0.word < $1.word }
                .map { Next(text: $0.word, help: $0.help, isKeyword: true) }
            let cr = node.spec.map { $0.privilege <= privilege && $0.arguments.allSatisfy(\.optional) } ?? false
            return (items, cr)
        }
        guard let spec = node.spec, spec.privilege <= privilege else { return nil }
        return Self.nextArgument(spec, Array(tokens[i...]))
    }

    static func nextArgument(_ spec: CommandSpec, _ tokens: [Token]) -> (items: [Next], carriageReturn: Bool)? {
        let positionals = spec.arguments.filter { $0.keyword == nil }
        let options = spec.arguments.filter { $0.keyword != nil }
        var given = Set<String>()
        var p = 0
        var i = 0
        var restTaken = false
        while i < tokens.count {
            let requiredPending = positionals[p...].contains { !$0.optional && !given.contains($0.name) }
            if !requiredPending, case .exact(let k) = Self.exactOrUnique(tokens[i].text, options.compactMap(\.keyword)),
               let opt = options.first(where: { $0.keyword == k }) {
                if i + 1 == tokens.count {   // the value comes next
                    return ([Next(text: opt.placeholder, help: opt.help, isKeyword: false)], false)
                }
                given.insert(opt.name)
                i += 2
                continue
            }
            guard p < positionals.count else { return nil }
            let arg = positionals[p]
            if case .rest = arg.kind { restTaken = true; break }
            given.insert(arg.name)
            if !arg.repeats { p += 1 }
            i += 1
        }
        if restTaken { return ([], true) }
        var items: [Next] = []
        if p < positionals.count {
            let arg = positionals[p]
            if case .choice(let words) = arg.kind {
                items += words.map { Next(text: $0, help: arg.help, isKeyword: true) }
            } else {
                items.append(Next(text: arg.placeholder, help: arg.help, isKeyword: false))
            }
        }
        let requiredPending = positionals[p...].contains { !$0.optional && !given.contains($0.name) }
        if !requiredPending {
            items += options.filter { !given.contains($0.name) }
                .compactMap { o in o.keyword.map { Next(text: $0, help: o.help, isKeyword: true) } }
        }
        return (items, !requiredPending)
    }

    static func exactOrUnique(_ typed: String, _ words: [String]) -> KeywordMatch {
        switch matchKeyword(typed, among: words) {
        case .unique(let w): return .exact(w)
        case let m: return m
        }
    }

    /// The lines `?` prints for `buffer` (the `?` typed at its end).
    public func help(_ buffer: String, privilege: Privilege) -> [String] {
        let tokens = CommandLineTokens.split(buffer)
        let partial = buffer.isEmpty || buffer.last == " " || buffer.last == "\t" ? nil : tokens.last
        let complete = partial == nil ? tokens : Array(tokens.dropLast())
        guard let (items, cr) = next(after: complete, privilege: privilege) else {
            return ["% Unrecognized command"]
        }
        if let partial {
            let matching = items.filter { $0.isKeyword && Self.matches(partial.text, $0.text) }
            guard !matching.isEmpty else {
                // a value being typed: say what it should be
                let values = items.filter { !$0.isKeyword }
                return values.isEmpty ? ["% Unrecognized command"] : Self.format(values, cr: false)
            }
            return matching.map(\.text).sorted().chunkedLine()
        }
        return Self.format(items, cr: cr)
    }

    static func format(_ items: [Next], cr: Bool) -> [String] {
        columns(items.map { ($0.text, $0.help) } + (cr ? [("<cr>", "")] : []))
    }

    /// Two columns, the second aligned: `  name    help` (`?` help and the `help` command),
    /// within `width` columns so no terminal wraps them out of line. A name wider than
    /// `maximumNameWidth` stands on its own line with its help below, in the help column;
    /// a long help wraps at word boundaries into that column.
    public static func columns(_ rows: [(String, String)], width: Int = 80, maximumNameWidth: Int = 24) -> [String] {
        let nameWidth = min(maximumNameWidth, rows.map(\.0.count).max() ?? 0)
        let helpColumn = 2 + nameWidth + 2
        let indent = String(repeating: " ", count: helpColumn)
        var out: [String] = []
        for (name, help) in rows {
            let wrapped = wrap(help, width: max(20, width - 1 - helpColumn))
            guard let first = wrapped.first else { out.append("  \(name)"); continue }
            if name.count <= nameWidth {
                out.append("  \(name)" + String(repeating: " ", count: helpColumn - 2 - name.count) + first)
            } else {
                out += ["  \(name)", indent + first]
            }
            out += wrapped.dropFirst().map { indent + $0 }
        }
        return out
    }

    /// Words of `text` in lines of at most `width` characters (a longer word stands alone).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Tab: completes the last word when it is the prefix of one keyword (or extends it to the
    /// longest common prefix of several); otherwise lists the candidates.
    public func complete(_ buffer: String, privilege: Privilege) -> Completion {
        guard let last = buffer.last, last != " ", last != "\t" else { return .none }
        let tokens = CommandLineTokens.split(buffer)
        guard let partial = tokens.last, let (items, _) = next(after: Array(tokens.dropLast()), privilege: privilege) else {
            return .none
        }
        let words = items.filter { $0.isKeyword && Self.matches(partial.text, $0.text) }.map(\.text)
        let head = String(buffer.prefix(partial.column))
        switch words.count {
        case 0: return .none
        case 1: return .replace(head + words[0] + " ")
        default:
            let common = words.dropFirst().reduce(words[0].lowercased()) { $0.commonPrefix(with: $1.lowercased()) }
            if common.count > partial.text.count { return .replace(head + common) }
            return .candidates(words.sorted())
        }
    }
}

extension String {
    func commonPrefix(with other: String) -> String {
        String(zip(self, other).prefix { $0 == $1 }.map(\.0))
    }
}

extension Array where Element == String {
    /// Words laid out several to a line, IOS style, for prefix help (`sh?`).
    func chunkedLine(width: Int = 72) -> [String] {
        var lines: [String] = []
        var line = ""
        for w in self {
            if !line.isEmpty && line.count + w.count + 2 > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : "  ") + w
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
