import Crypto

/// The SSH server's host key: Ed25519, generated at the first start that enables SSH and kept
/// in the flash (the daemon writes it through its FlashStore), so that clients see the same
/// key, and the same fingerprint, at every later start. The daemon keeps it and hands the seed
/// to deskphone-ssh (its `NIOSSHPrivateKey` is made there).
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

    /// The public key in its wire form.
    public var publicKey: SSHPublicKey {
        SSHPublicKey(made: "ssh-ed25519", wire: SSHPublicKey.ed25519Wire(Array(privateKey.publicKey.rawRepresentation)))
    }

    /// `ssh-ed25519 AAAA…`, as in known_hosts and `.pub` files.
    public var openSSHPublicKey: String { publicKey.openSSH }

    /// `SHA256:…`, as `ssh-keygen -l` and the ssh client print it.
    public var fingerprint: String { Self.fingerprint(of: publicKey) }

    /// OpenSSH's fingerprint of any public key: SHA-256 of its wire form, base64 without padding.
    public static func fingerprint(of key: SSHPublicKey) -> String {
        let digest = Array(SHA256.hash(data: key.wire))
        return "SHA256:" + Base64.encode(digest).prefix { $0 != "=" }
    }
}

public struct HostKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

