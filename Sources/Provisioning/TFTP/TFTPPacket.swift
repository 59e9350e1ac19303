/// A TFTP error code (RFC 1350 §5, code 8 from RFC 2347). Codes above 8 are carried as they
/// are: a server may send them and the client reports them.
public struct TFTPErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let notDefined = Self(rawValue: 0)
    public static let fileNotFound = Self(rawValue: 1)
    public static let accessViolation = Self(rawValue: 2)
    public static let diskFull = Self(rawValue: 3)
    public static let illegalOperation = Self(rawValue: 4)
    public static let unknownTransferID = Self(rawValue: 5)
    public static let fileAlreadyExists = Self(rawValue: 6)
    public static let noSuchUser = Self(rawValue: 7)
    public static let optionNegotiationFailed = Self(rawValue: 8)

    /// The RFC's name of the code.
    public var name: String {
        switch rawValue {
        case 0: "Not defined"
        case 1: "File not found"
        case 2: "Access violation"
        case 3: "Disk full or allocation exceeded"
        case 4: "Illegal TFTP operation"
        case 5: "Unknown transfer ID"
        case 6: "File already exists"
        case 7: "No such user"
        case 8: "Option negotiation failed"
        default: "Unknown error code"
        }
    }

    public var description: String { "\(rawValue) (\(name))" }
}

/// One option of an RRQ or OACK (RFC 2347): a name, compared without regard to case, and its
/// value as sent.
public struct TFTPOption: Equatable, Sendable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Why bytes are not a TFTP packet.
public enum TFTPPacketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the packet's fixed fields need.
    case truncated(needed: Int, got: Int)
    case unknownOpcode(UInt16)
    /// A string field (file name, mode, option name or value, error message) has no NUL.
    case missingTerminator(field: String)
    /// Bytes after the last field of a fixed-size packet.
    case trailingBytes(count: Int)
    /// An option without a name, or one named twice.
    case badOptionName(String)
    /// A value of blksize, timeout or tsize that is not a plain decimal number in range.
    case badOptionValue(name: String, value: String)

    /// True when the fault is in the options, which RFC 2347 answers with error 8.
    public var isOptionError: Bool {
        switch self {
        case .badOptionName, .badOptionValue: true
        case .missingTerminator(let field): field.hasPrefix("option")
        default: false
        }
    }

    public var description: String {
        switch self {
        case .truncated(let needed, let got): "truncated packet: \(got) bytes, needs \(needed)"
        case .unknownOpcode(let op): "unknown opcode \(op)"
        case .missingTerminator(let field): "\(field) has no NUL terminator"
        case .trailingBytes(let count): "\(count) unexpected bytes after the packet"
        case .badOptionName(let name): "bad option name \(name.debugDescription)"
        case .badOptionValue(let name, let value): "bad value \(value.debugDescription) for option \(name)"
        }
    }
}

/// A TFTP packet (RFC 1350 §5, OACK from RFC 2347). Write requests are not modelled (the phone
/// only reads): opcode 2 decodes as `unknownOpcode(2)`.
public enum TFTPPacket: Equatable, Sendable {
    case readRequest(file: String, mode: String, options: [TFTPOption])
    case data(block: UInt16, payload: [UInt8])
    case ack(block: UInt16)
    case error(code: TFTPErrorCode, message: String)
    case optionAck([TFTPOption])

    public enum Opcode: UInt16, Sendable {
        case rrq = 1, data = 3, ack = 4, error = 5, oack = 6
    }

    public var opcode: Opcode {
        switch self {
        case .readRequest: .rrq
        case .data: .data
        case .ack: .ack
        case .error: .error
        case .optionAck: .oack
        }
    }

    // MARK: Encoding

    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        Self.put(opcode.rawValue, into: &out)
        switch self {
        case .readRequest(let file, let mode, let options):
            Self.put(file, into: &out)
            Self.put(mode, into: &out)
            Self.put(options, into: &out)
        case .data(let block, let payload):
            out.reserveCapacity(4 + payload.count)
            Self.put(block, into: &out)
            out.append(contentsOf: payload)
        case .ack(let block):
            Self.put(block, into: &out)
        case .error(let code, let message):
            Self.put(code.rawValue, into: &out)
            Self.put(message, into: &out)
        case .optionAck(let options):
            Self.put(options, into: &out)
        }
        return out
    }

    private static func put(_ value: UInt16, into out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xFF))
    }

    private static func put(_ string: String, into out: inout [UInt8]) {
        out.append(contentsOf: string.utf8)
        out.append(0)
    }

    private static func put(_ options: [TFTPOption], into out: inout [UInt8]) {
        for option in options {
            put(option.name, into: &out)
            put(option.value, into: &out)
        }
    }

    // MARK: Decoding

    /// The options whose values must be decimal numbers, with their ranges (RFC 2348, 2349).
    static let numericOptions: [String: ClosedRange<UInt64>] = [
        "blksize": 8...65464, "timeout": 1...255, "tsize": 0...UInt64(Int64.max),
    ]

    public init(decoding bytes: some Collection<UInt8>) throws(TFTPPacketError) {
        let b = Array(bytes)
        guard b.count >= 2 else { throw .truncated(needed: 2, got: b.count) }
        let rawOpcode = UInt16(b[0]) << 8 | UInt16(b[1])
        guard let opcode = Opcode(rawValue: rawOpcode) else {
            throw .unknownOpcode(rawOpcode)
        }
        var reader = Reader(bytes: b, index: 2)
        switch opcode {
        case .rrq:
            let file = try reader.string(field: "file name")
            let mode = try reader.string(field: "mode")
            self = .readRequest(file: file, mode: mode, options: try reader.options())
        case .data:
            let block = try reader.uint16()
            self = .data(block: block, payload: Array(b[reader.index...]))
        case .ack:
            let block = try reader.uint16()
            guard reader.index == b.count else { throw .trailingBytes(count: b.count - reader.index) }
            self = .ack(block: block)
        case .error:
            let code = try reader.uint16()
            // Bytes after the message's NUL are tolerated: some servers pad ERROR packets.
            self = .error(code: TFTPErrorCode(rawValue: code), message: try reader.string(field: "error message"))
        case .oack:
            self = .optionAck(try reader.options())
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index: Int

        mutating func uint16() throws(TFTPPacketError) -> UInt16 {
            guard index + 2 <= bytes.count else { throw .truncated(needed: index + 2, got: bytes.count) }
            defer { index += 2 }
            return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }

        mutating func string(field: String) throws(TFTPPacketError) -> String {
            guard let nul = bytes[index...].firstIndex(of: 0) else { throw .missingTerminator(field: field) }
            defer { index = nul + 1 }
            return String(decoding: bytes[index..<nul], as: UTF8.self)
        }

        /// Name/value pairs up to the end of the packet (RFC 2347).
        mutating func options() throws(TFTPPacketError) -> [TFTPOption] {
            var options: [TFTPOption] = []
            var seen: Set<String> = []
            while index < bytes.count {
                let name = try string(field: "option name")
                let value = try string(field: "option \(name) value")
                let key = name.lowercased()
                guard !key.isEmpty, seen.insert(key).inserted else { throw .badOptionName(name) }
                if let range = TFTPPacket.numericOptions[key] {
                    guard !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                        let number = UInt64(value), range.contains(number)
                    else { throw .badOptionValue(name: name, value: value) }
                }
                options.append(TFTPOption(name, value))
            }
            return options
        }
    }
}

extension [TFTPOption] {
    /// The value of the option named `name` (case-insensitive, RFC 2347).
    public subscript(option name: String) -> String? {
        first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
