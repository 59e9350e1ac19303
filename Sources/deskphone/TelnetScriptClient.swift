#if canImport(Glibc)
import Glibc
#endif

/// A telnet client for scripts: logs in to a phone's CLI and runs commands one by one,
/// returning each command's output. It refuses every telnet option, so the phone neither
/// echoes nor negotiates, and lines go out as CR LF (RFC 854's NVT).
final class TelnetScriptClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var telnetState = TelnetStripState()
    let timeout: Duration
    /// The prompt learned at login (`SIP Phone> `).
    private(set) var prompt = ""

    init(host: String, port: Int, timeout: Duration) throws {
        self.timeout = timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else { throw Failure("\(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(result) }
        var fd: Int32 = -1
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if s >= 0 {
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; break }
                lastError = String(cString: strerror(errno))
                Glibc.close(s)
            }
            ai = a.pointee.ai_next
        }
        guard fd >= 0 else { throw Failure("\(host):\(port): \(lastError)") }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// Waits for the password prompt (or a command prompt when none is asked), logs in, and
    /// learns the prompt.
    func login(password: String) throws {
        let first = try readUntil { text in text.hasSuffix("Password :") || Self.looksLikePrompt(text) }
        if first.hasSuffix("Password :") {
            try send(password + "\r\n")
            let after = try readUntil { text in text.hasSuffix("Password :") || Self.looksLikePrompt(text) || text.contains("% Login failed") }
            if after.hasSuffix("Password :") || after.contains("% Login failed") {
                throw Failure("login failed: wrong password")
            }
            prompt = Self.lastLine(after)
        } else {
            prompt = Self.lastLine(first)
        }
    }

    /// Runs one command; returns its output without the trailing prompt.
    func run(_ command: String) throws -> String {
        try send(command + "\r\n")
        let prompt = self.prompt
        let text = try readUntil { $0.hasSuffix(prompt) || $0.hasSuffix("[y/N] ") }
        if text.hasSuffix(prompt) { return String(text.dropLast(prompt.count)) }
        return text
    }

    func close() {
        try? send("exit\r\n")
    }

    static func looksLikePrompt(_ text: String) -> Bool {
        let last = lastLine(text)
        return !last.isEmpty && (last.hasSuffix("> ") || last.hasSuffix("# ") || last.hasSuffix(">") || last.hasSuffix("#"))
    }

    static func lastLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: false).last ?? "")
    }

    private func send(_ text: String) throws { try sendRaw(Array(text.utf8)) }

    /// Reads until `done` holds for the text received since the call (CR removed).
    private func readUntil(_ done: (String) -> Bool) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var text = ""
        while true {
            text += String(decoding: buffer.filter { $0 != 0x0D && $0 != 0 }, as: UTF8.self)
            buffer.removeAll()
            if done(text) { return text }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw Failure("no answer within \(timeout) (last output: \(text.suffix(80)))") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let r = poll(&p, 1, ms)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure("the phone closed the connection (last output: \(text.suffix(80)))") }
            let (data, reply) = telnetState.strip(chunk[0..<n])
            if !reply.isEmpty { try sendRaw(reply) }
            buffer += data
        }
    }

    private func sendRaw(_ raw: [UInt8]) throws {
        var off = 0
        while off < raw.count {
            let n = raw.withUnsafeBytes { Glibc.send(fd, $0.baseAddress.map { $0 + off }, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure("send: \(String(cString: strerror(errno)))") }
            off += n
        }
    }
}

/// Removes telnet commands from received bytes and answers every option request with a
/// refusal (DO → WONT, WILL → DONT); subnegotiations are skipped.
struct TelnetStripState {
    private enum State { case data, iac, option(UInt8), subnegotiation, subnegotiationIAC }
    private var state = State.data
    static let IAC: UInt8 = 255, DONT: UInt8 = 254, DO: UInt8 = 253, WONT: UInt8 = 252, WILL: UInt8 = 251, SB: UInt8 = 250, SE: UInt8 = 240

    mutating func strip(_ bytes: ArraySlice<UInt8>) -> (data: [UInt8], reply: [UInt8]) {
        var data: [UInt8] = [], reply: [UInt8] = []
        for b in bytes {
            switch state {
            case .data:
                if b == Self.IAC { state = .iac } else { data.append(b) }
            case .iac:
                switch b {
                case Self.IAC: data.append(b); state = .data
                case Self.DO, Self.DONT, Self.WILL, Self.WONT: state = .option(b)
                case Self.SB: state = .subnegotiation
                default: state = .data
                }
            case .option(let verb):
                if verb == Self.DO { reply += [Self.IAC, Self.WONT, b] }
                if verb == Self.WILL { reply += [Self.IAC, Self.DONT, b] }
                state = .data
            case .subnegotiation:
                if b == Self.IAC { state = .subnegotiationIAC }
            case .subnegotiationIAC:
                state = b == Self.SE ? .data : .subnegotiation
            }
        }
        return (data, reply)
    }
}
