/// Errors with their place in a file, one type for every provisioning file read as XML: the
/// XML tokenizer and tree (`XMLSyntaxError`) and the dial plan (`DialTemplateError`) report
/// `line:column: reason` the same way, and a dial plan wraps an XML reason without losing it.

/// A place in the source: 1-based line and column. Columns count Unicode scalars, not bytes.
public struct XMLPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// What went wrong, in words for the log and `show status`.
public protocol PositionedReason: Sendable, Equatable {
    var text: String { get }
}

/// `reason` at `position` (`3:14: attribute MATCH appears twice`).
public struct PositionedError<Reason: PositionedReason>: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: XMLPosition
    public var reason: Reason
    public var line: Int { position.line }
    public var column: Int { position.column }

    public init(position: XMLPosition, reason: Reason) {
        self.position = position
        self.reason = reason
    }

    public init(line: Int, column: Int, reason: Reason) {
        self.init(position: XMLPosition(line: line, column: column), reason: reason)
    }

    public var description: String { "\(position): \(reason.text)" }
}
