/// What a TFTP read asks the server for, and the client-side limits of the transfer.
public struct TFTPOptions: Sendable, Equatable {
    /// RFC 2348 block size, 8...65464. The default 1428 keeps DATA packets inside a 1500-byte
    /// Ethernet MTU (1500 − 20 IP − 8 UDP − 4 TFTP − 40 of headroom for tunnels/IPv6).
    public var blockSize: Int
    /// RFC 2349 timeout in seconds, 1...255: the initial retransmission timeout on both ends.
    public var timeoutSeconds: Int
    /// How many times the last packet is sent again before the transfer fails.
    public var maxRetransmissions: Int
    /// The most bytes a transfer may deliver; a bigger file fails with `.tooLarge`.
    public var maxSize: Int
    /// Ask for the RFC 2349 transfer size so an oversized file is refused before any DATA.
    public var requestTransferSize: Bool

    public init(
        blockSize: Int = 1428, timeoutSeconds: Int = 1, maxRetransmissions: Int = 5,
        maxSize: Int = 1 << 20, requestTransferSize: Bool = true
    ) {
        self.blockSize = blockSize
        self.timeoutSeconds = timeoutSeconds
        self.maxRetransmissions = maxRetransmissions
        self.maxSize = maxSize
        self.requestTransferSize = requestTransferSize
    }

    /// RFC 2348 §"Blocksize Option Specification".
    public static let blockSizeRange = 8...65464
    /// RFC 2349 §"Timeout Interval Option Specification".
    public static let timeoutRange = 1...255

    /// Why these options cannot be used, or nil when they can.
    var invalidReason: String? {
        if !Self.blockSizeRange.contains(blockSize) {
            return "blockSize \(blockSize) outside \(Self.blockSizeRange)"
        }
        if !Self.timeoutRange.contains(timeoutSeconds) {
            return "timeoutSeconds \(timeoutSeconds) outside \(Self.timeoutRange)"
        }
        if maxRetransmissions < 0 { return "maxRetransmissions \(maxRetransmissions) is negative" }
        if maxSize < 0 { return "maxSize \(maxSize) is negative" }
        return nil
    }
}
