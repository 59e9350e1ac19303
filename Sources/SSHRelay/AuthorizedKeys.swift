
/// The public keys that may log in over SSH, read from files in OpenSSH's authorized_keys format
/// (sshd(8), "AUTHORIZED_KEYS FILE FORMAT"): one key a line, `<type> <base64> [comment]`; blank
/// lines and lines starting with `#` are ignored. A bad line is skipped and reported with its
/// place, the good lines around it still count.
///
/// Key types: `ssh-ed25519` and `ecdsa-sha2-nistp256` / `-nistp384` / `-nistp521` (what
/// swift-nio-ssh verifies; the daemon checks a key's wire form here without NIOSSH, and compares
/// it with the key that deskphone-ssh saw signed). Lines with options before the key type (`from="…"`, `command="…"`,
/// `restrict` …) are refused rather than read without their restrictions: the CLI has no way to
/// honour them, and a key meant to be restricted must not get more than its owner intended.
public struct AuthorizedKeys: Sendable {
    /// A line that was not read, with its place (`file:line: reason`).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let reason: String
        public var description: String { "\(file):\(line): \(reason)" }
    }

    /// One key and the comment after it (often `user@host`), for the log.
    public struct Entry: Sendable {
        public let key: SSHPublicKey
        public let comment: String
        public let file: String
        public let line: Int
    }

    public private(set) var entries: [Entry] = []
    public private(set) var problems: [Problem] = []

    public init() {}

    /// The key types read; others are named in the problem.
    public static let supportedTypes = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]
    /// Types OpenSSH knows that are refused with their own reason.
    static let unsupportedTypes = ["ssh-rsa", "ssh-dss", "rsa-sha2-256", "rsa-sha2-512",
                                   "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]

    /// Adds the keys of one file's text; `file` names it in problems.
    public mutating func add(_ text: String, file: String) {
        // ("\r\n" is one Character: a file with DOS line ends splits on it too)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingBlanks()
            if line.isEmpty || line.hasPrefix("#") { continue }
            switch Self.parseLine(line) {
            case .success(let (key, comment)):
                entries.append(Entry(key: key, comment: comment, file: file, line: index + 1))
            case .failure(let reason):
                problems.append(Problem(file: file, line: index + 1, reason: reason.text))
            }
        }
    }

    public static func parse(_ text: String, file: String) -> AuthorizedKeys {
        var keys = AuthorizedKeys()
        keys.add(text, file: file)
        return keys
    }

    /// The entry that holds `key`, if any.
    public func entry(for key: SSHPublicKey) -> Entry? {
        entries.first { $0.key == key }
    }

    public var isEmpty: Bool { entries.isEmpty }

    struct Reason: Error, Equatable { let text: String }

    /// One non-blank, non-comment line.
    static func parseLine(_ line: Substring) -> Result<(SSHPublicKey, String), Reason> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first else { return .failure(Reason(text: "empty line")) }
        let type = String(first)
        if unsupportedTypes.contains(type) || type.hasSuffix("-cert-v01@openssh.com") {
            return .failure(Reason(text: "\(type): key type not supported (supported: \(supportedTypes.joined(separator: ", ")))"))
        }
        guard supportedTypes.contains(type) else {
            if words.dropFirst().contains(where: { supportedTypes.contains(String($0)) || unsupportedTypes.contains(String($0)) }) {
                return .failure(Reason(text: "options before the key type (\(type.prefix(40))) are not supported; the key is not used"))
            }
            return .failure(Reason(text: "not a public key: expected '<type> <base64> [comment]', got '\(type.prefix(40))'"))
        }
        guard words.count >= 2 else { return .failure(Reason(text: "\(type): the key's base64 data is missing")) }
        let data = words[1]
        guard data.utf8.allSatisfy(isBase64) else {
            return .failure(Reason(text: "\(type): the key data is not base64"))
        }
        do throws(SSHPublicKey.Invalid) {
            let key = try SSHPublicKey(type: type, base64: data)
            return .success((key, words.dropFirst(2).joined(separator: " ")))
        } catch {
            return .failure(Reason(text: "\(type): the key data is not a valid \(type) key (\(error.reason))"))
        }
    }

    private static func isBase64(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): true
        default: false
        }
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
