import SSHRelay
import Testing

/// OpenSSH authorized_keys lines, good and bad (sshd(8) AUTHORIZED_KEYS FILE FORMAT).
@Suite struct AuthorizedKeysTests {
    static let ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN8si+GGK/YpsxoagqcL8o51B64kh08BqSBsohh3P9Qx alice@desk"
    static let p256 = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC0d6vhQs4cPTfVEGZhQrHRFWBD+ykcpHM4LoT3YiuNoK4PKmmPYH+lTsoGAwbahRjomFlL7jna2+5lMn/YfSfU= bob@desk"
    static let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCdfjXGQdVMFr/oA0pldGrsMISJ5j2m9UPqdcQho0LgA7FZspO/2taC4MdDguDwTKc/PmaeIgdn+RVqoCxeUf9GA0rtz/QI7dqUR+CSAsEwy8pI+jAUESo+RcWiUsCFDYF0fF52TgHXTPPXacudC39ytgxNhieQrmaFLqS9ytXgBw== rsa"

    @Test func ed25519AndP256KeysAreReadWithTheirComments() throws {
        let keys = AuthorizedKeys.parse("# admins\n\n\(Self.ed25519)\n\t\(Self.p256)  \r\n", file: "ak")
        #expect(keys.problems.isEmpty, "\(keys.problems)")
        #expect(keys.entries.map(\.comment) == ["alice@desk", "bob@desk"])
        #expect(keys.entries.map(\.line) == [3, 4])
        let alice = try SSHPublicKey(type: "ssh-ed25519", base64: Self.ed25519.split(separator: " ")[1])
        #expect(keys.entry(for: alice)?.comment == "alice@desk")
        // The text form of a parsed key is the line's type and data again.
        #expect(keys.entries[1].key.openSSH + " bob@desk" == Self.p256)
    }

    @Test func badLinesAreReportedWithTheirPlaceAndTheGoodOnesKept() {
        let text = [
            "garbage that is not a key",                                  // 1
            Self.ed25519,                                                 // 2
            Self.rsa,                                                     // 3
            "ssh-ed25519",                                                // 4
            "ssh-ed25519 AAAA!!notbase64",                                // 5
            "ssh-ed25519 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC0d6vhQs4cPTfVEGZhQrHRFWBD+ykcpHM4LoT3YiuNoK4PKmmPYH+lTsoGAwbahRjomFlL7jna2+5lMn/YfSfU=", // 6: a P-256 blob under the Ed25519 name
            "from=\"10.0.0.1\" \(Self.p256)",                             // 7
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN8si+GGK",              // 8: truncated
            Self.p256,                                                    // 9
        ].joined(separator: "\n")
        let keys = AuthorizedKeys.parse(text, file: "/flash/ssh/authorized_keys")
        #expect(keys.entries.map(\.line) == [2, 9])
        #expect(keys.problems.map(\.line) == [1, 3, 4, 5, 6, 7, 8])
        let reasons = keys.problems.map(\.description)
        #expect(reasons[0].hasPrefix("/flash/ssh/authorized_keys:1: not a public key"), "\(reasons[0])")
        #expect(reasons[1].contains("ssh-rsa: key type not supported"), "\(reasons[1])")
        #expect(reasons[2].contains("base64 data is missing"), "\(reasons[2])")
        #expect(reasons[3].contains("not base64"), "\(reasons[3])")
        #expect(reasons[4].contains("not a valid ssh-ed25519 key"), "\(reasons[4])")
        #expect(reasons[5].contains("options before the key type"), "\(reasons[5])")
        #expect(reasons[6].contains("not a valid ssh-ed25519 key"), "\(reasons[6])")
    }
}
