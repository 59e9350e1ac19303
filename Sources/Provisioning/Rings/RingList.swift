// Custom rings (GUIDE.md §8.1): the ring list (`RINGLIST.DAT`, or the later `Ringlist.xml`) and
// the raw µ-law PCM files it names.
import TextUtilities


public struct RingListEntry: Sendable, Equatable {
    /// The text shown on the phone (Settings > Ring Type).
    public var displayName: String
    /// The PCM file to fetch from the TFTP root; checked to be a plain file name because it
    /// becomes a file name in our flash store.
    public var fileName: String

    public init(displayName: String, fileName: String) {
        self.displayName = displayName
        self.fileName = fileName
    }
}

public struct RingList: Sendable, Equatable {
    public var entries: [RingListEntry]

    public init(entries: [RingListEntry]) {
        self.entries = entries
    }

    /// GUIDE.md §8.1 (later phones' ring list): names ≤ 25 characters, at most 50 entries. We
    /// apply both limits to both forms.
    public static let maximumDisplayNameLength = 25
    public static let maximumEntries = 50

    /// Parses either form: XML if the first non-blank character is `<`, otherwise `RINGLIST.DAT`.
    public static func parse(_ bytes: [UInt8]) throws(RingListError) -> RingList {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if body.first(where: { !Ascii.isSpace($0) }) == Ascii.lt {
            return try parseXML(bytes)
        }
        return try parseDAT(bytes)
    }

    /// `RINGLIST.DAT`: one ring per line, display text then file name.
    ///
    /// The guide marks the separator as unverified. We split on a TAB (the documented form);
    /// when a line has no TAB we also accept a run of two or more spaces, since editors often
    /// turn a typed tab into spaces. A single space never separates: display names contain
    /// spaces ("Analog Synth 1"). Leading and trailing spaces/tabs around each field are
    /// removed. LF or CRLF line ends; blank lines are ignored. The file must be UTF-8.
    public static func parseDAT(_ bytes: [UInt8]) throws(RingListError) -> RingList {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var entries: [RingListEntry] = []
        var lineNumber = 0
        for rawLine in body.split(separator: Ascii.lf, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == Ascii.cr { line = line.dropLast() }
            if line.allSatisfy({ $0 == Ascii.space || $0 == Ascii.tab }) { continue }

            let fields: [ArraySlice<UInt8>]
            if line.contains(Ascii.tab) {
                fields = line.split(separator: Ascii.tab).map { $0.trimmingWSP() }.filter { !$0.isEmpty }
            } else {
                fields = splitOnSpaceRuns(line)
            }
            guard fields.count >= 2 else {
                throw RingListError(line: lineNumber, reason: .missingSeparator)
            }
            guard fields.count == 2 else {
                throw RingListError(line: lineNumber, reason: .tooManyFields(fields.count))
            }
            guard let displayName = String(validating: fields[0], as: UTF8.self),
                  let fileName = String(validating: fields[1], as: UTF8.self) else {
                throw RingListError(line: lineNumber, reason: .invalidUTF8)
            }
            let entry = RingListEntry(displayName: displayName, fileName: fileName)
            if let reason = problem(with: entry) {
                throw RingListError(line: lineNumber, reason: reason)
            }
            guard entries.count < maximumEntries else {
                throw RingListError(line: lineNumber, reason: .tooManyEntries)
            }
            entries.append(entry)
        }
        return RingList(entries: entries)
    }

    /// `Ringlist.xml`: `<CiscoIPPhoneRingList><Ring><DisplayName>…</DisplayName>
    /// <FileName>…</FileName></Ring>…</CiscoIPPhoneRingList>`. Element names are case-sensitive;
    /// text is trimmed of surrounding whitespace.
    public static func parseXML(_ bytes: [UInt8]) throws(RingListError) -> RingList {
        let root: XMLElement
        do {
            root = try XMLTree.parse(bytes)
        } catch {
            throw RingListError(position: error.position, reason: .xml(error.reason))
        }
        guard root.name == "CiscoIPPhoneRingList" else {
            throw RingListError(position: root.position, reason: .unexpectedElement(root.name))
        }
        var entries: [RingListEntry] = []
        for ring in try childElements(of: root) {
            guard ring.name == "Ring" else {
                throw RingListError(position: ring.position, reason: .unexpectedElement(ring.name))
            }
            var displayName: String?
            var fileName: String?
            for field in try childElements(of: ring) {
                guard field.name == "DisplayName" || field.name == "FileName" else {
                    throw RingListError(position: field.position, reason: .unexpectedElement(field.name))
                }
                if let inner = try childElements(of: field).first {
                    throw RingListError(position: inner.position, reason: .unexpectedElement(inner.name))
                }
                let value = String(field.text.trimmingWhitespace())
                switch field.name {
                case "DisplayName" where displayName == nil: displayName = value
                case "FileName" where fileName == nil: fileName = value
                default:
                    throw RingListError(position: field.position, reason: .duplicateElement(field.name))
                }
            }
            guard let displayName else {
                throw RingListError(position: ring.position, reason: .missingElement("DisplayName"))
            }
            guard let fileName else {
                throw RingListError(position: ring.position, reason: .missingElement("FileName"))
            }
            let entry = RingListEntry(displayName: displayName, fileName: fileName)
            if let reason = problem(with: entry) {
                throw RingListError(position: ring.position, reason: reason)
            }
            guard entries.count < maximumEntries else {
                throw RingListError(position: ring.position, reason: .tooManyEntries)
            }
            entries.append(entry)
        }
        return RingList(entries: entries)
    }

    // MARK: - Checks

    private static func problem(with entry: RingListEntry) -> RingListError.Reason? {
        let name = entry.displayName
        if name.isEmpty { return .emptyDisplayName }
        if name.count > maximumDisplayNameLength { return .displayNameTooLong(length: name.count) }
        if name.unicodeScalars.contains(where: isControl) { return .controlCharacterInDisplayName }
        if let reason = RingFile.problemWithName(entry.fileName) { return reason }
        return nil
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || s.value == 0x7F
    }

    /// Elements among `element`'s children; non-blank text is an error.
    private static func childElements(of element: XMLElement) throws(RingListError) -> [XMLElement] {
        var out: [XMLElement] = []
        for child in element.children {
            switch child {
            case .element(let e):
                out.append(e)
            case .text(let text, let position):
                // Text is allowed only inside DisplayName and FileName, which are read via `.text`.
                if element.name != "DisplayName" && element.name != "FileName",
                   !text.utf8.allSatisfy(Ascii.isSpace) {
                    throw RingListError(
                        position: position.skippingLeadingWhitespace(of: text),
                        reason: .unexpectedText(element: element.name))
                }
            }
        }
        return out
    }

    /// Fields separated by runs of two or more spaces; single spaces stay inside a field.
    private static func splitOnSpaceRuns(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        let line = line.trimmingWSP()
        var fields: [ArraySlice<UInt8>] = []
        var fieldStart = line.startIndex
        var i = line.startIndex
        while i < line.endIndex {
            if line[i] == Ascii.space, i + 1 < line.endIndex, line[i + 1] == Ascii.space {
                fields.append(line[fieldStart..<i])
                while i < line.endIndex, line[i] == Ascii.space { i += 1 }
                fieldStart = i
            } else {
                i += 1
            }
        }
        fields.append(line[fieldStart..<line.endIndex])
        return fields.filter { !$0.isEmpty }
    }
}

/// Why a ring list was rejected, and where.
public struct RingListError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// A line with only one field (no TAB, and no run of 2+ spaces).
        case missingSeparator
        case tooManyFields(Int)
        case invalidUTF8
        case emptyDisplayName
        case displayNameTooLong(length: Int)
        case controlCharacterInDisplayName
        case emptyFileName
        /// Not a plain file name: contains `/`, `\`, `..`, NUL or another control character, or is `.`.
        case unsafeFileName(String)
        case tooManyEntries
        // XML form
        case xml(XMLSyntaxReason)
        case unexpectedElement(String)
        case unexpectedText(element: String)
        case missingElement(String)
        case duplicateElement(String)
    }

    /// 1-based line number.
    public var line: Int
    /// Column, for the XML form; nil for `RINGLIST.DAT`.
    public var column: Int?
    public var reason: Reason

    public init(line: Int, column: Int? = nil, reason: Reason) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    init(position: XMLPosition, reason: Reason) {
        self.init(line: position.line, column: position.column, reason: reason)
    }

    public var description: String {
        let place = column.map { "\(line):\($0)" } ?? "line \(line)"
        return "\(place): \(reason.text)"
    }
}

extension RingListError.Reason {
    public var text: String {
        switch self {
        case .missingSeparator: "expected display text and file name separated by a TAB"
        case .tooManyFields(let n): "\(n) fields; expected display text and file name"
        case .invalidUTF8: "text is not valid UTF-8"
        case .emptyDisplayName: "display name is empty"
        case .displayNameTooLong(let n): "display name is \(n) characters; the limit is \(RingList.maximumDisplayNameLength)"
        case .controlCharacterInDisplayName: "display name contains a control character"
        case .emptyFileName: "file name is empty"
        case .unsafeFileName(let n): "file name \"\(n)\" is not a plain file name (no '/', '\\', '..' or control characters)"
        case .tooManyEntries: "more than \(RingList.maximumEntries) rings"
        case .xml(let r): r.text
        case .unexpectedElement(let n): "unexpected element <\(n)>"
        case .unexpectedText(let e): "unexpected text inside <\(e)>"
        case .missingElement(let n): "<Ring> has no <\(n)>"
        case .duplicateElement(let n): "<Ring> has two <\(n)> elements"
        }
    }
}

/// Raw ring PCM files (GUIDE.md §8.1).
public enum RingFile {
    /// No header; 8000 samples/s, 8-bit µ-law, mono — so one byte is one sample.
    public static let sampleRate = 8000
    public static let minimumSamples = 240
    public static let maximumSamples = 16080
    /// The sample count must be a multiple of this (30 ms at 8 kHz).
    public static let sampleMultiple = 240

    /// nil if `bytes` is an acceptable ring; otherwise the first problem found. The guide's
    /// advice to start and end at a zero crossing is a recommendation and is not checked.
    public static func validate(_ bytes: [UInt8]) -> RingFileProblem? {
        let samples = bytes.count
        if samples < minimumSamples { return .tooShort(samples: samples) }
        if samples > maximumSamples { return .tooLong(samples: samples) }
        if samples % sampleMultiple != 0 { return .notMultipleOf240(samples: samples) }
        return nil
    }

    /// Nil if `name` is safe to use as a file name in the flash store.
    static func problemWithName(_ name: String) -> RingListError.Reason? {
        if name.isEmpty { return .emptyFileName }
        if name == "." || name.contains("..")
            || name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) {
            return .unsafeFileName(name)
        }
        return nil
    }
}

public enum RingFileProblem: Sendable, Equatable, CustomStringConvertible {
    case tooShort(samples: Int)
    case tooLong(samples: Int)
    case notMultipleOf240(samples: Int)

    public var description: String {
        switch self {
        case .tooShort(let n): "ring has \(n) samples; the minimum is \(RingFile.minimumSamples)"
        case .tooLong(let n): "ring has \(n) samples; the maximum is \(RingFile.maximumSamples) (2.01 s)"
        case .notMultipleOf240(let n): "ring has \(n) samples, not a multiple of \(RingFile.sampleMultiple)"
        }
    }
}
