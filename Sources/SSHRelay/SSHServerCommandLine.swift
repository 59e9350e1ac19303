import Logging

/// deskphone-ssh's command line, declared once: deskphoned writes it (`arguments`), the child
/// reads it (`init?(parsing:)`), and deskphone-ssh(8) documents it (`options`). The control
/// socket is fd 3, not an argument.
public struct SSHServerCommandLine: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level

    public init(host: String, port: Int, logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
    }

    /// Names, value names and help of the options, for the man page.
    public static let options: [(name: String, value: String, help: String)] = [
        ("--listen", "addr:port", "The address to listen on (deskphoned's --ssh); [v6]:port for IPv6, port 0 for any free port (the bound address is logged)."),
        ("--log-level", "level", "How much it logs (deskphoned's --log-level; info by default), to standard error, which it shares with deskphoned."),
    ]

    /// The arguments after the program's name.
    public var arguments: [String] {
        let address = host.contains(":") ? "[\(host)]" : host
        return ["--listen", "\(address):\(port)", "--log-level", logLevel.rawValue]
    }

    /// Nil for anything but `--listen ADDR:PORT` with an optional `--log-level LEVEL`.
    public init?(parsing arguments: [String]) {
        var listen: String?, level = Logger.Level.info
        var i = 0
        while i + 1 < arguments.count {
            switch arguments[i] {
            case "--listen": listen = arguments[i + 1]
            case "--log-level":
                guard let l = Logger.Level(rawValue: arguments[i + 1]) else { return nil }
                level = l
            default: return nil
            }
            i += 2
        }
        guard i == arguments.count, let listen, let colon = listen.lastIndex(of: ":"),
              let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port, logLevel: level)
    }

    public static let usage = "usage: deskphone-ssh --listen ADDR:PORT [--log-level LEVEL] (started by deskphoned --ssh, with its control socket as fd 3)"
}
