import Crypto
import Provisioning

/// A Deskphone firmware image file (`P0S3-xx-y-zz.bin` unsigned, `.sb2` signed, after the
/// guide's §7.1 names):
///
/// ```
/// DESKPHONE-IMAGE 1\n                 format line
/// name: P0S3-08-12-00\n               manifest, `key: value` lines (ImageManifest)
/// version: 08-12-00\n
/// models: 7960, 7940\n
/// payload-size: 1234567\n
/// payload-sha256: <64 hex digits>\n
/// \n                                  blank line: end of the header (at most 4096 bytes)
/// <payload-size bytes>                the payload: the deskphoned executable
/// SIG1 <8-byte key id> <64 bytes>     signed images only: Ed25519 signature of every byte
///                                     before it (header and payload); the key id is the
///                                     first 8 bytes of SHA-256 of the raw public key
/// ```
///
/// The header must be spelled exactly so (fields in this order, lower-case hex, no leading
/// zeros), so the signed bytes are the file's. The file's size must be exactly header +
/// payload-size (+ 76 when signed): anything shorter is truncated, anything longer refused.
public struct FirmwareImage: Sendable, Equatable {
    public let manifest: ImageManifest
    public let payload: [UInt8]
    public let signature: ImageSignature?

    public static let magicLine = "DESKPHONE-IMAGE 1"
    public static let maximumHeaderSize = 4096
    /// The largest image accepted (a static release deskphoned is about 60 MB).
    public static let maximumImageSize = 256 << 20
    static let signatureMagic = Array("SIG1".utf8)
    public static let signatureBlockSize = 4 + 8 + 64

    /// An unsigned image of `payload` (what `deskphone image build` writes).
    public static func build(payload: [UInt8], version: ImageVersion, models: [PhoneModel]) -> FirmwareImage {
        let manifest = ImageManifest(version: version, models: models, payloadSize: payload.count,
                                     payloadSHA256: Array(SHA256.hash(data: payload)))
        return FirmwareImage(manifest: manifest, payload: payload, signature: nil)
    }

    public init(manifest: ImageManifest, payload: [UInt8], signature: ImageSignature?) {
        self.manifest = manifest
        self.payload = payload
        self.signature = signature
    }

    public var header: [UInt8] {
        Array(([Self.magicLine] + manifest.lines).map { $0 + "\n" }.joined().utf8) + [0x0A]
    }

    /// The bytes the signature covers: header and payload.
    public var signedBytes: [UInt8] { header + payload }

    /// The file's bytes.
    public var bytes: [UInt8] {
        var out = signedBytes
        if let signature { out += Self.signatureMagic + signature.keyID + signature.bytes }
        return out
    }

    /// This image with a signature by `key` (replacing any earlier one).
    public func signed(with key: ImageSigningKey) throws(ImageError) -> FirmwareImage {
        FirmwareImage(manifest: manifest, payload: payload, signature: try key.sign(signedBytes))
    }

    /// Only the header: for the slot status, without reading a whole image.
    public static func parseManifest(_ bytes: [UInt8]) throws(ImageError) -> (manifest: ImageManifest, headerSize: Int) {
        guard bytes.starts(with: Array((magicLine + "\n").utf8)) else {
            if bytes.starts(with: Array("DESKPHONE-IMAGE ".utf8)), let nl = bytes.prefix(64).firstIndex(of: 0x0A) {
                throw .unsupportedFormatVersion(String(decoding: bytes[..<nl], as: UTF8.self))
            }
            if bytes.count < magicLine.utf8.count + 1, Array((magicLine + "\n").utf8).starts(with: bytes), !bytes.isEmpty {
                throw .truncatedHeader(actual: bytes.count)
            }
            throw .notAnImage
        }
        // The blank line that ends the header.
        let window = bytes.prefix(maximumHeaderSize)
        var end: Int?
        var i = window.startIndex
        while i + 1 < window.endIndex {
            if window[i] == 0x0A && window[i + 1] == 0x0A { end = i + 1; break }
            i += 1
        }
        guard let end else {
            if bytes.count < maximumHeaderSize { throw .truncatedHeader(actual: bytes.count) }
            throw .badHeader(line: 1, reason: "no blank line ends the header within \(maximumHeaderSize) bytes")
        }
        let headerBytes = bytes[..<end]
        guard let text = String(validating: headerBytes, as: UTF8.self) else {
            throw .badHeader(line: 1, reason: "header is not valid UTF-8")
        }
        for (n, c) in text.unicodeScalars.enumerated() where c.value < 0x20 && c != "\n" {
            throw .badHeader(line: 1 + text.unicodeScalars.prefix(n).filter { $0 == "\n" }.count,
                             reason: "control character 0x\(String(c.value, radix: 16)) in the header")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
        let manifest = try ImageManifest.parse(Array(lines), firstLine: 2)
        // Only the canonical spelling (the fields in order, as `lines` writes them) is accepted,
        // so the bytes signed are exactly the bytes of the file and of the slot.
        for (i, (found, expected)) in zip(lines, manifest.lines).enumerated() where found != expected {
            throw .badHeader(line: i + 2, reason: "expected '\(expected)' here (fields in the order name, version, models, payload-size, payload-sha256, in this spelling)")
        }
        return (manifest, end + 1)
    }

    /// Parses a whole image file, strictly: the header, then exactly the declared payload, then
    /// nothing or one signature block. Checks the sizes only; `ImageVerifier` checks the hash,
    /// the signature and the model.
    public static func parse(_ bytes: [UInt8]) throws(ImageError) -> FirmwareImage {
        guard bytes.count <= maximumImageSize else { throw .tooLarge(size: bytes.count, limit: maximumImageSize) }
        let (manifest, headerSize) = try parseManifest(bytes)
        guard manifest.payloadSize <= maximumImageSize else {
            throw .tooLarge(size: manifest.payloadSize, limit: maximumImageSize)
        }
        let unsignedSize = headerSize + manifest.payloadSize
        let signedSize = unsignedSize + signatureBlockSize
        if bytes.count < unsignedSize { throw .truncated(expected: unsignedSize, actual: bytes.count) }
        let payload = Array(bytes[headerSize..<unsignedSize])
        if bytes.count == unsignedSize { return FirmwareImage(manifest: manifest, payload: payload, signature: nil) }
        guard bytes[unsignedSize...].starts(with: signatureMagic) else {
            throw .trailingBytes(expected: unsignedSize, actual: bytes.count)
        }
        if bytes.count < signedSize { throw .truncated(expected: signedSize, actual: bytes.count) }
        if bytes.count > signedSize { throw .trailingBytes(expected: signedSize, actual: bytes.count) }
        let block = bytes[(unsignedSize + 4)...]
        let signature = ImageSignature(keyID: Array(block.prefix(8)), bytes: Array(block.dropFirst(8)))
        return FirmwareImage(manifest: manifest, payload: payload, signature: signature)
    }
}

/// An Ed25519 signature and the id of the key that made it.
public struct ImageSignature: Sendable, Equatable {
    public let keyID: [UInt8]
    public let bytes: [UInt8]
    public var keyIDText: String { Hex.encode(keyID) }
}
