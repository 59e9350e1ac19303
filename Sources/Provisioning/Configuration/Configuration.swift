/// The phone's configuration: the value in force of every parameter and where it came from.
///
/// Built by applying layers in order (GUIDE.md §1.3): built-in defaults, then flash, then
/// SIPDefault.cnf, then SIP<MAC>.cnf. A value that fails validation is reported and the
/// earlier value stays in force.
public struct Configuration: Sendable {
    public struct Setting: Sendable, Equatable {
        public let value: ParameterValue
        public let source: ConfigSource
    }

    public let model: PhoneModel
    private var settings: [String: Setting] = [:]

    public init(model: PhoneModel = .cp7960) {
        self.model = model
    }

    /// The value in force of a concrete parameter name (`line1_name`); the built-in default
    /// when nothing set it. Nil for a name that is not in the table.
    public subscript(_ name: String) -> ParameterValue? {
        setting(name)?.value
    }

    public func setting(_ name: String) -> Setting? {
        let n = name.lowercased()
        if let s = settings[n] { return s }
        guard let (p, _) = ParameterTable.lookup(n) else { return nil }
        return Setting(value: p.defaultValue, source: .builtIn)
    }

    /// The integer of a numeric parameter, or nil.
    public func number(_ name: String) -> Int? { self[name]?.number }

    /// The text of a parameter, nil when unprovisioned.
    public func text(_ name: String) -> String? {
        guard let v = self[name], !v.isUnprovisioned else { return nil }
        return v.text
    }

    /// Every concrete parameter this model has, in table order, with its setting.
    public var all: [(name: String, setting: Setting)] {
        ParameterTable.all.flatMap { p in
            p.names.filter { exists($0, p) }.compactMap { n in setting(n).map { (n, $0) } }
        }
    }

    /// What listings show of a parameter's value: a password (any parameter whose name holds
    /// `password`: `phone_password`, `lineN_password`) as stars once it is set ([sipcc]
    /// show config), everything else as its .cnf text.
    public static func displayed(_ name: String, _ value: ParameterValue) -> String {
        name.lowercased().contains("password") && !value.isUnprovisioned ? "**********" : value.text
    }

    private func exists(_ name: String, _ p: Parameter) -> Bool {
        guard p.perLine, let i = p.index(in: name) else { return true }
        return i <= model.lineCount
    }

    /// Applies the lines of one file as `layer`. Returns the file's diagnostics (from the
    /// parser and from validation); values with errors are not applied.
    @discardableResult
    public mutating func apply(_ bytes: [UInt8], file: String, as layer: ConfigLayer) -> [Diagnostic] {
        let (entries, parseDiagnostics) = CNFParser.parse(bytes, file: file)
        return (parseDiagnostics + apply(entries, file: file, as: layer)).sorted { $0.line < $1.line }
    }

    /// Applies parsed entries as `layer`; see `apply(_:file:as:)`.
    public mutating func apply(_ entries: [CNFEntry], file: String, as layer: ConfigLayer) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var setHere: [String: Int] = [:]   // name → line, for duplicates and relational checks
        let before = settings

        for e in entries {
            let lower = e.name.lowercased()
            func report(_ s: Diagnostic.Severity, _ message: String) {
                diagnostics.append(Diagnostic(s, file: file, line: e.line, name: e.name, message))
            }
            guard let (p, index) = ParameterTable.lookup(lower) else {
                report(.warning, "unknown parameter")
                continue
            }
            if let index, p.perLine, index > model.lineCount {
                report(.warning, "the \(model.rawValue) has lines 1–\(model.lineCount) only; ignored")
                continue
            }
            guard p.scope.settableInFile || layer == .flash else {
                report(.error, "cannot be set in a configuration file (set on the phone only)")
                continue
            }
            if let earlier = setHere[lower] {
                report(.warning, "set again (first set at line \(earlier)); this line wins")
            }
            let value: ParameterValue
            if let raw = e.value {
                switch p.type.validate(raw) {
                case .success(let v): value = v
                case .failure(.invalid(let reason)):
                    report(.error, "\(reason) (valid: \(p.type.validValues))")
                    continue
                case .failure(.replaced(let v, let reason)):
                    report(.warning, reason)
                    value = v
                }
            } else {
                value = p.defaultValue   // "" and UNPROVISIONED clear to the built-in default
            }
            settings[lower] = Setting(value: value, source: layer.source(line: e.line))
            setHere[lower] = e.line
        }

        for rule in Self.relations {
            guard let problem = rule.check(self) else { continue }
            // Revert the values this file set that take part in the broken rule.
            for name in rule.names {
                guard let line = setHere[name] else { continue }
                settings[name] = before[name]
                diagnostics.append(Diagnostic(.error, file: file, line: line, name: name, problem))
            }
        }
        return diagnostics.sorted { $0.line < $1.line }
    }

    /// Rules that involve more than one parameter (GUIDE.md §2.2.3–§2.2.4).
    struct Relation: Sendable {
        let names: [String]
        let check: @Sendable (Configuration) -> String?
    }

    static let relations: [Relation] = [
        Relation(names: ["timer_t1", "timer_t2"]) { c in
            guard let t1 = c.number("timer_t1"), let t2 = c.number("timer_t2"), t2 <= t1 else { return nil }
            return "timer_t2 (\(t2)) must be greater than timer_t1 (\(t1)); earlier values kept"
        },
        Relation(names: ["start_media_port", "end_media_port"]) { c in
            guard let s = c.number("start_media_port"), let e = c.number("end_media_port") else { return nil }
            if s % 2 != 0 { return "start_media_port (\(s)) must be even; earlier values kept" }
            if e <= s { return "end_media_port (\(e)) must be greater than start_media_port (\(s)); earlier values kept" }
            return nil
        },
    ]
}
