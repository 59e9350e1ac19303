// libFuzzer harness for firmware images (issue 17): the parsing an image goes through before its
// hash and signature are checked — the header (FirmwareImage.parseManifest, ImageManifest), the
// whole file's sizes and signature block (FirmwareImage.parse) — and the key files the
// signature check reads (ImagePublicKey, ImageSigningKey). Not the Ed25519 check itself.
//
// Invariants: an image that parses is exactly its bytes again (the format is canonical, so the
// signed bytes are the file's); its header parses alone to the same manifest and size; the
// signature block has its fixed sizes. See Fuzz/sip/SIPFuzz.swift for how it is built and replayed.
import Firmware
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)

    if let (manifest, headerSize) = try? FirmwareImage.parseManifest(bytes) {
        let header = FirmwareImage(manifest: manifest, payload: [], signature: nil).header
        fuzzRequire(header.count == headerSize && bytes.starts(with: header),
                    "header of \(headerSize) bytes reads back as \(header.count) other bytes")
        fuzzRequire(ImageVersion(manifest.version.description) == manifest.version
                    && ImageVersion(imageName: manifest.name) == manifest.version,
                    "version \(manifest.version) of image \(manifest.name) does not read back")
        fuzzRequire(!manifest.models.isEmpty && manifest.payloadSHA256.count == 32, "manifest \(manifest)")
    }

    if let image = try? FirmwareImage.parse(bytes) {
        fuzzRequire(image.bytes == bytes, "image \(image.manifest.name) of \(bytes.count) bytes is \(image.bytes.count) other bytes")
        fuzzRequire(image.payload.count == image.manifest.payloadSize, "payload of \(image.payload.count) bytes")
        if let signature = image.signature {
            fuzzRequire(signature.keyID.count == 8 && signature.bytes.count == 64, "signature block \(signature)")
        }
        let (manifest, headerSize) = (try? FirmwareImage.parseManifest(bytes)) ?? (image.manifest, -1)
        fuzzRequire(manifest == image.manifest && headerSize == image.header.count, "the header alone reads otherwise")
    }

    // Key files are text; a key that loads writes back as the same line.
    let text = String(decoding: bytes, as: UTF8.self)
    if let key = try? ImagePublicKey(file: text) {
        fuzzRequire((try? ImagePublicKey(file: key.fileText)) == key, "public key \(key.keyIDText) does not read back")
    }
    if let key = try? ImageSigningKey(file: text) {
        fuzzRequire((try? ImageSigningKey(file: key.fileText))?.fileText == key.fileText, "private key does not read back")
    }
    for line in text.split(separator: "\n").prefix(8) {
        if let version = ImageVersion(String(line)) {
            fuzzRequire(ImageVersion(version.description) == version, "version \(line) reads back otherwise")
        }
    }
    return 0
}

@main enum ImageFuzzReplay {
    static func main() { FuzzReplay.run(fuzzImage) }
}
