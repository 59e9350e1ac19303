/// Who may run a command. Telnet sessions get the level `telnet_level` grants (GUIDE.md §4.1:
/// 1 = non-privileged commands, 2 = all); the serial console gets `privileged`.
public enum Privilege: Int, Sendable, Comparable, CustomStringConvertible {
    case user = 1
    case privileged = 2

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { self == .user ? "non-privileged" : "privileged" }
}

/// One argument of a command, declared once: parsing, `?` help, Tab completion, error
/// messages and the man page come from it.
public struct ArgumentSpec: Sendable {
    public enum Kind: Sendable {
        /// A whole number in a range.
        case integer(ClosedRange<Int>)
        /// One of a set of keywords, matched by unique prefix like command words.
        case choice([String])
        /// Any single word; the placeholder names it in help (`ip-or-host`).
        case word(placeholder: String)
        /// The rest of the line as one value (spaces included).
        case rest(placeholder: String)
    }

    /// The key its values are stored under in the `Invocation`.
    public let name: String
    public let kind: Kind
    public let help: String
    /// For options written `keyword value` (`count 5`): the keyword. Nil for positionals.
    public let keyword: String?
    public let optional: Bool
    /// A positional that takes every remaining word (`debug sip-state sip-reg-state`).
    public let repeats: Bool
    /// The value used when an optional argument is absent.
    public let defaultValue: String?

    public init(_ name: String, _ kind: Kind, help: String, keyword: String? = nil, optional: Bool = false,
                repeats: Bool = false, default defaultValue: String? = nil) {
        self.name = name
        self.kind = kind
        self.help = help
        self.keyword = keyword
        self.optional = optional || keyword != nil
        self.repeats = repeats
        self.defaultValue = defaultValue
    }

    /// How help shows the value: `<1-1480>`, `WORD`, `{soft|hard}`.
    public var placeholder: String {
        switch kind {
        case .integer(let r): return "<\(r.lowerBound)-\(r.upperBound)>"
        case .choice(let words): return words.count <= 4 ? "{\(words.joined(separator: "|"))}" : "CHOICE"
        case .word(let p): return p.uppercased()
        case .rest(let p): return p.uppercased()
        }
    }
}

/// One CLI command, declared once: its words, arguments, help and privilege, and what it does.
public struct CommandSpec: Sendable {
    /// The keywords that name it (`["show", "network"]`); each may be abbreviated to any
    /// unique prefix.
    public let words: [String]
    public let arguments: [ArgumentSpec]
    /// One line, shown by `?` next to the last word.
    public let help: String
    /// A longer description for `help <command>` and the man page.
    public let discussion: String?
    public let privilege: Privilege
    public let handler: @Sendable (Invocation) async throws -> Void

    public init(_ words: [String], arguments: [ArgumentSpec] = [], help: String, discussion: String? = nil,
                privilege: Privilege = .user, handler: @escaping @Sendable (Invocation) async throws -> Void) {
        self.words = words
        self.arguments = arguments
        self.help = help
        self.discussion = discussion
        self.privilege = privilege
        self.handler = handler
    }

    /// `show network`, `ping WORD [count <1-100>] …` — the synopsis for help and man pages.
    public var synopsis: String {
        var parts = words
        for a in arguments {
            var s = a.keyword.map { "\($0) \(a.placeholder)" } ?? a.placeholder
            if a.repeats { s += " ..." }
            parts.append(a.optional ? "[\(s)]" : s)
        }
        return parts.joined(separator: " ")
    }
}

/// A parsed command line handed to a handler.
public struct Invocation: Sendable {
    public let spec: CommandSpec
    /// Argument values by name (repeating arguments have several; defaults filled in).
    public let values: [String: [String]]
    public let output: any TerminalOutput
    public let session: CLISession
    /// The session's `SessionConfiguration.context`: what the command acts on.
    public let context: (any Sendable)?

    public init(spec: CommandSpec, values: [String: [String]], output: any TerminalOutput, session: CLISession,
                context: (any Sendable)? = nil) {
        self.spec = spec
        self.values = values
        self.output = output
        self.session = session
        self.context = context
    }

    public func value(_ name: String) -> String? { values[name]?.first }
    public func integer(_ name: String) -> Int? { value(name).flatMap { Int($0) } }
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    /// Writes text followed by a newline.
    public func print(_ text: String = "") { output.write(text + "\n") }
}

/// A command failed in a way the user should read (printed as `% message`).
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
