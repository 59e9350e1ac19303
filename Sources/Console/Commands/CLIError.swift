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
    /// `% Invalid input detected at '^' marker.`). `promptWidth` is where column 0 sits.
    public func render(promptWidth: Int) -> String {
        var out = ""
        if let column { out += String(repeating: " ", count: promptWidth + column) + "^\n" }
        return out + message
    }

    /// For a terminal whose line the session did not echo: where that line stands is unknown
    /// (on the prompt line for a program that echoes nothing, below it for a client that
    /// echoed), so the prompt and the line are drawn again from column 0 and the caret goes
    /// under that copy.
    public func render(prompt: String, line: String) -> String {
        guard let column else { return message }
        let width = prompt.unicodeScalars.count
        return "\r" + prompt + line + "\n" + String(repeating: " ", count: width + column) + "^\n" + message
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
