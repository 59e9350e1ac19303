#if canImport(Glibc)
import Glibc
#endif

/// Errors of the ICMP tools; `description` is the text the CLI prints.
public enum HostNetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither kind of ICMP socket could be opened; the text says why and what is needed.
    case noICMPSocket(String)
    case unresolvable(host: String, reason: String)
    case invalidOption(String)
    case socketFailure(operation: String, reason: String)

    public var description: String {
        switch self {
        case .noICMPSocket(let text): text
        case .unresolvable(let host, let reason): "cannot resolve \(host): \(reason)"
        case .invalidOption(let text): text
        case .socketFailure(let operation, let reason): "\(operation): \(reason)"
        }
    }
}

/// Which ICMP socket the tools use. `datagram` is a Linux ping socket (SOCK_DGRAM,
/// IPPROTO_ICMP), open to groups within net.ipv4.ping_group_range; `raw` is SOCK_RAW and needs
/// CAP_NET_RAW.
public enum ICMPSocketKind: String, Sendable {
    case datagram, raw
}

// Linux values (linux/in.h, linux/errqueue.h, bits/socket.h), spelled out because Glibc does
// not import all of them.
private let ipTTL: Int32 = 2            // IP_TTL
private let ipRecvErr: Int32 = 11       // IP_RECVERR
private let ipRecvTTL: Int32 = 12       // IP_RECVTTL
private let msgErrQueue: Int32 = 0x2000 // MSG_ERRQUEUE
private let solRaw: Int32 = 255         // SOL_RAW
private let icmpFilter: Int32 = 1       // ICMP_FILTER
private let ipprotoICMP: Int32 = 1
private let solIP: Int32 = 0           // SOL_IP, IPPROTO_IP
private let msgDontWait: Int32 = 0x40  // MSG_DONTWAIT

func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// One ICMP socket, owned by the thread that runs a ping or traceroute.
final class ICMPSocket {
    let fd: Int32
    let kind: ICMPSocketKind
    /// The echo identifier we write. For a ping socket the kernel overwrites it with the
    /// socket's own, so replies there are matched by sequence and source instead.
    let identifier: UInt16

    /// Opens `kind`, or when nil a ping socket and, failing that, a raw socket.
    init(kind: ICMPSocketKind?) throws {
        var failures: [String] = []
        var opened: (Int32, ICMPSocketKind)?
        for candidate in kind.map({ [$0] }) ?? [.datagram, .raw] {
            let type = candidate == .datagram ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_RAW.rawValue)
            let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), ipprotoICMP)
            if fd >= 0 {
                opened = (fd, candidate)
                break
            }
            failures.append(ICMPSocket.explain(candidate, errno: errno))
        }
        guard let (fd, kind) = opened else {
            throw HostNetworkError.noICMPSocket("cannot open an ICMP socket: " + failures.joined(separator: "; "))
        }
        self.fd = fd
        self.kind = kind
        identifier = UInt16.random(in: 1...UInt16.max)
        var on: Int32 = 1
        if kind == .datagram {
            // The reply's TTL arrives as a control message; ICMP errors about our requests
            // (time exceeded, unreachable) arrive on the error queue.
            setsockopt(fd, solIP, ipRecvTTL, &on, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, solIP, ipRecvErr, &on, socklen_t(MemoryLayout<Int32>.size))
        } else {
            // A raw socket sees every ICMP message to the host; keep only echo reply,
            // destination unreachable and time exceeded (a set bit filters a type out).
            var mask = ~UInt32(1 << 0 | 1 << 3 | 1 << 11)
            setsockopt(fd, solRaw, icmpFilter, &mask, socklen_t(MemoryLayout<UInt32>.size))
        }
    }

    deinit { close(fd) }

    /// Why `kind` could not be opened and what would allow it.
    static func explain(_ kind: ICMPSocketKind, errno code: Int32) -> String {
        switch kind {
        case .datagram:
            let range = SystemFiles.line("/proc/sys/net/ipv4/ping_group_range") ?? "unreadable"
            return "ping socket (SOCK_DGRAM, IPPROTO_ICMP): \(errnoText(code)); allowed only when the group id "
                + "(\(getgid())) is within net.ipv4.ping_group_range (now \(range))"
        case .raw:
            return "raw socket (SOCK_RAW, IPPROTO_ICMP): \(errnoText(code)); needs CAP_NET_RAW (or root)"
        }
    }

    /// IP_TTL for the following requests (traceroute).
    func setTTL(_ ttl: Int) throws {
        var value = Int32(ttl)
        guard setsockopt(fd, solIP, ipTTL, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw HostNetworkError.socketFailure(operation: "setsockopt(IP_TTL)", reason: errnoText(errno))
        }
    }

    func send(_ message: [UInt8], to destination: IPv4Address) throws {
        if kind == .datagram { drainErrorQueue() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = destination.inAddr
        while true {
            let sent = message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw HostNetworkError.socketFailure(operation: "sendto \(destination)", reason: errnoText(errno))
        }
    }

    enum Received {
        /// An ICMP message (with `ttl` filled from the IP header or IP_TTL control message).
        case message(ICMPPacket, from: IPv4Address, at: ContinuousClock.Instant)
        /// A ping socket's error queue: the ICMP error and the start of our own request.
        case error(ExtendedError, original: ICMPPacket?, at: ContinuousClock.Instant)
        case timedOut
        case cancelled
    }

    /// Waits for the next message until `deadline`, polling in slices of at most 100 ms so
    /// that cancellation (Ctrl-C) is noticed promptly.
    func receive(until deadline: ContinuousClock.Instant, isCancelled: () -> Bool) -> Received {
        let clock = ContinuousClock()
        while true {
            if isCancelled() { return .cancelled }
            let now = clock.now
            if now >= deadline { return .timedOut }
            let remaining = min(deadline - now, .milliseconds(100))
            let milliseconds = Int32(clamping: (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                                     + remaining.components.seconds * 1000)
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, max(1, milliseconds))
            guard ready > 0 else { continue }
            if descriptor.revents & Int16(POLLERR) != 0, kind == .datagram,
               let raw = receiveMessage(flags: msgErrQueue | msgDontWait) {
                let at = clock.now
                let errorMessage = raw.control.first { $0.level == solIP && $0.type == ipRecvErr }
                if let data = errorMessage?.data, let error = ICMPCodec.decodeExtendedError(data) {
                    return .error(error, original: ICMPCodec.decode(raw.bytes, withIPHeader: false), at: at)
                }
                continue
            }
            if descriptor.revents & Int16(POLLIN) != 0, let raw = receiveMessage(flags: msgDontWait) {
                let at = clock.now
                guard var packet = ICMPCodec.decode(raw.bytes, withIPHeader: kind == .raw) else { continue }
                if kind == .datagram {
                    let ttlMessage = raw.control.first { $0.level == solIP && $0.type == ipTTL && $0.data.count >= 4 }
                    if let data = ttlMessage?.data {
                        let ttl: Int32 = data.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                        packet.ttl = UInt8(truncatingIfNeeded: ttl)
                    }
                }
                guard let from = packet.source ?? raw.from else { continue }
                packet.source = from
                return .message(packet, from: from, at: at)
            }
        }
    }

    /// Reads and drops what is on the error queue; this also clears the socket's pending
    /// error, which would otherwise fail the next sendto.
    private func drainErrorQueue() {
        while receiveMessage(flags: msgErrQueue | msgDontWait) != nil {}
    }

    private struct RawMessage {
        var bytes: [UInt8]
        var from: IPv4Address?
        var control: [(level: Int32, type: Int32, data: [UInt8])]
    }

    private func receiveMessage(flags: Int32) -> RawMessage? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 512)
        var address = sockaddr_in()
        var result: RawMessage?
        buffer.withUnsafeMutableBytes { bufferBytes in
            control.withUnsafeMutableBytes { controlBytes in
                withUnsafeMutablePointer(to: &address) { addressPointer in
                    var vector = iovec(iov_base: bufferBytes.baseAddress, iov_len: bufferBytes.count)
                    withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(addressPointer)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        var count: Int
                        repeat { count = recvmsg(fd, &message, flags) } while count < 0 && errno == EINTR
                        guard count >= 0 else { return }
                        let from = message.msg_namelen >= socklen_t(MemoryLayout<sockaddr_in>.size)
                            && addressPointer.pointee.sin_family == sa_family_t(AF_INET)
                            ? IPv4Address(inAddr: addressPointer.pointee.sin_addr.s_addr) : nil
                        result = RawMessage(
                            bytes: Array(bufferBytes[0..<min(count, bufferBytes.count)]), from: from,
                            control: controlMessages(UnsafeRawBufferPointer(controlBytes), length: Int(message.msg_controllen)))
                    }
                }
            }
        }
        return result
    }
}

/// Host name to IPv4 address: a dotted quad as it stands, else getaddrinfo(3), AF_INET.
public enum HostResolver {
    public static func resolve(_ host: String) throws -> IPv4Address {
        if let address = IPv4Address(host) { return address }
        guard !host.isEmpty else { throw HostNetworkError.unresolvable(host: "\"\"", reason: "empty host name") }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? errnoText(errno) : String(cString: gai_strerror(status))
            throw HostNetworkError.unresolvable(host: host, reason: reason)
        }
        var cursor = list
        while let entry = cursor?.pointee {
            if entry.ai_family == AF_INET, let address = entry.ai_addr {
                return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Address(inAddr: $0.pointee.sin_addr.s_addr) }
            }
            cursor = entry.ai_next
        }
        throw HostNetworkError.unresolvable(host: host, reason: "no IPv4 address")
    }
}
