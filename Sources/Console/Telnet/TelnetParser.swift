/// The telnet byte stream (RFC 854) without I/O: received bytes become data, commands,
/// option requests and subnegotiations; outgoing text becomes NVT bytes.

/// Telnet's reserved bytes (RFC 854, "TELNET COMMAND STRUCTURE").
public enum TelnetByte {
    public static let se: UInt8 = 240
    public static let nop: UInt8 = 241
    public static let dataMark: UInt8 = 242
    public static let breakSignal: UInt8 = 243
    public static let interruptProcess: UInt8 = 244
    public static let abortOutput: UInt8 = 245
    public static let areYouThere: UInt8 = 246
    public static let eraseCharacter: UInt8 = 247
    public static let eraseLine: UInt8 = 248
    public static let goAhead: UInt8 = 249
    public static let sb: UInt8 = 250
    public static let will: UInt8 = 251
    public static let wont: UInt8 = 252
    public static let `do`: UInt8 = 253
    public static let dont: UInt8 = 254
    public static let iac: UInt8 = 255
}

/// Option codes this server knows by name.
public enum TelnetOption {
    /// RFC 857.
    public static let echo: UInt8 = 1
    /// RFC 858.
    public static let suppressGoAhead: UInt8 = 3
    /// RFC 1091.
    public static let terminalType: UInt8 = 24
    /// RFC 1073, Negotiate About Window Size.
    public static let naws: UInt8 = 31
    /// RFC 1079.
    public static let terminalSpeed: UInt8 = 32
    /// RFC 1184.
    public static let linemode: UInt8 = 34
}

/// The four option verbs of RFC 854.
public enum TelnetVerb: UInt8, Sendable, Equatable {
    case will = 251, wont = 252, `do` = 253, dont = 254
}

/// A two-byte command (IAC and one of 241...249, or an unassigned code below 240).
public enum TelnetCommand: Sendable, Equatable {
    case noOperation, dataMark, breakSignal, interruptProcess, abortOutput, areYouThere,
         eraseCharacter, eraseLine, goAhead
    /// IAC followed by a byte that RFC 854 does not assign (also a stray IAC SE).
    case unknown(UInt8)

    init(code: UInt8) {
        switch code {
        case TelnetByte.nop: self = .noOperation
        case TelnetByte.dataMark: self = .dataMark
        case TelnetByte.breakSignal: self = .breakSignal
        case TelnetByte.interruptProcess: self = .interruptProcess
        case TelnetByte.abortOutput: self = .abortOutput
        case TelnetByte.areYouThere: self = .areYouThere
        case TelnetByte.eraseCharacter: self = .eraseCharacter
        case TelnetByte.eraseLine: self = .eraseLine
        case TelnetByte.goAhead: self = .goAhead
        default: self = .unknown(code)
        }
    }
}

public enum TelnetEvent: Sendable, Equatable {
    /// Ordinary bytes (IAC IAC already turned into one 0xFF). Consecutive data bytes of one
    /// `parse` call come as one event.
    case data([UInt8])
    case command(TelnetCommand)
    case negotiation(TelnetVerb, option: UInt8)
    /// IAC SB option ... IAC SE, with IAC IAC inside already turned into 0xFF.
    case subnegotiation(option: UInt8, data: [UInt8])
}

/// The receiving side of the telnet stream. State survives between calls, so a command or a
/// subnegotiation may be split anywhere across packets.
public struct TelnetParser: Sendable {
    /// Subnegotiations longer than this are dropped, and what follows them is read as data
    /// (the options this server accepts need a few bytes: NAWS is 4, or 8 with every byte
    /// escaped). `TelnetConnectionHandler` also caps how long one may stay open.
    public static let defaultMaximumSubnegotiation = 64

    private enum State: Sendable {
        case data
        case iac
        case verb(TelnetVerb)
        case subnegotiationOption
        case subnegotiation(option: UInt8)
        case subnegotiationIAC(option: UInt8)
    }

    private var state = State.data
    private var subnegotiation: [UInt8] = []
    public let maximumSubnegotiation: Int
    /// How many subnegotiations were dropped for being too long.
    public private(set) var droppedSubnegotiations = 0

    public init(maximumSubnegotiation: Int = TelnetParser.defaultMaximumSubnegotiation) {
        self.maximumSubnegotiation = maximumSubnegotiation
    }

    public mutating func parse<Bytes: Sequence>(_ bytes: Bytes) -> [TelnetEvent] where Bytes.Element == UInt8 {
        var events: [TelnetEvent] = []
        var data: [UInt8] = []
        func flushData() {
            if !data.isEmpty { events.append(.data(data)); data.removeAll() }
        }
        for byte in bytes {
            switch state {
            case .data:
                if byte == TelnetByte.iac { state = .iac } else { data.append(byte) }
            case .iac:
                switch byte {
                case TelnetByte.iac:
                    data.append(0xFF)
                    state = .data
                case TelnetByte.will, TelnetByte.wont, TelnetByte.do, TelnetByte.dont:
                    state = .verb(TelnetVerb(rawValue: byte)!)
                case TelnetByte.sb:
                    state = .subnegotiationOption
                default:
                    flushData()
                    events.append(.command(TelnetCommand(code: byte)))
                    state = .data
                }
            case .verb(let verb):
                flushData()
                events.append(.negotiation(verb, option: byte))
                state = .data
            case .subnegotiationOption:
                subnegotiation.removeAll(keepingCapacity: true)
                state = .subnegotiation(option: byte)
            case .subnegotiation(let option):
                if byte == TelnetByte.iac {
                    state = .subnegotiationIAC(option: option)
                } else if subnegotiation.count < maximumSubnegotiation {
                    subnegotiation.append(byte)
                } else {
                    // Longer than any option this server takes: an IAC SE that never comes
                    // must not swallow the rest of the session. Drop it; this byte is data.
                    droppedSubnegotiations += 1
                    subnegotiation.removeAll()
                    state = .data
                    data.append(byte)
                }
            case .subnegotiationIAC(let option):
                switch byte {
                case TelnetByte.iac where subnegotiation.count < maximumSubnegotiation:
                    subnegotiation.append(0xFF)
                    state = .subnegotiation(option: option)
                case TelnetByte.iac:
                    droppedSubnegotiations += 1
                    subnegotiation.removeAll()
                    state = .data
                    data.append(0xFF)
                case TelnetByte.se:
                    flushData()
                    events.append(.subnegotiation(option: option, data: subnegotiation))
                    subnegotiation.removeAll()
                    state = .data
                default:
                    // RFC 854 allows only IAC IAC and IAC SE inside a subnegotiation. A peer
                    // that forgot the SE gets its subnegotiation dropped and this IAC read as
                    // the command it is, so a broken client cannot wedge the parser.
                    droppedSubnegotiations += 1
                    subnegotiation.removeAll()
                    state = .iac
                    // Re-read `byte` as the byte after IAC.
                    let rest = parse(CollectionOfOne(byte))
                    flushData()
                    events.append(contentsOf: rest)
                }
            }
        }
        flushData()
        return events
    }

    /// Whether an IAC SB has been read without its IAC SE yet.
    public var isInSubnegotiation: Bool {
        switch state {
        case .subnegotiationOption, .subnegotiation, .subnegotiationIAC: return true
        case .data, .iac, .verb: return false
        }
    }

    /// Gives up on an unfinished subnegotiation (it has been open too long): what it held is
    /// dropped and the bytes that follow are data again.
    public mutating func abandonSubnegotiation() {
        guard isInSubnegotiation else { return }
        droppedSubnegotiations += 1
        subnegotiation.removeAll()
        state = .data
    }
}

/// The sending side: NVT text and commands.
public enum TelnetEncoder {
    /// Text as NVT bytes with IAC doubled: "\n" (and "\r\n") become CR LF, a lone "\r"
    /// becomes CR NUL (RFC 854: CR must be followed by LF or NUL).
    public static func encode(_ text: String) -> [UInt8] {
        escape(lineEnds(text))
    }

    /// Text with NVT line ends, IAC not yet doubled.
    public static func lineEnds(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        var pendingCR = false
        for byte in text.utf8 {
            if pendingCR {
                pendingCR = false
                if byte == 0x0A { out.append(contentsOf: [0x0D, 0x0A]); continue }
                out.append(contentsOf: [0x0D, 0x00])
            }
            switch byte {
            case 0x0D: pendingCR = true
            case 0x0A: out.append(contentsOf: [0x0D, 0x0A])
            default: out.append(byte)
            }
        }
        if pendingCR { out.append(contentsOf: [0x0D, 0x00]) }
        return out
    }

    /// Bytes with every 0xFF doubled, so the peer reads them as data.
    public static func escape<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            out.append(byte)
            if byte == TelnetByte.iac { out.append(TelnetByte.iac) }
        }
        return out
    }

    /// IAC verb option.
    public static func negotiation(_ verb: TelnetVerb, option: UInt8) -> [UInt8] {
        [TelnetByte.iac, verb.rawValue, option]
    }
}
