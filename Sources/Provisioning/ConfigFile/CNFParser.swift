/// One `name: value` line of a .cnf file, before validation.
public struct CNFEntry: Sendable, Equatable {
    public let line: Int
    /// The name as written (validated later, case-insensitively).
    public let name: String
    /// The value with quotes removed; `""` and `UNPROVISIONED` both become nil (clear).
    public let value: String?
}

/// The .cnf syntax of GUIDE.md §2.1: one `name: value` per line, optional `; comment`,
/// `#` comment lines, LF or CRLF, whitespace around the colon, double-quoted values (needed
/// for the empty string and for values with spaces or `;`).
///
/// The parser works on bytes and reports every malformed line as an error with its line number;
/// the remaining lines still count.
public enum CNFParser {
    /// Files larger than this are refused whole, before any parsing: real files are a few KB.
    public static let maxFileSize = 256 * 1024
    /// A longer line is an error (no value of the table comes close).
    public static let maxLineLength = 1024

    public static func parse(_ bytes: [UInt8], file: String) -> (entries: [CNFEntry], diagnostics: [Diagnostic]) {
        guard bytes.count <= maxFileSize else {
            return ([], [Diagnostic(.error, file: file, line: 0,
                                    "file is \(bytes.count) bytes, larger than the \(maxFileSize)-byte limit; not read")])
        }
        var entries: [CNFEntry] = []
        var diagnostics: [Diagnostic] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var line = bytes[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            start = end + 1
            switch parseLine(line) {
            case .blank: break
            case .entry(let name, let value):
                entries.append(CNFEntry(line: lineNumber, name: name, value: value))
                if value == nil, emptyUnquoted(line) {
                    // `line1_name:` with nothing after it: the guide's way to clear is "" or
                    // UNPROVISIONED, so a bare colon is more likely a value left out.
                    diagnostics.append(Diagnostic(.warning, file: file, line: lineNumber, name: name,
                                                  "empty value: cleared (write \"\" or UNPROVISIONED to clear it on purpose)"))
                }
            case .malformed(let name, let reason):
                diagnostics.append(Diagnostic(.error, file: file, line: lineNumber, name: name, reason))
            }
        }
        return (entries, diagnostics)
    }

    enum LineResult: Equatable {
        case blank
        case entry(name: String, value: String?)
        case malformed(name: String?, reason: String)
    }

    static func parseLine(_ line: ArraySlice<UInt8>) -> LineResult {
        if line.count > maxLineLength {
            return .malformed(name: nil, reason: "line is \(line.count) bytes, longer than \(maxLineLength)")
        }
        if let bad = line.first(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            return .malformed(name: nil, reason: "line contains the control byte 0x\(hex(bad))")
        }
        var s = line.drop { isSpace($0) }
        while let l = s.last, isSpace(l) { s = s.dropLast() }
        if s.isEmpty || s.first == UInt8(ascii: "#") { return .blank }

        guard let colon = s.firstIndex(of: UInt8(ascii: ":")) else {
            return .malformed(name: nil, reason: "missing ':' (expected 'name: value')")
        }
        var nameBytes = s[..<colon]
        while let l = nameBytes.last, isSpace(l) { nameBytes = nameBytes.dropLast() }
        guard !nameBytes.isEmpty else { return .malformed(name: nil, reason: "missing parameter name before ':'") }
        guard nameBytes.allSatisfy(isNameByte) else {
            return .malformed(name: text(nameBytes), reason: "not a parameter name (letters, digits and '_' only)")
        }
        let name = text(nameBytes)

        var rest = s[(colon + 1)...].drop { isSpace($0) }
        if rest.first == UInt8(ascii: "\"") {
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: UInt8(ascii: "\"")) else {
                return .malformed(name: name, reason: "unterminated quoted value")
            }
            let value = rest[..<close]
            let after = rest[(close + 1)...].drop { isSpace($0) }
            if let f = after.first, f != UInt8(ascii: ";") && f != UInt8(ascii: "#") {
                return .malformed(name: name, reason: "text after the closing quote")
            }
            guard let v = utf8(value) else { return .malformed(name: name, reason: "value is not valid UTF-8") }
            return .entry(name: name, value: cleared(v) ? nil : v)
        }
        // Unquoted: the value ends at ';' (start of a comment); trailing blanks are dropped.
        var value = rest.prefix { $0 != UInt8(ascii: ";") }
        while let l = value.last, isSpace(l) { value = value.dropLast() }
        guard let v = utf8(value) else { return .malformed(name: name, reason: "value is not valid UTF-8") }
        if v.contains("\"") { return .malformed(name: name, reason: "stray '\"' in an unquoted value") }
        return .entry(name: name, value: cleared(v) ? nil : v)
    }

    /// Nothing but blanks (or a comment) after the colon.
    static func emptyUnquoted(_ line: ArraySlice<UInt8>) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let rest = line[(colon + 1)...].drop { isSpace($0) }
        return rest.isEmpty || rest.first == UInt8(ascii: ";")
    }

    /// `""` and `UNPROVISIONED` clear a parameter (GUIDE.md §2.1).
    static func cleared(_ v: String) -> Bool { v.isEmpty || v == "UNPROVISIONED" }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }
    static func text(_ b: some Collection<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
    static func utf8(_ b: some Collection<UInt8>) -> String? { String(validating: b, as: UTF8.self) }
    static func hex(_ b: UInt8) -> String {
        let d = Array("0123456789ABCDEF")
        return String([d[Int(b >> 4)], d[Int(b & 0xF)]])
    }
}
