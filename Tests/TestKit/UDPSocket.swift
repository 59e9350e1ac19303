#if canImport(Glibc)
import Glibc
#endif

/// A blocking UDP socket on 127.0.0.1 and a free port, for tests that play one side of a
/// SIP exchange by hand: send datagrams, receive them one at a time with a timeout.
public final class UDPSocket: @unchecked Sendable {
    public let fd: Int32
    public let port: Int
    /// The source port of the last datagram received.
    public private(set) var lastSourcePort = 0

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        guard let bound = Sockets.bind(fd, port: 0) else { close(fd); throw TestFailure("bind: \(errno)") }
        self.fd = fd
        port = bound
    }

    deinit { close(fd) }

    public func send(_ bytes: [UInt8], to port: Int) {
        var to = Sockets.loopback(port: port)
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &to) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    public func send(_ text: String, to port: Int) { send(Array(text.utf8), to: port) }

    /// The next datagram within `timeout`, or nil. It polls without blocking and sleeps
    /// between polls, so that the code under test can run on the same (small) thread pool.
    public func receive(timeout: Duration) async -> [UInt8]? {
        await receiveFrom(timeout: timeout)?.bytes
    }

    /// The next datagram within `timeout` with its source port, or nil.
    public func receiveFrom(timeout: Duration) async -> (bytes: [UInt8], port: Int)? {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Poll before looking at the clock: on a loaded machine the sleep below may end
            // well after the deadline, with the awaited datagram already waiting.
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) > 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                var from = sockaddr_in()
                var len = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = withUnsafeMutablePointer(to: &from) { fp in
                    fp.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &chunk, chunk.count, 0, $0, &len) }
                }
                if n >= 0 {
                    lastSourcePort = Int(UInt16(bigEndian: from.sin_port))
                    return (Array(chunk[0..<n]), lastSourcePort)
                }
            }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    public func receiveText(timeout: Duration) async -> String? {
        await receive(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }
}
