import NIOSSH
@testable import SSHConsole
import SSHRelay
import Testing

/// The daemon's NIOSSH-free key code agrees with swift-nio-ssh's.
@Suite struct NIOSSHKeyTests {
    static let ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN8si+GGK/YpsxoagqcL8o51B64kh08BqSBsohh3P9Qx"
    static let p256 = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC0d6vhQs4cPTfVEGZhQrHRFWBD+ykcpHM4LoT3YiuNoK4PKmmPYH+lTsoGAwbahRjomFlL7jna2+5lMn/YfSfU="

    @Test func aKeyNIOSSHReadIsTheAuthorizedKeysLinesKey() throws {
        for line in [Self.ed25519, Self.p256] {
            let nio = try NIOSSHPublicKey(openSSHPublicKey: line)
            let key = try #require(SSHPublicKey(nio))
            #expect(key.openSSH == line)
            #expect(AuthorizedKeys.parse(line + " someone", file: "ak").entry(for: key)?.comment == "someone")
        }
    }

    @Test func theHostKeysPublicHalfIsNIOSSHs() throws {
        let key = HostKey()
        let nio = NIOSSHPrivateKey(ed25519Key: key.privateKey).publicKey
        #expect(String(openSSHPublicKey: nio) == key.openSSHPublicKey)
    }
}
