/// Random identifiers: branches with the RFC 3261 magic cookie, tags, Call-IDs.
public enum SIPIdentifiers {
    static func random(_ n: Int) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in chars[Int.random(in: 0..<chars.count, using: &g)] })
    }

    public static func branch() -> String { "z9hG4bK" + random(16) }
    public static func tag() -> String { random(10) }
    public static func callID(host: String) -> String { random(20) + "@" + host }
}
