/// Why an image, a key file or a slot was refused. Every reason is a sentence for the log,
/// `show image` and `deskphone image verify`.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is shorter than its header says (or ends inside the header).
    case truncated(expected: Int, actual: Int)
    /// Bytes follow the payload (and signature) that no part of the format accounts for.
    /// The file ends before the blank line that ends the header.
    case truncatedHeader(actual: Int)
    case trailingBytes(expected: Int, actual: Int)
    case tooLarge(size: Int, limit: Int)
    case notAnImage
    case unsupportedFormatVersion(String)
    /// A header line that is not `key: value`, or a bad value; `line` counts from 1 (the
    /// format line).
    case badHeader(line: Int, reason: String)
    case missingField(String)
    case hashMismatch(expected: String, actual: String)
    case unsigned
    case badSignatureBlock
    case unknownKey(keyID: String)
    case badSignature(keyID: String)
    case wrongModel(model: String, imageModels: [String])
    case badKeyFile(reason: String)

    public var description: String {
        switch self {
        case .truncated(let expected, let actual):
            "truncated: the header announces \(expected) bytes, the file has \(actual)"
        case .truncatedHeader(let actual): "truncated: the file ends inside the header, after \(actual) bytes"
        case .trailingBytes(let expected, let actual):
            "wrong size: the header announces \(expected) bytes, the file has \(actual) (\(actual - expected) unexpected bytes at the end)"
        case .tooLarge(let size, let limit): "too large: \(size) bytes, the limit is \(limit)"
        case .notAnImage: "not a Deskphone image (no '\(FirmwareImage.magicLine)' line at the start)"
        case .unsupportedFormatVersion(let line): "unsupported image format '\(line)'"
        case .badHeader(let line, let reason): "header line \(line): \(reason)"
        case .missingField(let name): "header has no '\(name):' line"
        case .hashMismatch(let expected, let actual):
            "wrong hash: the payload's SHA-256 is \(actual), the manifest says \(expected)"
        case .unsigned: "not signed (an image from 'deskphone image build' needs 'deskphone image sign')"
        case .badSignatureBlock: "the signature block is malformed"
        case .unknownKey(let id): "signed by unknown key \(id) (not among the trusted public keys)"
        case .badSignature(let id): "wrong signature: it does not match the image for key \(id)"
        case .wrongModel(let model, let models):
            "image is for model \(models.joined(separator: ", ")), not for this \(model)"
        case .badKeyFile(let reason): reason
        }
    }
}
