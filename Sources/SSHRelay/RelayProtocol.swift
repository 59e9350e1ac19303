import NIOCore

/// What deskphoned and its SSH server, `deskphone-ssh`, say to each other (issue 16: the daemon
/// links no NIOSSH). One frame is a type byte, a 4-byte big-endian length and that many payload
/// bytes; payload fields are 4-byte big-endian numbers and length-prefixed byte strings.
///
/// Two channels carry frames: the control socket (`SOCK_SEQPACKET`, fd 3 of the child, one frame
/// a packet: logins, the listening address, new sessions with their socket attached) and each
/// session's own stream socket (terminal bytes, window changes, EOF, the exit status). No I/O
/// here: a malformed frame is a `RelayProtocolError`, and whoever read it closes that channel.
public struct RelayFrame: Equatable, Sendable {
    public var type: UInt8
    public var payload: [UInt8]

    public init(type: UInt8, payload: [UInt8] = []) {
        self.type = type
        self.payload = payload
    }

    /// The type byte and the length.
    public static let headerSize = 5
    /// The largest payload (a packet of the control socket, a chunk of terminal output).
    public static let maximumPayload = 65536

    public var bytes: [UInt8] {
        var out: [UInt8] = [type]
        out.reserveCapacity(Self.headerSize + payload.count)
        appendNumber(UInt32(payload.count), to: &out)
        out += payload
        return out
    }

    /// One frame that fills `packet` exactly (a control socket packet).
    public init(packet: [UInt8]) throws(RelayProtocolError) {
        var buffer = ByteBuffer(bytes: packet)
        guard let frame = try Self.read(from: &buffer) else {
            throw RelayProtocolError("truncated frame (\(packet.count) bytes)")
        }
        guard buffer.readableBytes == 0 else {
            throw RelayProtocolError("\(buffer.readableBytes) bytes after the frame")
        }
        self = frame
    }

    /// The next frame of a stream; nil while it is incomplete (nothing is consumed then).
    public static func read(from buffer: inout ByteBuffer) throws(RelayProtocolError) -> RelayFrame? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self) else { return nil }
        guard length <= maximumPayload else {
            throw RelayProtocolError("frame of type \(type) is \(length) bytes long (at most \(maximumPayload))")
        }
        guard buffer.readableBytes >= headerSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerSize)
        let payload = buffer.readBytes(length: Int(length)) ?? []
        return RelayFrame(type: type, payload: payload)
    }
}

public struct RelayProtocolError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a session's stream socket carries, both ways: terminal bytes, and from the SSH side a
/// window change and the client's EOF, from the daemon's side the exit status before it closes.
public enum SessionFrame: Equatable, Sendable {
    case data([UInt8])
    case windowChange(columns: Int)
    case endOfInput
    case exitStatus(Int)

    public var frame: RelayFrame {
        switch self {
        case .data(let bytes): RelayFrame(type: 1, payload: bytes)
        case .windowChange(let columns): RelayFrame(type: 2, payload: FieldWriter().number(columns).bytes)
        case .endOfInput: RelayFrame(type: 3)
        case .exitStatus(let status): RelayFrame(type: 4, payload: FieldWriter().number(status).bytes)
        }
    }

    public init(_ frame: RelayFrame) throws(RelayProtocolError) {
        var fields = FieldReader(frame)
        switch frame.type {
        case 1: self = .data(frame.payload)
        case 2: self = .windowChange(columns: try fields.number())
        case 3: self = .endOfInput
        case 4: self = .exitStatus(try fields.number())
        default: throw RelayProtocolError("unknown session frame type \(frame.type)")
        }
        if frame.type != 1 { try fields.end() }
    }
}

/// The answer to a login attempt.
public enum LoginAnswer: UInt8, Sendable {
    case refuse = 0
    case accept = 1
    /// Refused, and the connection is cut (the last wrong password the policy allows).
    case refuseAndClose = 2
}

/// What the control socket carries. The daemon decides every login; the child only relays.
public enum ControlMessage: Equatable, Sendable {
    /// Daemon → child, first: the host key's 32-byte Ed25519 seed.
    case hostKey(seed: [UInt8])
    /// Child → daemon: bound, at this address (as NIO prints it).
    case listening(address: String)
    /// Child → daemon: it cannot serve (it exits next).
    case failed(reason: String)
    /// Child → daemon: a password typed at `peer` (`failures` wrong ones before it on this connection).
    case passwordLogin(id: Int, peer: String, user: String, password: String, failures: Int)
    /// Child → daemon: a public key whose signature swift-nio-ssh verified; `key` is its wire form.
    case keyLogin(id: Int, peer: String, user: String, keyType: String, key: [UInt8])
    /// Daemon → child: the answer to login `id`.
    case loginAnswer(id: Int, answer: LoginAnswer)
    /// Child → daemon, with the session's socket attached: a shell or an exec (`command`) of a
    /// logged-in connection; `columns` is the pty's width, nil without a pty.
    case session(peer: String, user: String, command: String?, columns: Int?)

    public var frame: RelayFrame {
        switch self {
        case .hostKey(let seed):
            RelayFrame(type: 1, payload: FieldWriter().bytes(seed).bytes)
        case .listening(let address):
            RelayFrame(type: 2, payload: FieldWriter().string(address).bytes)
        case .failed(let reason):
            RelayFrame(type: 3, payload: FieldWriter().string(reason).bytes)
        case .passwordLogin(let id, let peer, let user, let password, let failures):
            RelayFrame(type: 4, payload: FieldWriter().number(id).string(peer).string(user).string(password).number(failures).bytes)
        case .keyLogin(let id, let peer, let user, let keyType, let key):
            RelayFrame(type: 5, payload: FieldWriter().number(id).string(peer).string(user).string(keyType).bytes(key).bytes)
        case .loginAnswer(let id, let answer):
            RelayFrame(type: 6, payload: FieldWriter().number(id).number(Int(answer.rawValue)).bytes)
        case .session(let peer, let user, let command, let columns):
            RelayFrame(type: 7, payload: FieldWriter().string(peer).string(user)
                .number(command == nil ? 0 : 1).string(command ?? "")
                .number(columns == nil ? 0 : 1).number(columns ?? 0).bytes)
        }
    }

    public init(_ frame: RelayFrame) throws(RelayProtocolError) {
        var f = FieldReader(frame)
        switch frame.type {
        case 1: self = .hostKey(seed: try f.bytes())
        case 2: self = .listening(address: try f.string())
        case 3: self = .failed(reason: try f.string())
        case 4:
            self = .passwordLogin(id: try f.number(), peer: try f.string(), user: try f.string(), password: try f.string(),
                                  failures: try f.number())
        case 5:
            self = .keyLogin(id: try f.number(), peer: try f.string(), user: try f.string(), keyType: try f.string(), key: try f.bytes())
        case 6:
            let id = try f.number(), raw = try f.number()
            guard let answer = UInt8(exactly: raw).flatMap(LoginAnswer.init(rawValue:)) else {
                throw RelayProtocolError("unknown login answer \(raw)")
            }
            self = .loginAnswer(id: id, answer: answer)
        case 7:
            let peer = try f.string(), user = try f.string()
            let hasCommand = try f.number(), command = try f.string()
            let hasColumns = try f.number(), columns = try f.number()
            self = .session(peer: peer, user: user, command: hasCommand == 0 ? nil : command,
                            columns: hasColumns == 0 ? nil : columns)
        default: throw RelayProtocolError("unknown control message type \(frame.type)")
        }
        try f.end()
    }

    /// The name for the log (never a password).
    public var name: String {
        switch self {
        case .hostKey: "host key"
        case .listening: "listening"
        case .failed: "failed"
        case .passwordLogin: "password login"
        case .keyLogin: "key login"
        case .loginAnswer: "login answer"
        case .session: "session"
        }
    }
}

/// Builds a payload.
struct FieldWriter {
    private(set) var bytes: [UInt8] = []

    /// A number 0...UInt32.max (negative or larger values are clamped: they are never sent).
    func number(_ n: Int) -> FieldWriter {
        var w = self
        appendNumber(UInt32(clamping: n), to: &w.bytes)
        return w
    }

    func bytes(_ b: [UInt8]) -> FieldWriter {
        var w = self
        appendNumber(UInt32(b.count), to: &w.bytes)
        w.bytes += b
        return w
    }

    func string(_ s: String) -> FieldWriter { bytes(Array(s.utf8)) }
}

/// Reads a payload's fields in order; every shortfall is an error.
struct FieldReader {
    private let payload: [UInt8]
    private let type: UInt8
    private var index = 0

    init(_ frame: RelayFrame) {
        payload = frame.payload
        type = frame.type
    }

    mutating func number() throws(RelayProtocolError) -> Int {
        guard payload.count - index >= 4 else { throw RelayProtocolError("frame of type \(type): truncated number") }
        var n: UInt32 = 0
        for b in payload[index..<index + 4] { n = n << 8 | UInt32(b) }
        index += 4
        return Int(n)
    }

    mutating func bytes() throws(RelayProtocolError) -> [UInt8] {
        let length = try number()
        guard payload.count - index >= length else {
            throw RelayProtocolError("frame of type \(type): a field of \(length) bytes, \(payload.count - index) left")
        }
        defer { index += length }
        return Array(payload[index..<index + length])
    }

    mutating func string() throws(RelayProtocolError) -> String {
        String(decoding: try bytes(), as: UTF8.self)
    }

    func end() throws(RelayProtocolError) {
        guard index == payload.count else { throw RelayProtocolError("frame of type \(type): \(payload.count - index) bytes too many") }
    }
}

private func appendNumber(_ n: UInt32, to out: inout [UInt8]) {
    out += [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
}
