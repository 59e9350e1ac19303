import TextUtilities
import Provisioning

/// What an image says about itself: the header of the image file (FirmwareImage.swift), as
/// `key: value` lines. `name` is the image name of GUIDE.md §7.1 (`P0S3-08-12-00`, the value
/// `image_version` holds), `version` its version part.
public struct ImageManifest: Sendable, Equatable {
    public let name: String
    public let version: ImageVersion
    /// The models the image runs on (at least one).
    public let models: [PhoneModel]
    public let payloadSize: Int
    /// SHA-256 of the payload, 32 bytes.
    public let payloadSHA256: [UInt8]

    public init(version: ImageVersion, models: [PhoneModel], payloadSize: Int, payloadSHA256: [UInt8]) {
        self.name = version.imageName
        self.version = version
        self.models = models
        self.payloadSize = payloadSize
        self.payloadSHA256 = payloadSHA256
    }

    /// The header fields in the order they are written; each must appear exactly once.
    static let fields = ["name", "version", "models", "payload-size", "payload-sha256"]

    /// The `key: value` lines (no format line, no blank line).
    public var lines: [String] {
        [
            "name: \(name)",
            "version: \(version)",
            "models: \(models.map(\.rawValue).joined(separator: ", "))",
            "payload-size: \(payloadSize)",
            "payload-sha256: \(Hex.encode(payloadSHA256))",
        ]
    }

    /// Parses the `key: value` lines (without the format line). `firstLine` is the number of
    /// the first line in the file, for the error. Strict: unknown keys, repeated keys, missing
    /// keys and bad values are refused.
    static func parse(_ lines: [Substring], firstLine: Int) throws(ImageError) -> ImageManifest {
        var values: [String: (String, Int)] = [:]
        for (i, line) in lines.enumerated() {
            let n = firstLine + i
            guard let colon = line.firstIndex(of: ":") else {
                throw .badHeader(line: n, reason: "expected 'key: value', found '\(Self.clip(line))'")
            }
            let key = String(line[..<colon])
            let rest = line[line.index(after: colon)...]
            guard rest.first == " " else { throw .badHeader(line: n, reason: "expected ': ' after '\(Self.clip(key))'") }
            let value = String(rest.dropFirst())
            guard Self.fields.contains(key) else { throw .badHeader(line: n, reason: "unknown key '\(Self.clip(key))'") }
            guard values[key] == nil else { throw .badHeader(line: n, reason: "'\(key)' appears twice") }
            values[key] = (value, n)
        }
        for f in Self.fields where values[f] == nil { throw .missingField(f) }
        // Present: checked just above.
        func value(_ key: String) -> (String, Int) { values[key] ?? ("", firstLine) }

        let (versionText, versionLine) = value("version")
        guard let version = ImageVersion(versionText), version.description == versionText else {
            throw .badHeader(line: versionLine, reason: "version '\(Self.clip(versionText))' is not of the form xx-y-zz (GUIDE.md §7.1)")
        }
        let (name, nameLine) = value("name")
        guard name == version.imageName else {
            throw .badHeader(line: nameLine, reason: "name '\(Self.clip(name))' should be \(version.imageName) for version \(version)")
        }
        let (modelsText, modelsLine) = value("models")
        var models: [PhoneModel] = []
        for m in modelsText.split(separator: ",", omittingEmptySubsequences: false) {
            let t = String(m.trimming(while: { $0 == " " }))
            guard let model = PhoneModel(rawValue: t) else {
                throw .badHeader(line: modelsLine, reason: "unknown model '\(Self.clip(t))' (known: \(PhoneModel.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard !models.contains(model) else { throw .badHeader(line: modelsLine, reason: "model \(t) listed twice") }
            models.append(model)
        }
        let (sizeText, sizeLine) = value("payload-size")
        guard !sizeText.isEmpty, sizeText.count <= 12, sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let size = Int(sizeText) else {
            throw .badHeader(line: sizeLine, reason: "payload-size '\(Self.clip(sizeText))' is not a number of bytes")
        }
        let (hashText, hashLine) = value("payload-sha256")
        guard hashText.count == 64, let hash = Hex.decode(hashText) else {
            throw .badHeader(line: hashLine, reason: "payload-sha256 must be 64 hexadecimal digits")
        }
        return ImageManifest(version: version, models: models, payloadSize: size, payloadSHA256: hash)
    }

    private static func clip<S: StringProtocol>(_ s: S) -> String {
        s.count > 40 ? String(s.prefix(40)) + "…" : String(s)
    }
}

/// Lower-case hexadecimal, both ways.
public enum Hex {
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil unless every character is a hex digit and there is an even number of them.
    public static func decode(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
