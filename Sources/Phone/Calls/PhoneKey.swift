/// The keys of a 7960/7940 (GUIDE.md §4.5, §11.1), as `test key` names them: digits, `*`
/// and `#` are one character each; the named keys are words. (Names other than `lineN` and
/// `softN` are the guide's documented set, marked unverified there.)
public enum PhoneKey: Sendable, Hashable, CustomStringConvertible {
    case digit(Character)   // 0-9 * #
    case line(Int)          // line1…line6
    case soft(Int)          // soft1…soft4, left to right
    case messages, directories, settings, services, info, up, down, volumeUp, volumeDown, headset, speaker, mute

    static let named: [(String, PhoneKey)] = [
        ("msgs", .messages), ("dir", .directories), ("set", .settings), ("serv", .services), ("info", .info),
        ("up", .up), ("down", .down), ("volup", .volumeUp), ("voldn", .volumeDown), ("headset", .headset),
        ("spkr", .speaker), ("mute", .mute),
    ]

    /// Every key name `test key` accepts (help and errors).
    public static let names: [String] = (1...6).map { "line\($0)" } + (1...4).map { "soft\($0)" } + named.map(\.0)

    public var description: String {
        switch self {
        case .digit(let c): String(c)
        case .line(let n): "line\(n)"
        case .soft(let n): "soft\(n)"
        default: Self.named.first { $0.1 == self }?.0 ?? "?"
        }
    }

    /// `test key` text: keys in sequence, e.g. `23234`, `line1`, `9#soft2`. Named keys and
    /// digits may follow each other without spaces; spaces are ignored. Nil with the offending
    /// piece when a word is not a key.
    public static func parse(_ text: String) -> Result<[PhoneKey], KeyParseError> {
        var keys: [PhoneKey] = []
        var rest = Substring(text.lowercased())
        while let c = rest.first {
            if c == " " { rest = rest.dropFirst(); continue }
            if c.isASCII, c.isNumber || c == "*" || c == "#" {
                keys.append(.digit(c))
                rest = rest.dropFirst()
                continue
            }
            if let (word, key) = longestName(at: rest) {
                keys.append(key)
                rest = rest.dropFirst(word.count)
                continue
            }
            let bad = rest.prefix { $0 != " " && !($0.isASCII && ($0.isNumber || $0 == "*" || $0 == "#")) }
            return .failure(KeyParseError(word: String(bad.isEmpty ? rest.prefix(1) : bad)))
        }
        return keys.isEmpty ? .failure(KeyParseError(word: "")) : .success(keys)
    }

    private static func longestName(at text: Substring) -> (String, PhoneKey)? {
        var best: (String, PhoneKey)?
        for n in 1...6 where text.hasPrefix("line\(n)") { best = ("line\(n)", .line(n)) }
        for n in 1...4 where text.hasPrefix("soft\(n)") { best = ("soft\(n)", .soft(n)) }
        for (name, key) in named where text.hasPrefix(name) && name.count > (best?.0.count ?? 0) { best = (name, key) }
        return best
    }
}

public struct KeyParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let word: String
    public var description: String {
        word.isEmpty ? "no keys given" : "'\(word)' is not a key (keys: 0-9 * # \(PhoneKey.names.joined(separator: " ")))"
    }
}
