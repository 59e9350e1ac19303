import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Plain TCP sockets for tests that poke at the daemon's telnet port.
public enum Sockets {
    /// A TCP port free on 127.0.0.1 a moment ago.
    public static func freeTCPPort() throws -> Int { try freePort(Int32(SOCK_STREAM.rawValue)) }

    /// A UDP port free on 127.0.0.1 a moment ago.
    public static func freeUDPPort() throws -> Int { try freePort(Int32(SOCK_DGRAM.rawValue)) }

    /// A port free on 127.0.0.1 for both UDP and TCP a moment ago (SIP listens on both).
    public static func freeUDPAndTCPPort() throws -> Int {
        for _ in 0..<50 {
            let port = try freeUDPPort()
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard s >= 0 else { throw TestFailure("socket: \(errno)") }
            defer { close(s) }
            if bind(s, port: port) != nil { return port }
        }
        throw TestFailure("no port free for both UDP and TCP")
    }

    /// `count` consecutive ports, from the one returned, free on 127.0.0.1 for both UDP and
    /// TCP a moment ago (a phone farm's SIP ports). They are looked for below the ephemeral
    /// range (32768 up), where another test's client socket does not take one meanwhile.
    public static func freeUDPAndTCPPorts(count: Int) throws -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20000...(32000 - count))
            var sockets: [Int32] = []
            defer { sockets.forEach { close($0) } }
            let free = (base..<base + count).allSatisfy { port in
                [Int32(SOCK_DGRAM.rawValue), Int32(SOCK_STREAM.rawValue)].allSatisfy { type in
                    let s = socket(AF_INET, type, 0)
                    guard s >= 0 else { return false }
                    sockets.append(s)
                    return bind(s, port: port) != nil
                }
            }
            if free { return base }
        }
        throw TestFailure("no \(count) consecutive ports free for both UDP and TCP")
    }

    /// 127.0.0.1:`port` as a socket address.
    public static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return addr
    }

    /// Binds `fd` to 127.0.0.1:`port` (0: any); the port bound, or nil.
    public static func bind(_ fd: Int32, port: Int) -> Int? {
        var addr = loopback(port: port)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        return ok ? Int(UInt16(bigEndian: addr.sin_port)) : nil
    }

    /// Whether a UDP socket is bound to `address`:`port` (/proc/net/udp; IPv4).
    public static func isUDPBound(port: Int, address: String = "127.0.0.1") -> Bool {
        !udpSocketInodes(port: port, address: address).isEmpty
    }

    /// Whether process `pid` itself holds a UDP socket bound to `address`:`port`. A peer is
    /// ready when this is true, not merely when the port is bound: the port picked free a
    /// moment ago may have gone to another socket meanwhile (a parallel test's ephemeral
    /// socket), the peer's bind then fails, and `isUDPBound` would still say yes.
    public static func isUDPBound(port: Int, address: String = "127.0.0.1", byProcess pid: pid_t) -> Bool {
        let inodes = udpSocketInodes(port: port, address: address)
        guard !inodes.isEmpty, let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else {
            return false
        }
        return fds.contains { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)") else { return false }
            return inodes.contains { target == "socket:[\($0)]" }
        }
    }

    /// The inodes of the UDP sockets bound to `address`:`port` (/proc/net/udp columns
    /// `local_address` and `inode`).
    static func udpSocketInodes(port: Int, address: String) -> [Substring] {
        guard let table = procFile("/proc/net/udp") else { return [] }
        func hex(_ v: Int, _ width: Int) -> String {
            let h = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, width - h.count)) + h
        }
        let octets = address.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return [] }
        let local = octets.reversed().map { hex($0, 2) }.joined() + ":" + hex(port, 4)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 9 && fields[1] == Substring(local) ? fields[9] : nil
        }
    }

    static func freePort(_ type: Int32) throws -> Int {
        let s = socket(AF_INET, type, 0)
        guard s >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(s) }
        guard let port = bind(s, port: 0) else { throw TestFailure("bind: \(errno)") }
        return port
    }

    /// A connected socket to 127.0.0.1:`port`, or the errno of the failure.
    /// A TCP connection to 127.0.0.1:`port`, from `source` (another 127/8 address) when given:
    /// the phone's login back-off counts by address, so hostile traffic from one address does
    /// not slow a legitimate client on another.
    public static func connect(port: Int, from source: String? = nil) -> Result<Int32, TestFailure> {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if let source {
            var local = loopback(port: 0)
            local.sin_addr.s_addr = inet_addr(source)
            let rc = withUnsafePointer(to: &local) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc != 0 {
                let e = errno
                close(s)
                return .failure(TestFailure("bind \(source): " + String(cString: strerror(e))))
            }
        }
        var addr = loopback(port: port)
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(s)
            return .failure(TestFailure(String(cString: strerror(e))))
        }
        return .success(s)
    }

    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress.map { $0 + off }, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Sends one datagram from a fresh socket on 127.0.0.1 to 127.0.0.1:`port` and returns the
    /// first datagram that comes back within `timeout` (empty when none) and the local port.
    public static func udpExchange(port: Int, _ bytes: [UInt8], timeout: Duration) async -> (reply: [UInt8], localPort: Int) {
        guard let socket = try? UDPSocket() else { return ([], 0) }
        socket.send(bytes, to: port)
        return (await socket.receive(timeout: timeout) ?? [], socket.port)
    }

    /// Reads whatever arrives within `timeout` (until the peer closes). Polls without blocking
    /// and sleeps between polls, leaving the test thread pool to the code under test.
    public static func receive(_ fd: Int32, timeout: Duration) async -> [UInt8] {
        var out: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            // Poll before looking at the clock (a late wake-up must still read what is there).
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) > 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { break }
                out += chunk[0..<n]
                if ContinuousClock.now < deadline { continue } else { break }
            }
            guard ContinuousClock.now < deadline else { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return out
    }
}

extension Sockets {
    /// A /proc file whole. Foundation's String(contentsOfFile:) stops after the first read of a
    /// file whose size says 0, and procfs hands /proc/net/udp over about 4 KB at a time: with
    /// more than ~30 UDP sockets on the machine (a loaded CI host) the peer's was not in it, and
    /// every "did it bind?" wait ran into its 20 s deadline.
    public static func procFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
