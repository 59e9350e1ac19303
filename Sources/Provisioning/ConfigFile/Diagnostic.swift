/// A problem found in a configuration file, with its place: `file:line: name: reason`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case warning, error }

    public let severity: Severity
    public let file: String
    public let line: Int
    /// The parameter named on the line, when there is one.
    public let name: String?
    public let message: String

    public init(_ severity: Severity, file: String, line: Int, name: String? = nil, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.name = name
        self.message = message
    }

    /// `file:line: name: message` (line 0 means the file as a whole: `file: message`).
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        if let name { return "\(place): \(name): \(message)" }
        return "\(place): \(message)"
    }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { filter { $0.severity == .warning } }
}
