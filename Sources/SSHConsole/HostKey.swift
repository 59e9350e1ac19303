import Crypto
import NIOSSH

/// The SSH server's host key: Ed25519, generated at the first start that enables SSH and kept
/// in the flash (the daemon writes it through its FlashStore), so that clients see the same
/// key, and the same fingerprint, at every later start.
public struct HostKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { privateKey = Curve25519.Signing.PrivateKey() }

    /// The key kept in flash: its 32-byte seed.
    public init(stored bytes: [UInt8]) throws(HostKeyError) {
        guard bytes.count == 32 else { throw HostKeyError("expected a 32-byte Ed25519 seed, found \(bytes.count) bytes") }
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        } catch {
            throw HostKeyError("not an Ed25519 key: \(error)")
        }
    }

    /// What goes into the flash file (mode 0600).
    public var stored: [UInt8] { Array(privateKey.rawRepresentation) }

    public var sshKey: NIOSSHPrivateKey { NIOSSHPrivateKey(ed25519Key: privateKey) }

    /// `ssh-ed25519 AAAA…`, as in known_hosts and `.pub` files.
    public var openSSHPublicKey: String { String(openSSHPublicKey: sshKey.publicKey) }

    /// `SHA256:…`, as `ssh-keygen -l` and the ssh client print it.
    public var fingerprint: String { Self.fingerprint(of: sshKey.publicKey) }

    /// OpenSSH's fingerprint of any public key: SHA-256 of its wire form, base64 without padding.
    public static func fingerprint(of key: NIOSSHPublicKey) -> String {
        let text = String(openSSHPublicKey: key)
        let data = text.split(separator: " ").dropFirst().first.flatMap { Base64.decode($0) } ?? []
        let digest = Array(SHA256.hash(data: data))
        return "SHA256:" + Base64.encode(digest).prefix { $0 != "=" }
    }
}

public struct HostKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// RFC 4648 base64 (the standard alphabet), for key text and fingerprints; no Foundation.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil for a character outside the alphabet or a length that is not a multiple of four.
    static func decode(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var accumulator: UInt32 = 0, bits = 0
        for (index, c) in chars.enumerated() {
            if c == UInt8(ascii: "=") {
                guard index >= chars.count - 2 else { return nil }
                continue
            }
            guard let value = alphabet.firstIndex(of: c) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
