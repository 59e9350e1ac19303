/// Why a TFTP read failed.
public enum TFTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server sent an ERROR packet (RFC 1350 §5).
    case server(code: UInt16, message: String)
    /// No answer after the first send and every retransmission.
    case timedOut(attempts: Int)
    /// The file is bigger than `TFTPOptions.maxSize` (by tsize or by the data received).
    case tooLarge(limit: Int)
    /// The server broke the protocol (or the options given to the client were unusable).
    case protocolViolation(String)
    /// The file name is empty, contains NUL, or does not fit a 512-byte request.
    case invalidFileName(String)

    public var description: String {
        switch self {
        case .server(let code, let message):
            let name = TFTPErrorCode(rawValue: code).name
            return message.isEmpty
                ? "TFTP error \(code) (\(name))" : "TFTP error \(code) (\(name)): \(message)"
        case .timedOut(let attempts):
            return "TFTP timed out after \(attempts) attempt\(attempts == 1 ? "" : "s")"
        case .tooLarge(let limit):
            return "TFTP file larger than the limit of \(limit) bytes"
        case .protocolViolation(let reason):
            return "TFTP protocol violation: \(reason)"
        case .invalidFileName(let name):
            return "TFTP invalid file name \(name.debugDescription)"
        }
    }
}
