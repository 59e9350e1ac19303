/// A word of a command line and the column (0-based, in characters) where it starts.
public struct Token: Sendable, Equatable {
    public let text: String
    public let column: Int
}

public enum CommandLineTokens {
    /// Splits on spaces and tabs, remembering where each word starts.
    public static func split(_ line: String) -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var start = 0
        for (i, ch) in line.enumerated() {
            if ch == " " || ch == "\t" {
                if !current.isEmpty { tokens.append(Token(text: current, column: start)); current = "" }
            } else {
                if current.isEmpty { start = i }
                current.append(ch)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: current, column: start)) }
        return tokens
    }
}
