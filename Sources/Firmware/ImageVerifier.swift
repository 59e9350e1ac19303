import Crypto
import Provisioning

/// An image whose size, hash, signature and model have been checked: the only kind the slots
/// accept (FirmwareSlots.installInactive).
public struct VerifiedImage: Sendable {
    public let image: FirmwareImage
    /// The trusted key that signed it.
    public let key: ImagePublicKey
    /// The image file's bytes as checked.
    public let bytes: [UInt8]
}

/// The checks of an image before it is installed, in order: the container's sizes (parse),
/// the payload's SHA-256 against the manifest, a signature by a trusted key, the model.
public struct ImageVerifier: Sendable {
    public let trustedKeys: [ImagePublicKey]
    public let model: PhoneModel

    public init(trustedKeys: [ImagePublicKey], model: PhoneModel) {
        self.trustedKeys = trustedKeys
        self.model = model
    }

    /// One passed check, in words, for `deskphone image verify` and the upgrade log.
    public typealias Report = (String) -> Void

    public func verify(_ bytes: [UInt8], report: Report = { _ in }) throws(ImageError) -> VerifiedImage {
        let image = try FirmwareImage.parse(bytes)
        let m = image.manifest
        report("image \(m.name), version \(m.version), for \(m.models.map(\.rawValue).joined(separator: ", "))")
        report("size: \(bytes.count) bytes, payload \(m.payloadSize) bytes, as the header says")
        let hash = Array(SHA256.hash(data: image.payload))
        guard hash == m.payloadSHA256 else {
            throw .hashMismatch(expected: Hex.encode(m.payloadSHA256), actual: Hex.encode(hash))
        }
        report("sha-256: \(Hex.encode(hash)), matches")
        guard let signature = image.signature else { throw .unsigned }
        guard let key = trustedKeys.first(where: { $0.keyID == signature.keyID }) else {
            throw .unknownKey(keyID: signature.keyIDText)
        }
        guard key.isValid(signature.bytes, for: image.signedBytes) else { throw .badSignature(keyID: signature.keyIDText) }
        report("signature: Ed25519 by trusted key \(signature.keyIDText), valid")
        guard m.models.contains(model) else {
            throw .wrongModel(model: model.rawValue, imageModels: m.models.map(\.rawValue))
        }
        report("model: \(model.rawValue), listed")
        return VerifiedImage(image: image, key: key, bytes: bytes)
    }
}
