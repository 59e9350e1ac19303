import Provisioning

/// A SIP image version as GUIDE.md §7.1 spells it: `xx-y-zz` — major release (two digits),
/// minor (one or more digits), maintenance/build (two digits), e.g. `08-12-00`.
public struct ImageVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let maintenance: Int

    public init?(major: Int, minor: Int, maintenance: Int) {
        guard (0...99).contains(major), (0...999).contains(minor), (0...99).contains(maintenance) else { return nil }
        self.major = major
        self.minor = minor
        self.maintenance = maintenance
    }

    /// `08-12-00` (the guide's spelling); also `8.12.0` for people typing it.
    public init?(_ text: String) {
        let dashed = text.split(separator: "-", omittingEmptySubsequences: false)
        let dotted = text.split(separator: ".", omittingEmptySubsequences: false)
        let parts: [Substring]
        if dashed.count == 3 {
            // The guide's form: fixed widths for major and maintenance.
            guard dashed[0].count == 2, !dashed[1].isEmpty, dashed[1].count <= 3, dashed[2].count == 2 else { return nil }
            parts = dashed
        } else if dotted.count == 3 {
            guard dotted.allSatisfy({ (1...3).contains($0.count) }) else { return nil }
            parts = dotted
        } else {
            return nil
        }
        guard parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) else { return nil }
        self.init(major: a, minor: b, maintenance: c)
    }

    public var description: String {
        Self.pad(major) + "-" + String(minor) + "-" + Self.pad(maintenance)
    }

    /// The image name, `P0S3-xx-y-zz` (GUIDE.md §7.1: `P0S3` is the SIP load's prefix; the
    /// value `image_version` holds, without extension).
    public var imageName: String { ImageVersion.sipPrefix + "-" + description }

    public static let sipPrefix = "P0S3"

    /// The version named by an image name (`P0S3-08-12-00` → 08-12-00); nil for another
    /// prefix or a malformed version.
    public init?(imageName: String) {
        let prefix = Self.sipPrefix + "-"
        guard imageName.hasPrefix(prefix) else { return nil }
        self.init(String(imageName.dropFirst(prefix.count)))
        guard self.description == String(imageName.dropFirst(prefix.count)) else { return nil }
    }

    public static func < (l: ImageVersion, r: ImageVersion) -> Bool {
        (l.major, l.minor, l.maintenance) < (r.major, r.minor, r.maintenance)
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
}
