/// Where the value in force of a parameter came from (what `show config` prints beside it).
/// The layers, lowest first: built-in default < flash (values set on the phone) <
/// SIPDefault.cnf < SIP<MAC>.cnf (GUIDE.md §1.3).
public enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    case builtIn
    case flash
    case defaultFile(line: Int)
    case phoneFile(name: String, line: Int)

    public var description: String {
        switch self {
        case .builtIn: return "default"
        case .flash: return "flash"
        case .defaultFile(let line): return "SIPDefault.cnf:\(line)"
        case .phoneFile(let name, let line): return "\(name):\(line)"
        }
    }
}

/// A layer a .cnf file is applied as.
public enum ConfigLayer: Sendable, Equatable {
    /// Values stored on the phone itself (menus; the flash's `local.cnf`).
    case flash
    /// SIPDefault.cnf.
    case defaultFile
    /// SIP<MAC>.cnf (its name, for messages and `show config`).
    case phoneFile(String)

    func source(line: Int) -> ConfigSource {
        switch self {
        case .flash: return .flash
        case .defaultFile: return .defaultFile(line: line)
        case .phoneFile(let n): return .phoneFile(name: n, line: line)
        }
    }
}
