import Media
import ArgumentParser
import Console
import Logging
import Provisioning

/// The typed values of deskphoned's options (and of check-config's `--model`): each type
/// parses itself from an argument or a daemon config file value, and says what it expects,
/// so help, validation and the error message come from one declaration.
public protocol DaemonOptionValue: ExpressibleByArgument {
    /// What a valid value looks like, for error messages: `7960 or 7940`.
    static var expected: String { get }
}

extension PhoneModel: ExpressibleByArgument, DaemonOptionValue {
    public static var expected: String { allCases.map(\.rawValue).joined(separator: " or ") }
}

extension Logger.Level: @retroactive ExpressibleByArgument, DaemonOptionValue {
    public static var expected: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension MACAddress: ExpressibleByArgument, DaemonOptionValue {
    public init?(argument: String) { self.init(argument) }
    public static var expected: String { "a MAC address (00:11:AA:BB:CC:42, 00-11-aa-bb-cc-42 or 0011AABBCC42)" }
}

/// `ADDR:PORT`, `[v6]:PORT` or `PORT` (the telnet listener).
public struct ListenAddress: DaemonOptionValue, Sendable, Equatable {
    public let host: String
    public let port: Int
    public init?(argument: String) {
        guard let (host, port) = DaemonSettings.parseListen(argument) else { return nil }
        self.host = host
        self.port = port
    }
    public static var expected: String { "ADDR:PORT, e.g. 127.0.0.1:2323" }
}

/// `off`, or `ADDR:PORT` / `[v6]:PORT` / `PORT` (the SSH listener, off by default).
public enum ListenOrOff: DaemonOptionValue, Sendable, Equatable {
    case off
    case listen(ListenAddress)
    public init?(argument: String) {
        if argument == "off" { self = .off; return }
        guard let address = ListenAddress(argument: argument) else { return nil }
        self = .listen(address)
    }
    public static var expected: String { "off, or ADDR:PORT, e.g. 127.0.0.1:2222" }
}

/// A serial console speed the port supports.
public struct ConsoleSpeed: DaemonOptionValue, Sendable, Equatable {
    public let baud: Int
    public init?(argument: String) {
        guard let b = Int(argument), SerialPort.speeds.contains(b) else { return nil }
        baud = b
    }
    public static var allValueStrings: [String] { SerialPort.speeds.map(String.init) }
    public static var expected: String { "one of " + allValueStrings.joined(separator: ", ") }
}

/// Seconds, at least one (time-outs).
public struct Seconds: DaemonOptionValue, Sendable, Equatable {
    public let value: Int
    public init?(argument: String) {
        guard let n = Int(argument), n >= 1 else { return nil }
        value = n
    }
    public init(_ value: Int) { self.value = value }
    public static var expected: String { "a whole number of seconds, at least 1" }
}

extension AudioOption: ExpressibleByArgument, DaemonOptionValue {
    public init?(argument: String) { try? self.init(parsing: argument) }
    public static var expected: String { "null, alsa[:DEVICE] or file:PLAY.wav,RECORD.wav" }
}

/// `on` or `off`.
public enum OnOff: String, Sendable, CaseIterable, ExpressibleByArgument, DaemonOptionValue {
    case on, off
    public static var expected: String { "on or off" }
    public var isOn: Bool { self == .on }
}

/// A whole number (`--farm`, `--farm-sip-port`; their range is checked with the farm's plan).
extension Int: DaemonOptionValue {
    public static var expected: String { "a whole number" }
}
