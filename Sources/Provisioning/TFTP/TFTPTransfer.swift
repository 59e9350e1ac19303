/// One TFTP read transfer as a sans-I/O state machine (RFC 1350 with the option extension of
/// RFC 2347 and the blksize, timeout and tsize options of RFC 2348 and RFC 2349).
///
/// The owner feeds it events — `start()`, each received datagram with its source port, and the
/// expiry of the one timer it asked for — and carries out the actions it returns, in order.
/// `.armTimer` replaces any armed timer; after `.finished` or `.failed` the owner cancels the
/// timer and closes the socket, and every further event returns no action.
///
/// The transfer does not dally after the final ACK (RFC 1350 §6): if that ACK is lost the
/// server retransmits its last DATA to a closed port and gives up, which costs the client
/// nothing.
public struct TFTPTransfer: Sendable, CustomStringConvertible {
    public enum Action: Equatable, Sendable {
        /// Send a datagram to the server's `toPort`, or to the address the read was started
        /// with when `toPort` is nil (the request goes to the server's well-known port).
        case send([UInt8], toPort: Int?)
        /// (Re)arm the single retransmission timer; call `timerExpired()` when it fires.
        case armTimer(Duration)
        case finished([UInt8])
        case failed(TFTPError)
    }

    public enum State: Equatable, Sendable {
        case idle
        /// RRQ sent; the server's transfer ID (its port) is not known yet.
        case awaitingFirstReply
        /// OACK or DATA 1 received; ACKs go to `serverPort`.
        case receiving
        case finished
        case failed
    }

    /// RFC 1350's block size, in force when the server does not acknowledge blksize.
    public static let defaultBlockSize = 512
    /// The back-off never waits longer than this between retransmissions (unless the
    /// negotiated timeout itself is longer).
    public static let maxRetransmissionTimeout = Duration.seconds(8)

    public let file: String
    public let options: TFTPOptions
    public private(set) var state: State = .idle
    /// The server's transfer ID: the source port of its first reply (RFC 1350 §4).
    public private(set) var serverPort: Int?
    /// The block size in force: negotiated by OACK, else 512.
    public private(set) var blockSize = TFTPTransfer.defaultBlockSize
    /// The size announced by the server's tsize, if it sent one.
    public private(set) var transferSize: Int?
    /// Retransmissions over the whole transfer, for the log.
    public private(set) var retransmissions = 0
    /// Bytes received so far.
    public var byteCount: Int { received.count }

    private var received: [UInt8] = []
    private var lastBlock: UInt16 = 0
    private var blocksReceived = 0
    /// The packet a timeout sends again: the RRQ, then the latest ACK.
    private var lastSent: (bytes: [UInt8], port: Int?)?
    /// Retransmissions of `lastSent` so far; reset when the transfer moves on.
    private var attempts = 0
    private var currentTimeout: Duration

    public init(file: String, options: TFTPOptions = .init()) {
        self.file = file
        self.options = options
        self.currentTimeout = .seconds(options.timeoutSeconds)
    }

    private var initialTimeout: Duration { .seconds(options.timeoutSeconds) }

    /// The options the RRQ carries. blksize and timeout are always sent, tsize on request.
    var requestedOptions: [TFTPOption] {
        var list = [
            TFTPOption("blksize", String(options.blockSize)),
            TFTPOption("timeout", String(options.timeoutSeconds)),
        ]
        if options.requestTransferSize { list.append(TFTPOption("tsize", "0")) }
        return list
    }

    public var description: String {
        "TFTP read \(file.debugDescription) \(state) server port \(serverPort.map(String.init) ?? "-")"
            + " blksize \(blockSize) block \(lastBlock) bytes \(received.count)"
            + " retransmissions \(retransmissions)"
    }

    // MARK: Events

    /// Sends the read request.
    public mutating func start() -> [Action] {
        guard state == .idle else { return [] }
        if let reason = options.invalidReason {
            state = .failed
            return [.failed(.protocolViolation("invalid options: \(reason)"))]
        }
        guard !file.isEmpty, !file.utf8.contains(0) else {
            state = .failed
            return [.failed(.invalidFileName(file))]
        }
        let request = TFTPPacket.readRequest(file: file, mode: "octet", options: requestedOptions).encode()
        // RFC 2347: a request with options must fit in 512 octets.
        guard request.count <= 512 else {
            state = .failed
            return [.failed(.invalidFileName(file))]
        }
        state = .awaitingFirstReply
        return transmit(request, toPort: nil)
    }

    /// A datagram arrived from the server's host, from UDP port `fromPort`.
    public mutating func receive(_ bytes: some Collection<UInt8>, fromPort port: Int) -> [Action] {
        guard state == .awaitingFirstReply || state == .receiving else { return [] }
        if let serverPort, port != serverPort {
            // RFC 1350 §4: answer a stranger with error 5 and carry on. Never answer an ERROR,
            // so two confused peers cannot ping-pong.
            let isError = bytes.count >= 2 && bytes.first == 0 && bytes.dropFirst().first == 5
            if isError { return [] }
            let error = TFTPPacket.error(code: .unknownTransferID, message: "Unknown transfer ID")
            return [.send(error.encode(), toPort: port)]
        }
        serverPort = port

        let packet: TFTPPacket
        do {
            packet = try TFTPPacket(decoding: bytes)
        } catch {
            if error.isOptionError {
                return fail(.protocolViolation("bad OACK: \(error)"), sending: .optionNegotiationFailed, "\(error)")
            }
            return fail(.protocolViolation("malformed packet: \(error)"), sending: .illegalOperation, "\(error)")
        }

        switch packet {
        case .error(let code, let message):
            state = .failed
            return [.failed(.server(code: code.rawValue, message: message))]
        case .optionAck(let acknowledged):
            if state == .awaitingFirstReply { return negotiate(acknowledged) }
            if blocksReceived == 0 {
                // Our ACK 0 was lost and the server sent its OACK again: acknowledge again.
                return [.send(TFTPPacket.ack(block: 0).encode(), toPort: serverPort)]
            }
            return fail(.protocolViolation("OACK during the transfer"), sending: .illegalOperation, "Unexpected OACK")
        case .data(let block, let payload):
            if state == .awaitingFirstReply {
                guard block == 1 else {
                    return fail(.protocolViolation("first DATA is block \(block)"),
                                sending: .illegalOperation, "Expected block 1")
                }
                // The server ignored our options (RFC 2347): RFC 1350 defaults apply.
                blockSize = Self.defaultBlockSize
                state = .receiving
                return accept(block: block, payload: payload)
            }
            if block == lastBlock &+ 1 { return accept(block: block, payload: payload) }
            if block == lastBlock && blocksReceived > 0 {
                // The server did not get our ACK and sent the block again: acknowledge it again,
                // but do not take the data twice.
                return [.send(TFTPPacket.ack(block: block).encode(), toPort: serverPort)]
            }
            return []  // an older block, already acknowledged
        case .ack, .readRequest:
            return fail(.protocolViolation("unexpected \(packet.opcode) from the server"),
                        sending: .illegalOperation, "Unexpected packet")
        }
    }

    /// The timer armed by the last `.armTimer` fired.
    public mutating func timerExpired() -> [Action] {
        guard state == .awaitingFirstReply || state == .receiving, let last = lastSent else { return [] }
        guard attempts < options.maxRetransmissions else {
            state = .failed
            return [.failed(.timedOut(attempts: attempts + 1))]
        }
        attempts += 1
        retransmissions += 1
        // Exponential back-off, capped.
        currentTimeout = min(currentTimeout * 2, max(Self.maxRetransmissionTimeout, initialTimeout))
        return [.send(last.bytes, toPort: last.port), .armTimer(currentTimeout)]
    }

    // MARK: Steps

    /// Checks the server's OACK against what we asked for (RFC 2347–2349) and acknowledges it.
    private mutating func negotiate(_ acknowledged: [TFTPOption]) -> [Action] {
        let asked = requestedOptions
        var negotiatedBlockSize = Self.defaultBlockSize
        for option in acknowledged {
            let name = option.name.lowercased()
            guard asked[option: name] != nil else {
                return fail(.protocolViolation("OACK has option \(option.name) that was not requested"),
                            sending: .optionNegotiationFailed, "Option \(option.name) not requested")
            }
            // The packet decoder has checked that these values are decimal and in range.
            let value = Int(option.value) ?? -1
            switch name {
            case "blksize":
                // RFC 2348: the server may lower the block size, never raise it.
                guard value <= options.blockSize else {
                    return fail(.protocolViolation("OACK blksize \(value) above the \(options.blockSize) requested"),
                                sending: .optionNegotiationFailed, "blksize \(value) not acceptable")
                }
                negotiatedBlockSize = value
            case "timeout":
                // RFC 2349: the acknowledged timeout must match the request.
                guard value == options.timeoutSeconds else {
                    return fail(.protocolViolation("OACK timeout \(value) differs from \(options.timeoutSeconds) requested"),
                                sending: .optionNegotiationFailed, "timeout \(value) not acceptable")
                }
            case "tsize":
                transferSize = value
                guard value <= options.maxSize else {
                    return fail(.tooLarge(limit: options.maxSize), sending: .diskFull,
                                "File of \(value) bytes exceeds the limit of \(options.maxSize)")
                }
            default:
                break
            }
        }
        blockSize = negotiatedBlockSize
        state = .receiving
        return transmit(TFTPPacket.ack(block: 0).encode(), toPort: serverPort)
    }

    /// Takes the next block in sequence and acknowledges it.
    private mutating func accept(block: UInt16, payload: [UInt8]) -> [Action] {
        guard payload.count <= blockSize else {
            return fail(.protocolViolation("DATA block \(block) has \(payload.count) bytes, block size is \(blockSize)"),
                        sending: .illegalOperation, "Block too large")
        }
        guard received.count + payload.count <= options.maxSize else {
            return fail(.tooLarge(limit: options.maxSize), sending: .diskFull,
                        "File exceeds the limit of \(options.maxSize) bytes")
        }
        received.append(contentsOf: payload)
        lastBlock = block
        blocksReceived += 1
        let ack = TFTPPacket.ack(block: block).encode()
        if payload.count < blockSize {
            // RFC 1350 §6: a short block ends the transfer.
            state = .finished
            lastSent = nil
            return [.send(ack, toPort: serverPort), .finished(received)]
        }
        return transmit(ack, toPort: serverPort)
    }

    /// Sends a packet that a timeout will repeat, with a fresh back-off.
    private mutating func transmit(_ bytes: [UInt8], toPort port: Int?) -> [Action] {
        lastSent = (bytes, port)
        attempts = 0
        currentTimeout = initialTimeout
        return [.send(bytes, toPort: port), .armTimer(currentTimeout)]
    }

    /// Ends the transfer, telling the server why.
    private mutating func fail(_ error: TFTPError, sending code: TFTPErrorCode, _ message: String) -> [Action] {
        state = .failed
        lastSent = nil
        let packet = TFTPPacket.error(code: code, message: message).encode()
        return [.send(packet, toPort: serverPort), .failed(error)]
    }
}
