import NIOSSH
import SSHConsole
import Testing

@Suite struct HostKeyTests {
    /// The fingerprints `ssh-keygen -l` printed for the two keys of AuthorizedKeysTests.
    @Test func fingerprintsAreOpenSSHs() throws {
        let alice = try NIOSSHPublicKey(openSSHPublicKey: AuthorizedKeysTests.ed25519)
        #expect(HostKey.fingerprint(of: alice) == "SHA256:NLN3o/RAP/a6vDXjd6X/O1sEHvViZKGTgei3kUQuO44")
        let bob = try NIOSSHPublicKey(openSSHPublicKey: AuthorizedKeysTests.p256)
        #expect(HostKey.fingerprint(of: bob) == "SHA256:dJpOAMxNDQ6KojHvmRi3nT6Zhc1LCI0IqySN3z9+Pgk")
    }

    @Test func aStoredKeyIsTheSameKeyAgain() throws {
        let key = HostKey()
        let again = try HostKey(stored: key.stored)
        #expect(key.stored.count == 32)
        #expect(again.fingerprint == key.fingerprint)
        #expect(again.openSSHPublicKey == key.openSSHPublicKey)
        #expect(key.openSSHPublicKey.hasPrefix("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"))
        #expect(HostKey().fingerprint != key.fingerprint)
    }

    @Test func aDamagedStoredKeyIsAnError() {
        #expect(throws: HostKeyError.self) { try HostKey(stored: [1, 2, 3]) }
        #expect(throws: HostKeyError.self) { try HostKey(stored: []) }
    }
}
