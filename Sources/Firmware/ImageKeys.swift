import Crypto

/// Ed25519 keys for images (swift-crypto `Curve25519.Signing`). Key files are one text line:
/// `deskphone-ed25519-private <64 hex digits>` or `deskphone-ed25519-public <64 hex digits>`
/// (the raw 32-byte keys), so they can be read, diffed and installed as conffiles.
public struct ImageSigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    public static let filePrefix = "deskphone-ed25519-private"

    public static func generate() -> ImageSigningKey { ImageSigningKey(key: .init()) }

    public init(file text: String) throws(ImageError) {
        let raw = try KeyFile.decode(text, prefix: Self.filePrefix, what: "private key")
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw) }
        catch { throw .badKeyFile(reason: "not an Ed25519 private key") }
    }

    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    public var fileText: String { Self.filePrefix + " " + Hex.encode(key.rawRepresentation) + "\n" }

    public var publicKey: ImagePublicKey { ImagePublicKey(key: key.publicKey) }

    func sign(_ bytes: [UInt8]) throws(ImageError) -> ImageSignature {
        do {
            return ImageSignature(keyID: publicKey.keyID, bytes: Array(try key.signature(for: bytes)))
        } catch {
            throw .badKeyFile(reason: "signing failed: \(error)")
        }
    }
}

/// A public key the phone (or `deskphone image verify`) trusts.
public struct ImagePublicKey: Sendable, Equatable {
    let key: Curve25519.Signing.PublicKey

    public static let filePrefix = "deskphone-ed25519-public"

    public init(file text: String) throws(ImageError) {
        let raw = try KeyFile.decode(text, prefix: Self.filePrefix, what: "public key")
        do { key = try Curve25519.Signing.PublicKey(rawRepresentation: raw) }
        catch { throw .badKeyFile(reason: "not an Ed25519 public key") }
    }

    init(key: Curve25519.Signing.PublicKey) { self.key = key }

    public var fileText: String { Self.filePrefix + " " + Hex.encode(key.rawRepresentation) + "\n" }

    /// The first 8 bytes of SHA-256 of the raw key: names the key in a signature block.
    public var keyID: [UInt8] { Array(SHA256.hash(data: Array(key.rawRepresentation)).prefix(8)) }
    public var keyIDText: String { Hex.encode(keyID) }

    func isValid(_ signature: [UInt8], for bytes: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: bytes)
    }

    public static func == (l: ImagePublicKey, r: ImagePublicKey) -> Bool {
        l.key.rawRepresentation == r.key.rawRepresentation
    }
}

enum KeyFile {
    static func decode(_ text: String, prefix: String, what: String) throws(ImageError) -> [UInt8] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count == 1 else { throw .badKeyFile(reason: "a \(what) file has one line '\(prefix) <64 hex digits>'") }
        let parts = lines[0].split(separator: " ")
        guard parts.count == 2, parts[0] == prefix else {
            if parts.first.map({ $0.hasPrefix("deskphone-ed25519-") }) == true {
                throw .badKeyFile(reason: "not a \(what) file (it starts with '\(parts[0])')")
            }
            throw .badKeyFile(reason: "a \(what) file has one line '\(prefix) <64 hex digits>'")
        }
        guard parts[1].count == 64, let raw = Hex.decode(String(parts[1])) else {
            throw .badKeyFile(reason: "the key is not 64 hexadecimal digits")
        }
        return raw
    }
}
