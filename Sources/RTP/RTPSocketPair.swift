// An RTP session's two UDP sockets: RTP on an even port of the media range and RTCP on the
// next one. Plain non-blocking POSIX sockets, not NIO channels: the media thread (Phone/Media)
// polls them itself between its 20 ms deadlines and sends with one `sendto` per packet. With
// NIO channels on the phone's loop a packet cost an envelope, a ByteBuffer, a promise-less
// write and a flush — 22 % of the phone's CPU in a call (the note of #13); here it costs the
// system call. Everything else (statistics, filtering, jitter) is the sans-I/O code of this
// module.

#if canImport(Glibc)
import Glibc
#endif
import CSocketBatch

/// The two sockets of one RTP session. Sending is safe from any thread (`sendto` on a
/// datagram socket); receiving and `close` belong to the one thread that polls them.
public final class RTPSocketPair: @unchecked Sendable {
    public enum Kind: Sendable, Hashable {
        case rtp, rtcp
    }

    public let rtpPort: Int
    public var rtcpPort: Int { rtpPort + 1 }
    /// The descriptors to poll for input (`POLLIN`), -1 once closed.
    public private(set) var rtpDescriptor: Int32
    public private(set) var rtcpDescriptor: Int32

    private init(rtp: Int32, rtcp: Int32, port: Int) {
        rtpDescriptor = rtp
        rtcpDescriptor = rtcp
        rtpPort = port
    }

    deinit { close() }

    public enum BindError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Every even port of the range (and its RTCP neighbour) was taken.
        case noFreePort(first: Int, last: Int)
        /// The host is not a numeric IPv4 or IPv6 address.
        case badHost(String)
        case socket(errno: Int32)

        public var description: String {
            switch self {
            case .noFreePort(let first, let last): "no free RTP port pair in \(first)…\(last)"
            case .badHost(let host): "RTP: \(host) is not an IPv4 or IPv6 address"
            case .socket(let e): "RTP socket: \(String(cString: strerror(e)))"
            }
        }
    }

    /// Binds the first free pair from `range` (advancing it) on `host` (a numeric address;
    /// 0.0.0.0 for all). `tos`: the IP ToS byte for RTP and RTCP (`tos_media` precedence 5 →
    /// 0xA0), nil: unset.
    public static func bind(host: String, range: inout MediaPortRange, tos: UInt8? = nil) throws(BindError) -> RTPSocketPair {
        guard let local = LocalAddress(host) else { throw .badHost(host) }
        for port in range.candidates() {
            guard let rtp = try open(local, port, tos) else { continue }
            guard let rtcp = try open(local, port + 1, tos) else {
                Glibc.close(rtp)
                continue
            }
            return RTPSocketPair(rtp: rtp, rtcp: rtcp, port: port)
        }
        throw .noFreePort(first: range.first, last: range.last)
    }

    /// A bound non-blocking socket, nil when the port is taken.
    private static func open(_ local: LocalAddress, _ port: Int, _ tos: UInt8?) throws(BindError) -> Int32? {
        let fd = socket(local.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(errno: errno) }
        if let tos {
            var value = Int32(tos)
            if local.family == AF_INET6 {
                _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_TCLASS, &value, socklen_t(MemoryLayout<Int32>.size))
            } else {
                _ = setsockopt(fd, Int32(IPPROTO_IP), IP_TOS, &value, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        // The kernel's arrival time on every datagram (SCM_TIMESTAMPNS): the media thread
        // reads its sockets once per 20 ms frame, and RFC 3550's jitter needs the arrival.
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = local.withSockaddr(port: UInt16(port)) { Glibc.bind(fd, $0, $1) }
        if bound != 0 {
            let e = errno
            Glibc.close(fd)
            if e == EADDRINUSE || e == EACCES { return nil }
            throw .socket(errno: e)
        }
        return fd
    }

    public func sendRTP(_ bytes: [UInt8], to remote: RTPEndpoint) { send(bytes, on: rtpDescriptor, to: remote) }

    /// RTCP goes to the far end's RTP port + 1 (RFC 3550 §11) unless `remote` says otherwise.
    public func sendRTCP(_ bytes: [UInt8], to remote: RTPEndpoint) { send(bytes, on: rtcpDescriptor, to: remote) }

    private func send(_ bytes: [UInt8], on fd: Int32, to remote: RTPEndpoint) {
        guard fd >= 0 else { return }
        // A full socket buffer or an ICMP port unreachable from a far end not listening yet:
        // the packet is lost, as it would be on the wire.
        _ = bytes.withUnsafeBytes { raw in
            remote.withSockaddr { sendto(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, $1) }
        }
    }

    /// The datagrams of `kind` waiting now, up to the batch's capacity, read by one `recvmmsg`
    /// into `batch`: how many (0: none waiting). A full batch may mean more are waiting: read
    /// again. Errors queued on the socket (ICMP unreachable) are consumed and skipped.
    @discardableResult
    public func receive(_ kind: Kind, into batch: RTPReceiveBatch) -> Int {
        batch.count = 0
        let fd = kind == .rtp ? rtpDescriptor : rtcpDescriptor
        guard fd >= 0 else { return 0 }
        while true {
            batch.prepare()
            let n = socketbatch_receive(fd, batch.messages, UInt32(batch.capacity))
            if n < 0 {
                if errno == EINTR || errno == ECONNREFUSED { continue }
                return 0
            }
            batch.count = Int(n)
            return batch.count
        }
    }

    /// The SCM_TIMESTAMPNS among the control messages (cmsghdr: length, level, type, data
    /// aligned to 8 bytes on Linux).
    static func timestamp(in control: UnsafeRawBufferPointer) -> timespec? {
        let header = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + header <= control.count {
            let length = Int(control.loadUnaligned(fromByteOffset: offset, as: Int.self))
            let level = control.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self)
            let type = control.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
            guard length >= header else { return nil }
            if level == SOL_SOCKET, type == SCM_TIMESTAMPNS, length >= header + MemoryLayout<timespec>.size,
               offset + header + MemoryLayout<timespec>.size <= control.count {
                return control.loadUnaligned(fromByteOffset: offset + header, as: timespec.self)
            }
            offset += (length + 7) & ~7
        }
        return nil
    }

    /// Closes both sockets (again: nothing).
    public func close() {
        if rtpDescriptor >= 0 { Glibc.close(rtpDescriptor) }
        if rtcpDescriptor >= 0 { Glibc.close(rtcpDescriptor) }
        rtpDescriptor = -1
        rtcpDescriptor = -1
    }
}

/// The numeric address the media sockets bind.
struct LocalAddress {
    let family: Int32
    private let v4: in_addr
    private let v6: in6_addr

    init?(_ host: String) {
        var a4 = in_addr(), a6 = in6_addr()
        if inet_pton(AF_INET, host, &a4) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, host.trimmingBrackets, &a6) == 1 {
            family = AF_INET6
        } else {
            return nil
        }
        v4 = a4
        v6 = a6
    }

    func withSockaddr<T>(port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if family == AF_INET6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = v6
            return withUnsafePointer(to: &sin6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr = v4
        return withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
}

extension String {
    fileprivate var trimmingBrackets: String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}

extension RTPEndpoint {
    /// From a datagram's source (nil for a family other than IPv4 and IPv6).
    init?(_ storage: sockaddr_storage) {
        var s = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee } }
            self.init(address: .v4(UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            var sin6 = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee } }
            let (hi, lo) = withUnsafeBytes(of: &sin6.sin6_addr) { raw -> (UInt64, UInt64) in
                var h: UInt64 = 0, l: UInt64 = 0
                for i in 0..<8 { h = h << 8 | UInt64(raw[i]) }
                for i in 8..<16 { l = l << 8 | UInt64(raw[i]) }
                return (h, l)
            }
            self.init(address: .v6(hi, lo), port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    /// The socket address to send to, for the length of `body`.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch address {
        case .v4(let v):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = v.bigEndian
            return withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(let hi, let lo):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<8 { raw[i] = UInt8(truncatingIfNeeded: hi >> UInt64(56 - 8 * i)) }
                for i in 0..<8 { raw[8 + i] = UInt8(truncatingIfNeeded: lo >> UInt64(56 - 8 * i)) }
            }
            return withUnsafePointer(to: &sin6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
    }
}
