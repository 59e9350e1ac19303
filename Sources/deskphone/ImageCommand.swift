import ArgumentParser
import DaemonOptions
import Firmware
import Provisioning

#if canImport(Glibc)
import Glibc
#endif

/// `deskphone image keygen | build | sign | verify`: firmware images (Sources/Firmware,
/// FirmwareImage.swift describes the file).
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Build, sign and verify firmware images.",
        discussion: """
            An image is named as GUIDE.md §7.1 names SIP loads: P0S3-xx-y-zz (major, minor, \
            maintenance), the value image_version holds. 'build' writes the unsigned P0S3-xx-y-zz.bin, \
            'sign' the signed P0S3-xx-y-zz.sb2 (an Ed25519 signature over the manifest and the payload), \
            'verify' checks one as the phone does before installing it.
            """,
        subcommands: [Keygen.self, Build.self, Sign.self, Verify.self])

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Make an Ed25519 key pair for signing images.",
            discussion: """
                Writes NAME.key (the private key, mode 0600: keep it off the phones) and NAME.pub (the \
                public key the phones trust). Refuses to overwrite either file.
                """)

        @Argument(help: ArgumentHelp("Path and name of the two key files, without extension.", valueName: "name"))
        var name: String

        func run() throws {
            let key = ImageSigningKey.generate()
            try writeNew(name + ".key", key.fileText, mode: 0o600)
            try writeNew(name + ".pub", key.publicKey.fileText, mode: 0o644)
            print("\(name).key: private key (keep it secret)")
            print("\(name).pub: public key \(key.publicKey.keyIDText)")
        }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Make an unsigned image of a deskphoned executable.",
            discussion: "The output is P0S3-<version>.bin unless --output names another file.")

        @Argument(help: ArgumentHelp("The deskphoned executable (the payload).", valueName: "executable"))
        var executable: String

        @Option(name: .customLong("image-version"),
                help: ArgumentHelp("The image's version as GUIDE.md §7.1 spells it, e.g. 08-12-00 (8.12.0 is accepted).",
                                   valueName: "xx-y-zz"))
        var imageVersion: String

        @Option(help: "A model the image runs on: \(PhoneModel.allValueStrings.joined(separator: " or ")).")
        var model: [PhoneModel] = []

        @Option(help: ArgumentHelp("The image file to write.", valueName: "file"))
        var output: String?

        func validate() throws {
            if ImageVersion(imageVersion) == nil {
                throw ValidationError("'\(imageVersion)' is not an image version: write xx-y-zz, e.g. 08-12-00")
            }
            if model.isEmpty { throw ValidationError("name at least one --model") }
        }

        func run() throws {
            guard let version = ImageVersion(imageVersion) else { throw ExitCode(64) }
            let payload = try readOrFail(executable, limit: FirmwareImage.maximumImageSize)
            var models: [PhoneModel] = []
            for m in model where !models.contains(m) { models.append(m) }
            let image = FirmwareImage.build(payload: payload, version: version, models: models)
            let out = output ?? image.manifest.name + ".bin"
            try writeFile(out, image.bytes)
            print("\(out): \(image.manifest.name), unsigned, for \(models.map(\.rawValue).joined(separator: ", ")), payload \(payload.count) bytes")
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign an image with a private key.",
            discussion: "The output is P0S3-<version>.sb2 beside the input unless --output names another file. An earlier signature is replaced.")

        @Argument(help: ArgumentHelp("The image from 'deskphone image build'.", valueName: "image"))
        var image: String

        @Option(help: ArgumentHelp("The private key file from 'deskphone image keygen'.", valueName: "file"))
        var key: String

        @Option(help: ArgumentHelp("The signed image file to write.", valueName: "file"))
        var output: String?

        func run() throws {
            let signingKey: ImageSigningKey
            do {
                signingKey = try ImageSigningKey(file: String(decoding: try readOrFail(key, limit: 4096), as: UTF8.self))
            } catch let e as ImageError {
                fail("\(key): \(e)")
            }
            let parsed: FirmwareImage
            do { parsed = try FirmwareImage.parse(try readOrFail(image, limit: FirmwareImage.maximumImageSize)) }
            catch let e as ImageError { fail("\(image): \(e)") }
            let signed = try parsed.signed(with: signingKey)
            let dir = image.contains("/") ? String(image[...(image.lastIndex(of: "/") ?? image.startIndex)]) : ""
            let out = output ?? dir + parsed.manifest.name + ".sb2"
            try writeFile(out, signed.bytes)
            print("\(out): \(parsed.manifest.name), signed by key \(signingKey.publicKey.keyIDText)")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check an image as the phone does before installing it.",
            discussion: """
                Checks the file's size against its header, the payload's SHA-256, the Ed25519 signature \
                against the trusted public keys, and that the image is for the model. Prints each check \
                that passed; exits 1 with the reason at the first that fails.
                """)

        @Argument(help: ArgumentHelp("The signed image.", valueName: "image"))
        var image: String

        @Option(help: ArgumentHelp("A trusted public key file.", valueName: "file"))
        var key: [String]

        @Option(help: "The phone model: \(PhoneModel.allValueStrings.joined(separator: " or ")).")
        var model: PhoneModel = .cp7960

        func run() throws {
            var keys: [ImagePublicKey] = []
            for k in key {
                do { keys.append(try ImagePublicKey(file: String(decoding: try readOrFail(k, limit: 4096), as: UTF8.self))) }
                catch let e as ImageError { fail("\(k): \(e)") }
            }
            let bytes = try readOrFail(image, limit: FirmwareImage.maximumImageSize)
            let verifier = ImageVerifier(trustedKeys: keys, model: model)
            do {
                let verified = try verifier.verify(bytes) { print("\(image): \($0)") }
                print("\(image): OK, \(verified.image.manifest.name) may be installed on a \(model.rawValue)")
            } catch {
                fail("\(image): refused: \(error)")
            }
        }
    }
}

/// Prints the reason and exits 1.
private func fail(_ message: String) -> Never {
    print(message)
    fflush(nil)
    exit(1)
}

private func readOrFail(_ path: String, limit: Int) throws -> [UInt8] {
    do { return try readFile(path, limit: limit) } catch { fail("\(path): cannot read: \(error)") }
}

private func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { fail("\(path): cannot write: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
        if n < 0 { if errno == EINTR { continue }; fail("\(path): cannot write: \(String(cString: strerror(errno)))") }
        off += n
    }
}

private func writeNew(_ path: String, _ text: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { fail("\(path): cannot create: \(String(cString: strerror(errno)))") }
    close(fd)
    try writeFile(path, Array(text.utf8), mode: mode)
}
