/// Why a command line could not be run, pointing at the offending word.
public struct CLIError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A word matches nothing that may stand there.
        case invalid
        /// A word is the prefix of several keywords.
        case ambiguous([String])
        /// The line stops before the command is complete.
        case incomplete
        /// The command exists but needs more privilege.
        case notPermitted
    }

    public let kind: Kind
    /// The column the `^` marker goes under (nil for incomplete commands).
    public let column: Int?
    /// The specific reason, e.g. `'netwrk' is not a show keyword (valid: config, network, …)`.
    public let detail: String

    /// The lines the session prints: a caret under the word, then the message (the IOS shape:
    /// `% Invalid input detected at '^' marker.`). `promptWidth` is where column 0 sits;
    /// `line` is the line as typed, so that the caret stands under the word on the screen
    /// (wide and combining characters before it take 2 and 0 columns).
    public func render(promptWidth: Int, line: String = "") -> String {
        var out = ""
        if let column { out += String(repeating: " ", count: promptWidth + Self.screenColumns(line, before: column)) + "^\n" }
        return out + message
    }

    /// For a terminal whose line the session did not echo: where that line stands is unknown
    /// (on the prompt line for a program that echoes nothing, below it for a client that
    /// echoed), so the prompt and the line are drawn again from column 0 and the caret goes
    /// under that copy.
    public func render(prompt: String, line: String) -> String {
        guard let column else { return message }
        let width = Self.screenColumns(prompt, before: prompt.count)
        return "\r" + prompt + line + "\n" + String(repeating: " ", count: width + Self.screenColumns(line, before: column)) + "^\n" + message
    }

    /// The terminal columns the first `characters` characters of `text` take (a word's
    /// `column` counts characters; past the end of `text`, one column each).
    static func screenColumns(_ text: String, before characters: Int) -> Int {
        let shown = text.prefix(characters)
        return shown.reduce(0) { $0 + LineEditor.columns($1) } + max(0, characters - shown.count)
    }

    var message: String {
        var out = ""
        switch kind {
        case .invalid: out += "% Invalid input detected at '^' marker: \(detail)\n"
        case .ambiguous: out += "% Ambiguous command: \(detail)\n"
        case .incomplete: out += "% Incomplete command: \(detail)\n"
        case .notPermitted: out += "% Not permitted at this access level: \(detail)\n"
        }
        return out
    }
}
