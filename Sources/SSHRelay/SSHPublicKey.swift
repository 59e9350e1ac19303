/// A public key in its SSH wire form (RFC 4253 §6.6: `string type, …`), as authorized_keys
/// lines hold it in base64 and as deskphone-ssh sends the key a client signed with. Only the
/// form is checked here (names and lengths); swift-nio-ssh, in the child, checks the curve points
/// and the signature, and a key is authorized when its wire bytes equal a listed key's.
public struct SSHPublicKey: Equatable, Hashable, Sendable {
    public let type: String
    public let wire: [UInt8]

    public struct Invalid: Error, Equatable, Sendable {
        public let reason: String
    }

    /// From an authorized_keys line's type and base64 data.
    public init(type: String, base64: Substring) throws(Invalid) {
        guard let wire = Base64.decode(base64) else { throw Invalid(reason: "bad base64") }
        try self.init(type: type, wire: wire)
    }

    public init(type: String, wire: [UInt8]) throws(Invalid) {
        var reader = WireReader(bytes: wire)
        guard let name = reader.string(), String(decoding: name, as: UTF8.self) == type else {
            throw Invalid(reason: "the data does not start with the name \(type)")
        }
        switch type {
        case "ssh-ed25519":
            guard reader.string()?.count == 32 else { throw Invalid(reason: "not a 32-byte Ed25519 key") }
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            let curve = String(type.dropFirst("ecdsa-sha2-".count))
            guard let c = reader.string(), String(decoding: c, as: UTF8.self) == curve else {
                throw Invalid(reason: "the curve is not \(curve)")
            }
            let size = ["nistp256": 65, "nistp384": 97, "nistp521": 133][curve]
            guard let point = reader.string(), point.count == size, point.first == 4 else {
                throw Invalid(reason: "not an uncompressed \(curve) point")
            }
        default:
            throw Invalid(reason: "key type \(type) not supported")
        }
        guard reader.atEnd else { throw Invalid(reason: "bytes after the key") }
        self.type = type
        self.wire = wire
    }

    /// A key made here (the host key's public half): its form is right by construction.
    init(made type: String, wire: [UInt8]) {
        self.type = type
        self.wire = wire
    }

    /// `ssh-ed25519 AAAA…`, as in known_hosts and `.pub` files.
    public var openSSH: String { type + " " + Base64.encode(wire) }

    private struct WireReader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func string() -> ArraySlice<UInt8>? {
            guard bytes.count - index >= 4 else { return nil }
            let length = bytes[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
            guard bytes.count - index - 4 >= length else { return nil }
            defer { index += 4 + length }
            return bytes[index + 4..<index + 4 + length]
        }
    }

    /// `string type, string key` of an Ed25519 public key.
    static func ed25519Wire(_ raw: [UInt8]) -> [UInt8] {
        func string(_ b: [UInt8]) -> [UInt8] {
            let n = UInt32(b.count)
            return [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
                    UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + b
        }
        return string(Array("ssh-ed25519".utf8)) + string(raw)
    }
}
