// A tiny strict XML tokenizer for the subset our provisioning files use (dial templates,
// GUIDE.md §5.1; the XML ring list, §8.1). Plain standard library: Foundation's XMLParser
// costs ~50 MB in a static binary and, on Linux, accepts malformed input such as `<A><B`
// (SWIFT-NOTES.md §3).
//
// Supported: an optional `<?xml …?>` declaration (first thing in the file, after an optional
// UTF-8 byte-order mark), elements with attributes (single- or double-quoted values), self-closing
// tags, end tags, comments, text, the five predefined entities and numeric character
// references. Not supported, and rejected with a reason: DOCTYPE, CDATA sections, processing
// instructions other than the declaration. Well-formedness across tokens (matching end tags,
// one root, no text outside it) is checked by `XMLTree` (XMLTree.swift).

public struct XMLAttribute: Sendable, Equatable {
    public var name: String
    public var value: String
    /// Where the attribute name starts.
    public var position: XMLPosition

    public init(name: String, value: String, position: XMLPosition) {
        self.name = name
        self.value = value
        self.position = position
    }
}

public enum XMLToken: Sendable, Equatable {
    case declaration(position: XMLPosition)
    case startTag(name: String, attributes: [XMLAttribute], selfClosing: Bool, position: XMLPosition)
    case endTag(name: String, position: XMLPosition)
    /// Character data with entities decoded and line ends normalised to LF.
    case text(String, position: XMLPosition)
    case comment(String, position: XMLPosition)
}

/// Why the XML is not well-formed (of the subset read).
public enum XMLSyntaxReason: PositionedReason {
    /// Input ended inside `<name …` before its `>`.
    case truncatedTag(String)
    /// `<` not followed by a name, `/`, `!--` or `?xml`.
    case expectedName
    /// A character that cannot appear at this point of a tag.
    case unexpectedCharacter(found: String, expected: String)
    case missingWhitespaceBetweenAttributes
    case unquotedAttributeValue(attribute: String)
    case unterminatedAttributeValue(attribute: String)
    case lessThanInAttributeValue(attribute: String)
    case duplicateAttribute(String)
    case unterminatedComment
    case unterminatedDeclaration
    case declarationNotAtStart
    /// DOCTYPE, CDATA or a processing instruction.
    case unsupportedMarkup(String)
    /// `&name;` with an unknown name, or a `&` that does not start a reference.
    case badEntity(String)
    /// `&#…;` naming a code point that XML does not allow.
    case badCharacterReference(String)
    case controlCharacter(UInt8)
    case invalidUTF8
    case mismatchedEndTag(expected: String, found: String, openedAt: XMLPosition)
    case endTagWithoutStart(String)
    case unclosedElement(String, openedAt: XMLPosition)
    case secondRoot(String)
    case textOutsideRoot
    case noRootElement
    case nestingTooDeep(limit: Int)
}

/// A tokenizer or tree error: where in the file, and why.
public typealias XMLSyntaxError = PositionedError<XMLSyntaxReason>

extension XMLSyntaxReason {
    public var text: String {
        switch self {
        case .truncatedTag(let name): "input ends inside the tag <\(name)"
        case .expectedName: "expected an element name after '<'"
        case .unexpectedCharacter(let found, let expected): "found \(found), expected \(expected)"
        case .missingWhitespaceBetweenAttributes: "attributes must be separated by whitespace"
        case .unquotedAttributeValue(let a): "value of attribute \(a) must be in quotes"
        case .unterminatedAttributeValue(let a): "value of attribute \(a) has no closing quote"
        case .lessThanInAttributeValue(let a): "'<' inside the value of attribute \(a) (write &lt;)"
        case .duplicateAttribute(let a): "attribute \(a) appears twice"
        case .unterminatedComment: "comment has no closing '-->'"
        case .unterminatedDeclaration: "XML declaration has no closing '?>'"
        case .declarationNotAtStart: "the <?xml ?> declaration must be the first thing in the file"
        case .unsupportedMarkup(let m): "\(m) is not supported"
        case .badEntity(let e): "unknown or malformed entity reference \(e)"
        case .badCharacterReference(let r): "character reference \(r) is not a valid XML character"
        case .controlCharacter(let b): "control character 0x\(String(b, radix: 16, uppercase: true)) is not allowed"
        case .invalidUTF8: "text is not valid UTF-8"
        case .mismatchedEndTag(let expected, let found, let openedAt):
            "end tag </\(found)> does not match <\(expected)> opened at \(openedAt)"
        case .endTagWithoutStart(let n): "end tag </\(n)> has no matching start tag"
        case .unclosedElement(let n, let openedAt): "element <\(n)> opened at \(openedAt) is never closed"
        case .secondRoot(let n): "second root element <\(n)> (a document has exactly one)"
        case .textOutsideRoot: "text outside the root element"
        case .noRootElement: "no root element"
        case .nestingTooDeep(let limit): "elements nested deeper than \(limit) levels"
        }
    }
}

public struct XMLTokenizer: Sendable {
    public struct Options: Sendable {
        /// End tags of these names may be written `</NAME/>`. GUIDE.md §5.1: the 6.x guide prints
        /// `</DIALTEMPLATE/>`, and files copied from it must still load.
        public var endTagsAllowingSlash: Set<String> = []
        /// Attribute names (compared case-insensitively) that may repeat within one tag. Strict XML
        /// forbids any repeat; GUIDE.md §5.1 documents up to three `Tone` attributes per rule.
        public var repeatableAttributes: Set<String> = []

        public init(endTagsAllowingSlash: Set<String> = [], repeatableAttributes: Set<String> = []) {
            self.endTagsAllowingSlash = endTagsAllowingSlash
            self.repeatableAttributes = Set(repeatableAttributes.map { $0.lowercased() })
        }
    }

    private let bytes: [UInt8]
    private let options: Options
    private var index = 0
    private var line = 1
    private var column = 1
    /// Index of the first byte after an optional byte-order mark; the declaration may only start here.
    private let contentStart: Int

    public init(_ bytes: [UInt8], options: Options = Options()) {
        self.bytes = bytes
        self.options = options
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        contentStart = bytes.starts(with: bom) ? 3 : 0
        index = contentStart
    }

    public var position: XMLPosition { XMLPosition(line: line, column: column) }

    /// The next token, or nil at the end of input.
    public mutating func next() throws(XMLSyntaxError) -> XMLToken? {
        guard index < bytes.count else { return nil }
        if bytes[index] != Ascii.lt { return try text() }
        let start = position
        if matches("<?") {
            if matches("<?xml") && (index + 5 >= bytes.count || Ascii.isSpace(bytes[index + 5])
                || bytes[index + 5] == Ascii.question) {
                guard index == contentStart else {
                    throw XMLSyntaxError(position: start, reason: .declarationNotAtStart)
                }
                return try declaration(start)
            }
            throw XMLSyntaxError(position: start, reason: .unsupportedMarkup("processing instruction <?…?>"))
        }
        if matches("<!--") { return try comment(start) }
        if matches("<![CDATA[") { throw XMLSyntaxError(position: start, reason: .unsupportedMarkup("CDATA section")) }
        if matches("<!") { throw XMLSyntaxError(position: start, reason: .unsupportedMarkup("<!…> declaration (DOCTYPE)")) }
        if matches("</") { return try endTag(start) }
        return try startTag(start)
    }

    // MARK: - Token kinds

    private mutating func text() throws(XMLSyntaxError) -> XMLToken {
        let start = position
        var out: [UInt8] = []
        while index < bytes.count, bytes[index] != Ascii.lt {
            let b = bytes[index]
            switch b {
            case Ascii.amp:
                try appendReference(to: &out)
            case Ascii.cr:
                // XML §2.11: CR LF and lone CR become LF.
                advance()
                if index < bytes.count, bytes[index] == Ascii.lf { advance() }
                out.append(Ascii.lf)
            default:
                try checkCharacter(b)
                out.append(b)
                advance()
            }
        }
        return .text(try decode(out, at: start), position: start)
    }

    private mutating func declaration(_ start: XMLPosition) throws(XMLSyntaxError) -> XMLToken {
        advance(by: 5)
        while index < bytes.count {
            if matches("?>") {
                advance(by: 2)
                return .declaration(position: start)
            }
            try checkCharacter(bytes[index])
            advance()
        }
        throw XMLSyntaxError(position: start, reason: .unterminatedDeclaration)
    }

    private mutating func comment(_ start: XMLPosition) throws(XMLSyntaxError) -> XMLToken {
        advance(by: 4)
        var out: [UInt8] = []
        // Strict XML forbids `--` inside a comment; we tolerate it because hand-written plans use
        // rulers like `<!-- ----- -->`, and the comment still ends at the first `-->`.
        while index < bytes.count {
            if matches("-->") {
                advance(by: 3)
                return .comment(try decode(out, at: start), position: start)
            }
            let b = bytes[index]
            try checkCharacter(b)
            out.append(b)
            advance()
        }
        throw XMLSyntaxError(position: start, reason: .unterminatedComment)
    }

    private mutating func endTag(_ start: XMLPosition) throws(XMLSyntaxError) -> XMLToken {
        advance(by: 2)
        guard let name = try name() else {
            throw XMLSyntaxError(position: position, reason: index < bytes.count
                ? .expectedName : .truncatedTag("/"))
        }
        skipSpace()
        guard index < bytes.count else { throw XMLSyntaxError(position: start, reason: .truncatedTag("/" + name)) }
        if bytes[index] == Ascii.gt {
            advance()
            return .endTag(name: name, position: start)
        }
        if bytes[index] == Ascii.slash, options.endTagsAllowingSlash.contains(name),
           index + 1 < bytes.count, bytes[index + 1] == Ascii.gt {
            advance(by: 2)
            return .endTag(name: name, position: start)
        }
        throw unexpected(expected: "'>' to close </\(name)")
    }

    private mutating func startTag(_ start: XMLPosition) throws(XMLSyntaxError) -> XMLToken {
        advance()
        guard let name = try name() else {
            throw XMLSyntaxError(position: position, reason: index < bytes.count ? .expectedName : .truncatedTag(""))
        }
        var attributes: [XMLAttribute] = []
        while true {
            let hadSpace = skipSpace()
            guard index < bytes.count else { throw XMLSyntaxError(position: start, reason: .truncatedTag(name)) }
            let b = bytes[index]
            if b == Ascii.gt {
                advance()
                return .startTag(name: name, attributes: attributes, selfClosing: false, position: start)
            }
            if b == Ascii.slash {
                advance()
                guard index < bytes.count else { throw XMLSyntaxError(position: start, reason: .truncatedTag(name)) }
                guard bytes[index] == Ascii.gt else { throw unexpected(expected: "'>' after '/' in <\(name)") }
                advance()
                return .startTag(name: name, attributes: attributes, selfClosing: true, position: start)
            }
            let attributeStart = position
            guard let attributeName = try self.name() else {
                throw unexpected(expected: "an attribute name, '>' or '/>' in <\(name)")
            }
            guard hadSpace else {
                throw XMLSyntaxError(position: attributeStart, reason: .missingWhitespaceBetweenAttributes)
            }
            if attributes.contains(where: { $0.name == attributeName }),
               !options.repeatableAttributes.contains(attributeName.lowercased()) {
                throw XMLSyntaxError(position: attributeStart, reason: .duplicateAttribute(attributeName))
            }
            skipSpace()
            guard index < bytes.count else { throw XMLSyntaxError(position: start, reason: .truncatedTag(name)) }
            guard bytes[index] == Ascii.equals else { throw unexpected(expected: "'=' after attribute \(attributeName)") }
            advance()
            skipSpace()
            guard index < bytes.count else { throw XMLSyntaxError(position: start, reason: .truncatedTag(name)) }
            let value = try attributeValue(of: attributeName)
            attributes.append(XMLAttribute(name: attributeName, value: value, position: attributeStart))
        }
    }

    private mutating func attributeValue(of attribute: String) throws(XMLSyntaxError) -> String {
        let quote = bytes[index]
        guard quote == Ascii.dquote || quote == Ascii.squote else {
            throw XMLSyntaxError(position: position, reason: .unquotedAttributeValue(attribute: attribute))
        }
        let start = position
        advance()
        var out: [UInt8] = []
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case quote:
                advance()
                return try decode(out, at: start)
            case Ascii.lt:
                throw XMLSyntaxError(position: position, reason: .lessThanInAttributeValue(attribute: attribute))
            case Ascii.amp:
                try appendReference(to: &out)
            case Ascii.cr:
                // XML §3.3.3 attribute-value normalisation: each line end and tab becomes a space.
                advance()
                if index < bytes.count, bytes[index] == Ascii.lf { advance() }
                out.append(Ascii.space)
            case Ascii.lf, Ascii.tab:
                advance()
                out.append(Ascii.space)
            default:
                try checkCharacter(b)
                out.append(b)
                advance()
            }
        }
        throw XMLSyntaxError(position: start, reason: .unterminatedAttributeValue(attribute: attribute))
    }

    // MARK: - Pieces

    /// Reads a name if one starts here; nil (without consuming) if the next byte cannot start one.
    private mutating func name() throws(XMLSyntaxError) -> String? {
        guard index < bytes.count, Ascii.isNameStart(bytes[index]) else { return nil }
        let start = position
        let from = index
        while index < bytes.count, Ascii.isNameByte(bytes[index]) { advance() }
        return try decode(Array(bytes[from..<index]), at: start)
    }

    /// Decodes `&…;` at the current index and appends its UTF-8 bytes.
    private mutating func appendReference(to out: inout [UInt8]) throws(XMLSyntaxError) {
        let start = position
        var end = index + 1
        // The longest legal reference is `&#x10FFFF;`; stop looking well before the end of the file.
        while end < bytes.count, end - index <= 12, bytes[end] != Ascii.semicolon, bytes[end] != Ascii.amp,
              bytes[end] != Ascii.lt, !Ascii.isSpace(bytes[end]) {
            end += 1
        }
        guard end < bytes.count, bytes[end] == Ascii.semicolon else {
            let shown = String(decoding: bytes[index..<min(end, bytes.count)], as: UTF8.self)
            throw XMLSyntaxError(position: start, reason: .badEntity(shown))
        }
        let body = Array(bytes[(index + 1)..<end])
        let whole = "&" + String(decoding: body, as: UTF8.self) + ";"
        let scalar: Unicode.Scalar
        switch body {
        case Array("amp".utf8): scalar = "&"
        case Array("lt".utf8): scalar = "<"
        case Array("gt".utf8): scalar = ">"
        case Array("quot".utf8): scalar = "\""
        case Array("apos".utf8): scalar = "'"
        default:
            guard body.first == Ascii.hash else {
                throw XMLSyntaxError(position: start, reason: .badEntity(whole))
            }
            let hex = body.count > 1 && body[1] == UInt8(ascii: "x")
            let digits = body.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty,
                  let code = UInt32(String(decoding: digits, as: UTF8.self), radix: hex ? 16 : 10),
                  String(decoding: digits, as: UTF8.self).allSatisfy({ $0.isHexDigit }) else {
                throw XMLSyntaxError(position: start, reason: .badEntity(whole))
            }
            guard let s = Unicode.Scalar(code), Self.isXMLChar(code) else {
                throw XMLSyntaxError(position: start, reason: .badCharacterReference(whole))
            }
            scalar = s
        }
        out.append(contentsOf: Array(String(scalar).utf8))
        advance(by: end + 1 - index)
    }

    /// XML 1.0 §2.2 `Char`.
    private static func isXMLChar(_ c: UInt32) -> Bool {
        c == 0x9 || c == 0xA || c == 0xD || (0x20...0xD7FF).contains(c)
            || (0xE000...0xFFFD).contains(c) || (0x10000...0x10FFFF).contains(c)
    }

    private func checkCharacter(_ b: UInt8) throws(XMLSyntaxError) {
        if b < 0x20 && b != Ascii.tab && b != Ascii.lf && b != Ascii.cr {
            throw XMLSyntaxError(position: position, reason: .controlCharacter(b))
        }
    }

    private func decode(_ utf8: [UInt8], at start: XMLPosition) throws(XMLSyntaxError) -> String {
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw XMLSyntaxError(position: start, reason: .invalidUTF8)
        }
        return s
    }

    private func unexpected(expected: String) -> XMLSyntaxError {
        let found: String
        if index < bytes.count {
            let b = bytes[index]
            found = b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16, uppercase: true))"
        } else {
            found = "end of input"
        }
        return XMLSyntaxError(position: position, reason: .unexpectedCharacter(found: found, expected: expected))
    }

    private func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { lit in
            for i in 0..<count where bytes[index + i] != lit[i] { return false }
            return true
        }
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let from = index
        while index < bytes.count, Ascii.isSpace(bytes[index]) { advance() }
        return index != from
    }

    private mutating func advance(by n: Int) {
        for _ in 0..<n { advance() }
    }

    private mutating func advance() {
        let b = bytes[index]
        index += 1
        if b == Ascii.lf {
            line += 1
            column = 1
        } else if b == Ascii.cr {
            // CR LF counts as one line end (at the LF); a lone CR is a line end of its own.
            if index < bytes.count, bytes[index] == Ascii.lf { return }
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            // UTF-8 continuation bytes do not start a new column.
            column += 1
        }
    }
}

/// ASCII byte constants and classes shared by the provisioning file parsers.
enum Ascii {
    static let tab = UInt8(ascii: "\t")
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let lt = UInt8(ascii: "<")
    static let gt = UInt8(ascii: ">")
    static let amp = UInt8(ascii: "&")
    static let slash = UInt8(ascii: "/")
    static let equals = UInt8(ascii: "=")
    static let dquote = UInt8(ascii: "\"")
    static let squote = UInt8(ascii: "'")
    static let question = UInt8(ascii: "?")
    static let semicolon = UInt8(ascii: ";")
    static let hash = UInt8(ascii: "#")

    static func isSpace(_ b: UInt8) -> Bool { b == space || b == tab || b == lf || b == cr }

    static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
            || b == UInt8(ascii: ":") || b >= 0x80
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
}
