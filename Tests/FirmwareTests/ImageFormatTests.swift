import Crypto
import Firmware
import Provisioning
import Testing

/// The image file (FirmwareImage.swift) and its checks, in-process.
@Suite struct ImageFormatTests {
    static let key = ImageSigningKey.generate()
    static let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    static func image(models: [PhoneModel] = [.cp7960, .cp7940]) throws -> FirmwareImage {
        try FirmwareImage.build(payload: payload, version: #require(ImageVersion("08-12-00")), models: models).signed(with: key)
    }

    static let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)

    func refusal(_ bytes: [UInt8], _ verifier: ImageVerifier = ImageFormatTests.verifier) -> ImageError? {
        do { _ = try verifier.verify(bytes); return nil } catch { return error }
    }

    @Test func versionsAndNamesAreSpelledAsTheGuideDoes() throws {
        #expect(ImageVersion("08-12-00")?.imageName == "P0S3-08-12-00")
        #expect(ImageVersion("8.12.0")?.description == "08-12-00")
        #expect(ImageVersion("07-4-00")?.imageName == "P0S3-07-4-00")
        #expect(ImageVersion(imageName: "P0S3-07-4-00") == ImageVersion("07-4-00"))
        for bad in ["8-12-00", "08-12-0", "08--00", "08-12-00-1", "0x-1-00", "", "08-1a-00", "P003-08-12-00"] {
            #expect(ImageVersion(bad) == nil, "\(bad)")
        }
        #expect(ImageVersion(imageName: "P003-08-12-00") == nil, "the loader's prefix is not a SIP image")
        #expect(try #require(ImageVersion("08-12-00")) > #require(ImageVersion("08-9-99")))
    }

    @Test func roundTripBuildSignVerify() throws {
        let image = try Self.image()
        let header = String(decoding: image.header, as: UTF8.self)
        #expect(header == """
            DESKPHONE-IMAGE 1
            name: P0S3-08-12-00
            version: 08-12-00
            models: 7960, 7940
            payload-size: 5000
            payload-sha256: \(Hex.encode(Array(SHA256.hash(data: Self.payload))))


            """)
        #expect(image.bytes.count == image.header.count + 5000 + 76)
        var checks: [String] = []
        let verified = try Self.verifier.verify(image.bytes) { checks.append($0) }
        #expect(verified.image == image)
        #expect(verified.image.payload == Self.payload)
        #expect(checks.count == 5)
        #expect(checks.last == "model: 7960, listed")
        #expect(try FirmwareImage.parse(image.bytes) == image)
        // A 7940 accepts it too.
        _ = try ImageVerifier(trustedKeys: [Self.key.publicKey], model: .cp7940).verify(image.bytes)
    }

    @Test func aWrongSignatureIsRefused() throws {
        var bytes = try Self.image().bytes
        bytes[bytes.count - 1] ^= 0x01
        let e = refusal(bytes)
        #expect(e == .badSignature(keyID: Self.key.publicKey.keyIDText))
        #expect(e?.description == "wrong signature: it does not match the image for key \(Self.key.publicKey.keyIDText)")
    }

    @Test func aChangedPayloadWithTheSameHashLineFailsTheHashCheck() throws {
        var bytes = try Self.image().bytes
        let headerSize = try Self.image().header.count
        bytes[headerSize + 10] ^= 0xFF
        let e = refusal(bytes)
        guard case .hashMismatch(let expected, _) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(expected == Hex.encode(Array(SHA256.hash(data: Self.payload))))
        #expect(e?.description.hasPrefix("wrong hash: the payload's SHA-256 is ") == true)
    }

    @Test func anUnknownKeyIsRefused() throws {
        let other = ImageVerifier(trustedKeys: [ImageSigningKey.generate().publicKey], model: .cp7960)
        let e = refusal(try Self.image().bytes, other)
        #expect(e == .unknownKey(keyID: Self.key.publicKey.keyIDText))
        #expect(e?.description == "signed by unknown key \(Self.key.publicKey.keyIDText) (not among the trusted public keys)")
        #expect(refusal(try Self.image().bytes, ImageVerifier(trustedKeys: [], model: .cp7960)) != nil)
    }

    @Test func anotherModelIsRefused() throws {
        let e = refusal(try Self.image(models: [.cp7940]).bytes)
        #expect(e == .wrongModel(model: "7960", imageModels: ["7940"]))
        #expect(e?.description == "image is for model 7940, not for this 7960")
    }

    @Test func anUnsignedImageIsRefused() throws {
        let unsigned = FirmwareImage.build(payload: Self.payload, version: try #require(ImageVersion("08-12-00")), models: [.cp7960])
        #expect(refusal(unsigned.bytes) == .unsigned)
    }

    /// Every prefix of a signed image is refused with a typed error, never a crash; past the
    /// header as truncated by the header, inside it as ending inside the header.
    @Test func everyTruncationIsRefused() throws {
        let image = try Self.image()
        let bytes = image.bytes
        var lengths = Array(0..<(image.header.count + 50))
        lengths += stride(from: image.header.count + 50, to: bytes.count, by: 97)
        lengths += [bytes.count - 64, bytes.count - 1]
        for n in lengths {
            let e = refusal(Array(bytes.prefix(n)))
            #expect(e != nil, "\(n) bytes accepted")
            if n >= image.header.count {
                #expect(e?.description.hasPrefix("truncated: the header announces ") == true, "\(n): \(String(describing: e))")
            } else if n > 0 {
                #expect(e?.description.hasPrefix("truncated: the file ends inside the header") == true, "\(n): \(String(describing: e))")
            }
        }
        #expect(refusal(Array(bytes.prefix(image.header.count + 100))) ==
                .truncated(expected: image.header.count + 5000, actual: image.header.count + 100))
    }

    @Test func wrongSizesAreRefused() throws {
        let bytes = try Self.image().bytes
        #expect(refusal(bytes + [0]) == .trailingBytes(expected: bytes.count, actual: bytes.count + 1))
        let unsigned = try Self.image().signedBytes
        #expect(refusal(unsigned + Array("junk".utf8)) == .trailingBytes(expected: unsigned.count, actual: unsigned.count + 4))
        // A header that announces a smaller payload: the rest is neither payload nor signature.
        let text = String(decoding: try Self.image().header, as: UTF8.self).replacingPayloadSize("5000", "4999")
        #expect(refusal(Array(text.utf8) + Self.payload)?.description.hasPrefix("wrong size: ") == true)
    }

    @Test func headersAreStrict() throws {
        let good = String(decoding: try Self.image().header, as: UTF8.self)
        func refused(_ header: String) -> String {
            refusal(Array(header.utf8) + Self.payload).map(\.description) ?? "accepted"
        }
        #expect(refused("MZ\u{1}\u{2}") == "not a Deskphone image (no 'DESKPHONE-IMAGE 1' line at the start)")
        #expect(refused(good.replacingOccurrences("DESKPHONE-IMAGE 1", "DESKPHONE-IMAGE 2")) == "unsupported image format 'DESKPHONE-IMAGE 2'")
        #expect(refused(good.replacingOccurrences("models: 7960, 7940\n", "models: 7960, 7940\ncolour: blue\n"))
                == "header line 5: unknown key 'colour'")
        #expect(refused(good.replacingOccurrences("models: 7960, 7940\n", "")) == "header has no 'models:' line")
        #expect(refused(good.replacingOccurrences("models: 7960, 7940", "models: 7960, 7970"))
                == "header line 4: unknown model '7970' (known: 7960, 7940)")
        #expect(refused(good.replacingOccurrences("name: P0S3-08-12-00", "name: P0S3-08-12-01"))
                == "header line 2: name 'P0S3-08-12-01' should be P0S3-08-12-00 for version 08-12-00")
        #expect(refused(good.replacingOccurrences("version: 08-12-00", "version: 8.12.0"))
                == "header line 3: version '8.12.0' is not of the form xx-y-zz (GUIDE.md §7.1)")
        #expect(refused(good.replacingOccurrences("payload-size: 5000", "payload-size: -5000"))
                == "header line 5: payload-size '-5000' is not a number of bytes")
        #expect(refused(good.replacingOccurrences("payload-size: 5000", "payload-size: 99999999999999999999"))
                == "header line 5: payload-size '99999999999999999999' is not a number of bytes")
        #expect(refused(good.replacingOccurrences("version: 08-12-00\n", "version: 08-12-00\nversion: 08-12-00\n"))
                == "header line 4: 'version' appears twice")
        #expect(refused(good.replacingOccurrences("models:", "models")) == "header line 4: expected 'key: value', found 'models 7960, 7940'")
        #expect(refused("DESKPHONE-IMAGE 1\n" + String(repeating: "x", count: 5000)) ==
                "header line 1: no blank line ends the header within 4096 bytes")
        // Only the canonical spelling: the signature covers the file's own bytes.
        #expect(refused(good.replacingOccurrences("payload-size: 5000", "payload-size: 05000"))
                == "header line 5: expected 'payload-size: 5000' here (fields in the order name, version, models, payload-size, payload-sha256, in this spelling)")
        #expect(refused(good.replacingOccurrences("models: 7960, 7940", "models: 7960,7940")).hasPrefix("header line 4: expected 'models: 7960, 7940' here"))
        let swapped = good.replacingOccurrences("name: P0S3-08-12-00\nversion: 08-12-00", "version: 08-12-00\nname: P0S3-08-12-00")
        #expect(refused(swapped).hasPrefix("header line 2: expected 'name: P0S3-08-12-00' here"))
        #expect(refusal(Array(good.utf8) + Self.payload)?.description == "not signed (an image from 'deskphone image build' needs 'deskphone image sign')")
    }

    @Test func keyFilesRoundTripAndBadOnesAreRefused() throws {
        let k = ImageSigningKey.generate()
        let again = try ImageSigningKey(file: k.fileText)
        #expect(again.publicKey == k.publicKey)
        #expect(try ImagePublicKey(file: k.publicKey.fileText) == k.publicKey)
        #expect(k.fileText.hasPrefix("deskphone-ed25519-private ") && k.fileText.count == 26 + 64 + 1)
        #expect(throws: ImageError.badKeyFile(reason: "not a public key file (it starts with 'deskphone-ed25519-private')")) {
            try ImagePublicKey(file: k.fileText)
        }
        #expect(throws: ImageError.badKeyFile(reason: "the key is not 64 hexadecimal digits")) {
            try ImagePublicKey(file: "deskphone-ed25519-public abc\n")
        }
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = "", rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
    func replacingPayloadSize(_ a: String, _ b: String) -> String {
        replacingOccurrences("payload-size: \(a)", "payload-size: \(b)")
    }
}
