/// The DNS settings of /etc/resolv.conf (resolv.conf(5)): the name servers the stub resolver
/// queries, and the local domain / search list.
public struct ResolverConfig: Sendable, Equatable {
    /// In file order. IPv6 servers are kept (they are what the host queries; `show network`
    /// prints them as they stand). Only the first `maximumServers` are kept, as glibc uses no more.
    public var nameServers: [String] = []
    /// From `domain`, or the first entry of `search` when there is no `domain`.
    public var domain: String?
    /// From `search`, or `[domain]` when only `domain` is given.
    public var search: [String] = []

    /// MAXNS in resolv.h.
    public static let maximumServers = 3

    public init(nameServers: [String] = [], domain: String? = nil, search: [String] = []) {
        self.nameServers = nameServers
        self.domain = domain
        self.search = search
    }

    /// Parses resolv.conf text. Comments start with `#` or `;` at the start of a line (and,
    /// as glibc accepts them, after a value too). `domain` and `search` are mutually
    /// exclusive: the last one in the file wins (resolv.conf(5)).
    public static func parse(_ text: String) -> ResolverConfig {
        var config = ResolverConfig()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.prefix { $0 != "#" && $0 != ";" }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver":
                if words.count >= 2, config.nameServers.count < maximumServers {
                    config.nameServers.append(words[1])
                }
            case "domain":
                if words.count >= 2 {
                    config.domain = words[1]
                    config.search = [words[1]]
                }
            case "search":
                config.search = Array(words.dropFirst())
                config.domain = config.search.first
            default:
                continue
            }
        }
        return config
    }

    /// Reads /etc/resolv.conf; empty settings when it cannot be read.
    public static func read(path: String = "/etc/resolv.conf") -> ResolverConfig {
        parse(SystemFiles.text(path) ?? "")
    }
}
