import SSHRelay
import Testing

@Suite struct HostKeyTests {
    static func key(_ line: String) throws -> SSHPublicKey {
        let words = line.split(separator: " ")
        return try SSHPublicKey(type: String(words[0]), base64: words[1])
    }

    /// The fingerprints `ssh-keygen -l` printed for the two keys of AuthorizedKeysTests.
    @Test func fingerprintsAreOpenSSHs() throws {
        #expect(HostKey.fingerprint(of: try Self.key(AuthorizedKeysTests.ed25519)) == "SHA256:NLN3o/RAP/a6vDXjd6X/O1sEHvViZKGTgei3kUQuO44")
        #expect(HostKey.fingerprint(of: try Self.key(AuthorizedKeysTests.p256)) == "SHA256:dJpOAMxNDQ6KojHvmRi3nT6Zhc1LCI0IqySN3z9+Pgk")
    }

    @Test func aStoredKeyIsTheSameKeyAgain() throws {
        let key = HostKey()
        let again = try HostKey(stored: key.stored)
        #expect(key.stored.count == 32)
        #expect(again.fingerprint == key.fingerprint)
        #expect(again.openSSHPublicKey == key.openSSHPublicKey)
        #expect(key.openSSHPublicKey.hasPrefix("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"))
        #expect(HostKey().fingerprint != key.fingerprint)
        // The public key's text form reads back as a valid key.
        #expect(try Self.key(key.openSSHPublicKey) == key.publicKey)
    }

    @Test func aDamagedStoredKeyIsAnError() {
        #expect(throws: HostKeyError.self) { try HostKey(stored: [1, 2, 3]) }
        #expect(throws: HostKeyError.self) { try HostKey(stored: []) }
    }
}
