/// Telnet option negotiation without I/O, by the Q method of RFC 1143, which never loops:
/// a request that confirms the current state is never answered, and each side's state
/// changes only through the transitions of RFC 1143 §7.
///
/// The server offers ECHO (RFC 857) and SUPPRESS-GO-AHEAD (RFC 858), accepts the client's
/// SUPPRESS-GO-AHEAD, asks for NAWS (RFC 1073), and refuses every other option.

/// The terminal size a client reported with NAWS (RFC 1073). Zero means "unknown".
public struct WindowSize: Sendable, Equatable {
    public var columns: Int
    public var rows: Int
    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }
}

public struct TelnetNegotiation: Sendable {
    /// RFC 1143 §7: the state of one side of one option.
    enum OptionState: Sendable, Equatable { case no, yes, wantNo, wantYes }

    struct Side: Sendable, Equatable {
        var state = OptionState.no
        /// The queue bit: "opposite" when a reversal waits for the pending answer.
        var opposite = false
    }

    /// Options this server enables on its side (it will echo and suppress go-ahead).
    static let ourOptions: Set<UInt8> = [TelnetOption.echo, TelnetOption.suppressGoAhead]
    /// Options this server lets the client enable.
    static let hisOptions: Set<UInt8> = [TelnetOption.naws, TelnetOption.suppressGoAhead]

    private var us: [UInt8: Side] = [:]
    private var him: [UInt8: Side] = [:]

    /// The last window size the client reported.
    public private(set) var windowSize: WindowSize?

    public init() {}

    /// True when the client agreed that the server echoes: the line editor then echoes,
    /// else the client echoes locally and the server must not.
    public var serverEchoes: Bool { us[TelnetOption.echo]?.state == .yes }
    /// Whether this side has `option` enabled.
    public func isEnabledLocally(_ option: UInt8) -> Bool { us[option]?.state == .yes }
    /// Whether the client has `option` enabled.
    public func isEnabledRemotely(_ option: UInt8) -> Bool { him[option]?.state == .yes }

    /// The opening offers: IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC DO NAWS.
    public mutating func start() -> [UInt8] {
        enableLocally(TelnetOption.echo) + enableLocally(TelnetOption.suppressGoAhead)
            + enableRemotely(TelnetOption.naws)
    }

    /// Asks to enable `option` on this side (RFC 1143 §7, "we decide to enable").
    public mutating func enableLocally(_ option: UInt8) -> [UInt8] {
        var side = us[option] ?? Side()
        defer { us[option] = side }
        return Self.ask(&side, enable: true, verbs: (.will, .wont), option: option)
    }

    /// Asks the client to enable `option`.
    public mutating func enableRemotely(_ option: UInt8) -> [UInt8] {
        var side = him[option] ?? Side()
        defer { him[option] = side }
        return Self.ask(&side, enable: true, verbs: (.do, .dont), option: option)
    }

    /// Asks to disable `option` on this side.
    public mutating func disableLocally(_ option: UInt8) -> [UInt8] {
        var side = us[option] ?? Side()
        defer { us[option] = side }
        return Self.ask(&side, enable: false, verbs: (.will, .wont), option: option)
    }

    /// A received IAC verb option: the reply to send (often nothing).
    public mutating func receive(_ verb: TelnetVerb, option: UInt8) -> [UInt8] {
        switch verb {
        case .will, .wont:
            var side = him[option] ?? Side()
            defer { him[option] = side }
            return Self.answer(&side, enabled: verb == .will, acceptable: Self.hisOptions.contains(option),
                               verbs: (.do, .dont), option: option)
        case .do, .dont:
            var side = us[option] ?? Side()
            defer { us[option] = side }
            return Self.answer(&side, enabled: verb == .do, acceptable: Self.ourOptions.contains(option),
                               verbs: (.will, .wont), option: option)
        }
    }

    /// A received subnegotiation. Returns the new window size when it was a valid NAWS.
    @discardableResult
    public mutating func receiveSubnegotiation(option: UInt8, data: [UInt8]) -> WindowSize? {
        // RFC 1073: IAC SB NAWS width(16 bit) height(16 bit) IAC SE, only once the client
        // said WILL NAWS; 255 inside is already unescaped by the parser.
        guard option == TelnetOption.naws, data.count == 4, isEnabledRemotely(TelnetOption.naws) else { return nil }
        let size = WindowSize(columns: Int(data[0]) << 8 | Int(data[1]), rows: Int(data[2]) << 8 | Int(data[3]))
        windowSize = size
        return size
    }

    // MARK: RFC 1143 §7

    /// Our decision to enable (`enable`) or disable an option.
    private static func ask(_ side: inout Side, enable: Bool, verbs: (positive: TelnetVerb, negative: TelnetVerb),
                            option: UInt8) -> [UInt8] {
        switch (side.state, enable) {
        case (.no, true):
            side.state = .wantYes
            return TelnetEncoder.negotiation(verbs.positive, option: option)
        case (.yes, false):
            side.state = .wantNo
            return TelnetEncoder.negotiation(verbs.negative, option: option)
        case (.no, false), (.yes, true):
            return []  // already there
        case (.wantNo, true), (.wantYes, false):
            side.opposite = true
            return []
        case (.wantNo, false), (.wantYes, true):
            side.opposite = false
            return []
        }
    }

    /// The peer's WILL/DO (`enabled`) or WONT/DONT for one side of an option.
    private static func answer(_ side: inout Side, enabled: Bool, acceptable: Bool,
                               verbs: (positive: TelnetVerb, negative: TelnetVerb), option: UInt8) -> [UInt8] {
        if enabled {
            switch side.state {
            case .no:
                if acceptable {
                    side.state = .yes
                    return TelnetEncoder.negotiation(verbs.positive, option: option)
                }
                return TelnetEncoder.negotiation(verbs.negative, option: option)
            case .yes:
                return []
            case .wantNo:
                // EMPTY: the peer answered our refusal with an acceptance (an error); take it as no.
                // OPPOSITE: we had changed our mind back to yes.
                side.state = side.opposite ? .yes : .no
                side.opposite = false
                return []
            case .wantYes:
                if side.opposite {
                    side.state = .wantNo
                    side.opposite = false
                    return TelnetEncoder.negotiation(verbs.negative, option: option)
                }
                side.state = .yes
                return []
            }
        } else {
            switch side.state {
            case .no:
                return []
            case .yes:
                side.state = .no
                return TelnetEncoder.negotiation(verbs.negative, option: option)
            case .wantNo:
                if side.opposite {
                    side.state = .wantYes
                    side.opposite = false
                    return TelnetEncoder.negotiation(verbs.positive, option: option)
                }
                side.state = .no
                return []
            case .wantYes:
                side.state = .no
                side.opposite = false
                return []
            }
        }
    }
}
