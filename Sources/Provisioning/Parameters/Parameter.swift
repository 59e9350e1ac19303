/// Where a parameter may be set (GUIDE.md §2.2, column "Where").
public enum ParameterScope: String, Sendable, CaseIterable {
    /// D: normally in SIPDefault.cnf.
    case defaultFile = "D"
    /// P: normally in SIP<MAC>.cnf. The restriction is administrative: the parser accepts it in
    /// either file (GUIDE.md §2.1).
    case phoneFile = "P"
    /// D/P: either file.
    case either = "D/P"
    /// UI: set on the phone only; a configuration file cannot set it.
    case phoneOnly = "UI"
    /// Network settings (GUIDE.md §2.2.9), kept in flash and entered on the phone or learned
    /// from DHCP; a configuration file cannot set them.
    case network = "NET"

    /// Whether a .cnf file may set a parameter of this scope.
    public var settableInFile: Bool { self != .phoneOnly && self != .network }
}

/// One parameter, or one family of indexed parameters (`line#_name` for line1_name …
/// line6_name), declared once. The .cnf parser, validation messages, `show config` and
/// deskphone.cnf(5) are all derived from these declarations.
public struct Parameter: Sendable {
    /// The name; in a family `#` stands for the index (`line#_name`).
    public let pattern: String
    /// The indices of a family (nil for a single parameter).
    public let indices: ClosedRange<Int>?
    /// A family indexed by line button: the model limits it (7940: lines 1–2).
    public let perLine: Bool
    public let type: ParameterType
    /// The built-in default as a .cnf value; nil = none (`UNPROVISIONED`).
    public let defaultText: String?
    public let scope: ParameterScope
    public let help: String
    /// A note kept with the declaration where the guide marks a fact (unverified) and this
    /// table had to choose.
    public let note: String?

    public init(_ pattern: String, _ type: ParameterType, default defaultText: String?, _ scope: ParameterScope,
                indices: ClosedRange<Int>? = nil, perLine: Bool = false, help: String, note: String? = nil) {
        self.pattern = pattern
        self.indices = indices
        self.perLine = perLine
        self.type = type
        self.defaultText = defaultText
        self.scope = scope
        self.help = help
        self.note = note
    }

    public var isFamily: Bool { indices != nil }

    /// The concrete name for index `n` (`line#_name`, 3 → `line3_name`).
    public func name(_ n: Int) -> String { pattern.replacingOccurrences(of: "#", with: String(n)) }

    /// Every concrete name of this declaration.
    public var names: [String] {
        guard let indices else { return [pattern] }
        return indices.map(name)
    }

    /// The value in force when nothing sets the parameter, or after a file clears it.
    public var defaultValue: ParameterValue {
        guard let defaultText, !defaultText.isEmpty else { return .unprovisioned }
        switch type.validate(defaultText) {
        case .success(let v): return v
        case .failure: return ParameterValue(text: defaultText)   // caught by the table's tests
        }
    }

    /// The index a concrete name carries for this family, if it matches the pattern.
    func index(in name: String) -> Int? {
        guard let indices, let hash = pattern.firstIndex(of: "#") else { return nil }
        let prefix = pattern[..<hash], suffix = pattern[pattern.index(after: hash)...]
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits),
              indices.contains(n) else { return nil }
        return n
    }
}

extension String {
    /// `replacingOccurrences` without Foundation.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        guard let first = target.first else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i] == first, self[i...].hasPrefix(target) {
                return i..<index(i, offsetBy: target.count)
            }
            i = index(after: i)
        }
        return nil
    }
}
