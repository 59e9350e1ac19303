#if canImport(Glibc)
import Glibc
#endif

/// One end of the control socket (`AF_UNIX`, `SOCK_SEQPACKET`): a frame a packet, a session's
/// socket attached with `SCM_RIGHTS`. Blocking calls: each side reads it on a thread of its own;
/// sends are small and come from any thread (the kernel keeps a packet whole).
public struct ControlSocket: Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// A connected pair, both ends close-on-exec (a spawn hands one end over with dup2).
    public static func pair(type: Int32 = Int32(SOCK_SEQPACKET.rawValue)) throws(RelayProtocolError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw RelayProtocolError("socketpair: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// Sends one message, with `attaching` (a descriptor the receiver gets a copy of).
    public func send(_ message: ControlMessage, attaching attached: Int32? = nil) throws(RelayProtocolError) {
        var bytes = message.frame.bytes
        let headerSize = Self.align(MemoryLayout<cmsghdr>.size)
        var control = [UInt8](repeating: 0, count: headerSize + Self.align(MemoryLayout<Int32>.size))
        let sent = bytes.withUnsafeMutableBytes { data -> Int in
            control.withUnsafeMutableBytes { controlBytes -> Int in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    if let attached {
                        guard let base = controlBytes.baseAddress else { return -1 }
                        let cmsg = base.assumingMemoryBound(to: cmsghdr.self)
                        cmsg.pointee.cmsg_len = headerSize + MemoryLayout<Int32>.size
                        cmsg.pointee.cmsg_level = SOL_SOCKET
                        cmsg.pointee.cmsg_type = Int32(SCM_RIGHTS)
                        controlBytes.storeBytes(of: attached, toByteOffset: headerSize, as: Int32.self)
                        header.msg_control = controlBytes.baseAddress
                        header.msg_controllen = controlBytes.count
                    }
                    while true {
                        let n = sendmsg(descriptor, &header, Int32(MSG_NOSIGNAL))
                        if n < 0 && errno == EINTR { continue }
                        return n
                    }
                }
            }
        }
        guard sent == bytes.count else {
            throw RelayProtocolError("send \(message.name): \(sent < 0 ? String(cString: strerror(errno)) : "short send")")
        }
    }

    /// What `receive` read.
    public enum Received: Sendable {
        case message(ControlMessage, attached: Int32?)
        /// The other end closed (the process is gone, or it closed the socket).
        case end
    }

    /// Waits for the next packet. A malformed one is an error (its descriptor, if any, closed).
    public func receive() throws(RelayProtocolError) -> Received {
        let capacity = RelayFrame.headerSize + RelayFrame.maximumPayload
        var bytes = [UInt8](repeating: 0, count: capacity)
        let headerSize = Self.align(MemoryLayout<cmsghdr>.size)
        var control = [UInt8](repeating: 0, count: headerSize + Self.align(MemoryLayout<Int32>.size) * 4)
        var flags: Int32 = 0
        var attached: Int32?
        let count = bytes.withUnsafeMutableBytes { data -> Int in
            control.withUnsafeMutableBytes { controlBytes -> Int in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    header.msg_control = controlBytes.baseAddress
                    header.msg_controllen = controlBytes.count
                    var n: Int
                    repeat {
                        n = recvmsg(descriptor, &header, Int32(MSG_CMSG_CLOEXEC))
                    } while n < 0 && errno == EINTR
                    flags = header.msg_flags
                    // Every descriptor that came (at most one is expected, the rest closed).
                    var offset = 0
                    while n >= 0, offset + headerSize <= header.msg_controllen {
                        guard let base = controlBytes.baseAddress else { break }
                        let cmsg = base.advanced(by: offset).assumingMemoryBound(to: cmsghdr.self)
                        let length = cmsg.pointee.cmsg_len
                        guard length >= headerSize, offset + length <= header.msg_controllen else { break }
                        if cmsg.pointee.cmsg_level == SOL_SOCKET, cmsg.pointee.cmsg_type == Int32(SCM_RIGHTS) {
                            var at = headerSize
                            while at + MemoryLayout<Int32>.size <= length {
                                let fd = controlBytes.load(fromByteOffset: offset + at, as: Int32.self)
                                if attached == nil { attached = fd } else { close(fd) }
                                at += MemoryLayout<Int32>.size
                            }
                        }
                        offset += Self.align(length)
                    }
                    return n
                }
            }
        }
        if count < 0 { throw RelayProtocolError("receive: \(String(cString: strerror(errno)))") }
        if count == 0 && attached == nil { return .end }
        do throws(RelayProtocolError) {
            guard flags & Int32(MSG_TRUNC) == 0, flags & Int32(MSG_CTRUNC) == 0 else {
                throw RelayProtocolError("a packet larger than \(capacity) bytes")
            }
            return .message(try ControlMessage(try RelayFrame(packet: Array(bytes[0..<count]))), attached: attached)
        } catch {
            if let attached { close(attached) }
            throw error
        }
    }

    /// CMSG_ALIGN.
    static func align(_ n: Int) -> Int {
        let word = MemoryLayout<Int>.size
        return (n + word - 1) / word * word
    }
}
