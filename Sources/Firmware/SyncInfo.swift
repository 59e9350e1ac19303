import Provisioning

/// `syncinfo.xml` (GUIDE.md §7.4): which sync value each image should run with.
///
/// ```
/// <SYNCINFO>
///   <IMAGE VERSION="P0S3-08-12-00" SYNC="2"/>
///   <IMAGE VERSION="*" SYNC="1"/>
/// </SYNCINFO>
/// ```
///
/// The guide documents only the `<IMAGE …/>` element, so any root element name is accepted
/// (and a lone `<IMAGE/>` as the root). Read with the project's XML reader (XMLTree).
public struct SyncInfo: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// An image name (`P0S3-08-12-00`), or `*` for any image.
        public let version: String
        /// Up to 32 characters; `1` when the attribute is absent.
        public let sync: String
        public let position: XMLPosition
        public var isWildcard: Bool { version == "*" }

        public init(version: String, sync: String, position: XMLPosition) {
            self.version = version
            self.sync = sync
            self.position = position
        }
    }

    public let entries: [Entry]

    public static let maximumSyncLength = 32
    public static let defaultSync = "1"
    /// A syncinfo.xml is a few lines; larger files are refused unread.
    public static let maximumFileSize = 64 << 10
    static let maximumEntries = 256

    /// The entry for an image: its own entry, else the wildcard (exact beats wildcard, [sipcc]
    /// SYNCF_MY vs SYNCF_WILD); nil when neither is there (§7.4 step 4).
    public func entry(forImage image: String) -> Entry? {
        entries.first { $0.version == image } ?? entries.first { $0.isWildcard }
    }

    public enum Decision: Sendable, Equatable {
        /// The entry's sync value differs from the phone's: reboot (and upgrade to
        /// `image_version` if that differs).
        case reboot(sync: String)
        /// Same sync value: no reboot, only the new dial plan applies.
        case noReboot
        /// No entry for this image and no wildcard: no reboot.
        case noEntry
    }

    /// §7.4 step 4 for a phone running `image` with sync value `currentSync` (the `sync`
    /// parameter).
    public func decision(runningImage image: String, currentSync: String) -> Decision {
        guard let e = entry(forImage: image) else { return .noEntry }
        return e.sync == currentSync ? .noReboot : .reboot(sync: e.sync)
    }

    public static func parse(_ bytes: [UInt8]) throws(SyncInfoError) -> SyncInfo {
        guard bytes.count <= maximumFileSize else {
            throw SyncInfoError(line: 1, column: 1, reason: .tooLarge(bytes.count))
        }
        let root: XMLElement
        do { root = try XMLTree.parse(bytes) } catch {
            throw SyncInfoError(position: error.position, reason: .xml(error.reason))
        }
        if root.name == "IMAGE" { return SyncInfo(entries: [try entry(root)]) }
        var entries: [Entry] = []
        for child in root.children {
            switch child {
            case .text(let t, let position):
                guard t.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
                    throw SyncInfoError(position: Self.firstNonSpace(t, from: position), reason: .unexpectedText)
                }
            case .element(let e):
                guard e.name == "IMAGE" else { throw SyncInfoError(position: e.position, reason: .unexpectedElement(e.name)) }
                let entry = try entry(e)
                if let earlier = entries.first(where: { $0.version == entry.version }) {
                    throw SyncInfoError(position: e.position, reason: .duplicateVersion(entry.version, earlier: earlier.position))
                }
                guard entries.count < maximumEntries else {
                    throw SyncInfoError(position: e.position, reason: .tooManyEntries(maximumEntries))
                }
                entries.append(entry)
            }
        }
        return SyncInfo(entries: entries)
    }

    /// Where the text starting at `start` has its first non-whitespace character.
    private static func firstNonSpace(_ text: String, from start: XMLPosition) -> XMLPosition {
        var p = start
        for c in text.unicodeScalars {
            guard c == " " || c == "\t" || c == "\n" || c == "\r" else { break }
            if c == "\n" { p.line += 1; p.column = 1 } else { p.column += 1 }
        }
        return p
    }

    private static func entry(_ e: XMLElement) throws(SyncInfoError) -> Entry {
        if let inner = e.children.first(where: { if case .element = $0 { true } else { false } }),
           case .element(let x) = inner {
            throw SyncInfoError(position: x.position, reason: .unexpectedElement(x.name))
        }
        var version: String?
        var sync: String?
        for a in e.attributes {
            switch a.name.uppercased() {
            case "VERSION" where version == nil: version = a.value
            case "SYNC" where sync == nil: sync = a.value
            case "VERSION", "SYNC": throw SyncInfoError(position: a.position, reason: .duplicateAttribute(a.name))
            default: throw SyncInfoError(position: a.position, reason: .unknownAttribute(a.name))
            }
        }
        guard let version else { throw SyncInfoError(position: e.position, reason: .missingVersion) }
        guard !version.isEmpty, !version.contains(where: { $0.isWhitespace }) else {
            throw SyncInfoError(position: e.position, reason: .badVersion(version))
        }
        let s = sync ?? defaultSync
        guard s.count <= maximumSyncLength else {
            throw SyncInfoError(position: e.attributes.first { $0.name.uppercased() == "SYNC" }?.position ?? e.position,
                                reason: .syncTooLong(s.count))
        }
        guard !s.isEmpty else {
            throw SyncInfoError(position: e.attributes.first { $0.name.uppercased() == "SYNC" }?.position ?? e.position,
                                reason: .emptySync)
        }
        return Entry(version: version, sync: s, position: e.position)
    }
}

public enum SyncInfoReason: PositionedReason {
    case xml(XMLSyntaxReason)
    case tooLarge(Int)
    case unexpectedElement(String)
    case unexpectedText
    case missingVersion
    case badVersion(String)
    case unknownAttribute(String)
    case duplicateAttribute(String)
    case syncTooLong(Int)
    case emptySync
    case duplicateVersion(String, earlier: XMLPosition)
    case tooManyEntries(Int)

    public var text: String {
        switch self {
        case .xml(let r): r.text
        case .tooLarge(let n): "file is \(n) bytes, larger than the \(SyncInfo.maximumFileSize)-byte limit"
        case .unexpectedElement(let n): "unexpected element <\(n)> (syncinfo.xml holds <IMAGE VERSION=\"…\" SYNC=\"…\"/> elements)"
        case .unexpectedText: "text between the <IMAGE/> elements"
        case .missingVersion: "<IMAGE> has no VERSION attribute"
        case .badVersion(let v): "VERSION \"\(v)\" is not an image name or *"
        case .unknownAttribute(let a): "unknown attribute \(a) (an <IMAGE> has VERSION and SYNC)"
        case .duplicateAttribute(let a): "attribute \(a) appears twice"
        case .syncTooLong(let n): "SYNC is \(n) characters long, at most \(SyncInfo.maximumSyncLength) are allowed"
        case .emptySync: "SYNC is empty"
        case .duplicateVersion(let v, let earlier): "VERSION \"\(v)\" is listed twice (first at \(earlier))"
        case .tooManyEntries(let n): "more than \(n) <IMAGE> elements"
        }
    }
}

/// `line:column: reason` in syncinfo.xml.
public typealias SyncInfoError = PositionedError<SyncInfoReason>
