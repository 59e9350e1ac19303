// Builds an element tree from `XMLTokenizer` tokens and enforces well-formedness: every start
// tag has a matching end tag, exactly one root element, nothing but whitespace and comments
// outside it. These are the checks FoundationXML's parser skips on Linux (SWIFT-NOTES.md §3).

public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var attributes: [XMLAttribute]
    public var children: [XMLNode]
    /// Where the start tag's `<` is.
    public var position: XMLPosition

    public init(name: String, attributes: [XMLAttribute] = [], children: [XMLNode] = [], position: XMLPosition) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.position = position
    }

    /// Direct text children joined (comments removed).
    public var text: String {
        var out = ""
        for case .text(let t, _) in children { out += t }
        return out
    }
}

public enum XMLNode: Sendable, Equatable {
    case element(XMLElement)
    case text(String, position: XMLPosition)
}

public enum XMLTree {
    /// Our files are at most three levels deep; the limit keeps hostile input from building
    /// deep trees.
    public static let maximumDepth = 16

    /// Parses a whole document and returns its root element. Comments and the declaration are
    /// dropped.
    public static func parse(
        _ bytes: [UInt8], options: XMLTokenizer.Options = XMLTokenizer.Options()
    ) throws(XMLSyntaxError) -> XMLElement {
        var tokenizer = XMLTokenizer(bytes, options: options)
        var open: [XMLElement] = []
        var root: XMLElement?

        func close(_ element: XMLElement) {
            if open.isEmpty {
                root = element
            } else {
                open[open.count - 1].children.append(.element(element))
            }
        }

        while let token = try tokenizer.next() {
            switch token {
            case .declaration, .comment:
                continue
            case .text(let text, let position):
                if open.isEmpty {
                    guard text.utf8.allSatisfy(Ascii.isSpace) else {
                        throw XMLSyntaxError(
                            position: position.skippingLeadingWhitespace(of: text), reason: .textOutsideRoot)
                    }
                } else {
                    open[open.count - 1].children.append(.text(text, position: position))
                }
            case .startTag(let name, let attributes, let selfClosing, let position):
                if open.isEmpty, root != nil {
                    throw XMLSyntaxError(position: position, reason: .secondRoot(name))
                }
                let element = XMLElement(name: name, attributes: attributes, position: position)
                if selfClosing {
                    close(element)
                } else {
                    guard open.count < maximumDepth else {
                        throw XMLSyntaxError(position: position, reason: .nestingTooDeep(limit: maximumDepth))
                    }
                    open.append(element)
                }
            case .endTag(let name, let position):
                guard let top = open.popLast() else {
                    throw XMLSyntaxError(position: position, reason: .endTagWithoutStart(name))
                }
                guard top.name == name else {
                    throw XMLSyntaxError(
                        position: position,
                        reason: .mismatchedEndTag(expected: top.name, found: name, openedAt: top.position))
                }
                close(top)
            }
        }
        if let unclosed = open.last {
            throw XMLSyntaxError(
                position: tokenizer.position, reason: .unclosedElement(unclosed.name, openedAt: unclosed.position))
        }
        guard let root else {
            throw XMLSyntaxError(position: tokenizer.position, reason: .noRootElement)
        }
        return root
    }
}

extension XMLPosition {
    /// The position of the first non-whitespace character of `text`, which starts here. Lets
    /// errors about stray text point at the text rather than at the line end before it.
    func skippingLeadingWhitespace(of text: String) -> XMLPosition {
        var position = self
        for b in text.utf8 {
            guard Ascii.isSpace(b) else { break }
            if b == Ascii.lf {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
        }
        return position
    }
}
