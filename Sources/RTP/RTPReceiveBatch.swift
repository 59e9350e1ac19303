// The memory one `recvmmsg` fills: a few datagrams with their sources and the kernel's arrival
// times, allocated once per reader and reused for every read (the media thread reads every call's
// sockets once per 20 ms frame; no allocation per packet or per frame).

import CSocketBatch
#if canImport(Glibc)
import Glibc
#endif

/// Room for `capacity` datagrams of up to `datagramSize` bytes each. Filled by
/// `RTPSocketPair.receive(_:into:)`; slot `i < count` is then read with `bytes(i)`, `source(i)`
/// and `arrival(i)`. Belongs to one thread (the one that reads the sockets).
public final class RTPReceiveBatch {
    public let capacity: Int
    public let datagramSize: Int
    /// Datagrams in the batch after the last read.
    public internal(set) var count = 0

    /// Room for one cmsghdr with a timespec (16 + 16 bytes), 8-byte aligned, per slot.
    static let controlSize = 64

    let messages: UnsafeMutablePointer<socketbatch_message>
    private let payloads: UnsafeMutableRawPointer
    private let names: UnsafeMutablePointer<sockaddr_storage>
    private let vectors: UnsafeMutablePointer<iovec>
    private let controls: UnsafeMutableRawPointer

    /// 8 slots: at 50 packets a second a call has one or two datagrams waiting per frame, more
    /// only after a stall (then the reader reads again while the batch comes back full).
    public init(capacity: Int = 8, datagramSize: Int = 2048) {
        self.capacity = max(1, capacity)
        self.datagramSize = max(12, datagramSize)
        messages = .allocate(capacity: self.capacity)
        payloads = .allocate(byteCount: self.capacity * self.datagramSize, alignment: 8)
        names = .allocate(capacity: self.capacity)
        vectors = .allocate(capacity: self.capacity)
        controls = .allocate(byteCount: self.capacity * Self.controlSize, alignment: 8)
    }

    deinit {
        messages.deallocate()
        payloads.deallocate()
        names.deallocate()
        vectors.deallocate()
        controls.deallocate()
    }

    /// Sets every slot up for the next read (the kernel overwrites lengths and flags).
    func prepare() {
        for i in 0..<capacity {
            vectors[i] = iovec(iov_base: payloads + i * datagramSize, iov_len: datagramSize)
            let header = msghdr(msg_name: UnsafeMutableRawPointer(names + i), msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                                msg_iov: vectors + i, msg_iovlen: 1,
                                msg_control: controls + i * Self.controlSize, msg_controllen: Self.controlSize, msg_flags: 0)
            messages[i] = socketbatch_message(msg_hdr: header, msg_len: 0)
        }
    }

    /// The bytes of datagram `i` (valid until the next read).
    public func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: payloads + i * datagramSize, count: min(Int(messages[i].msg_len), datagramSize))
    }

    /// Where datagram `i` came from (nil: an address family RTP does not use).
    public func source(_ i: Int) -> RTPEndpoint? { RTPEndpoint(names[i]) }

    /// The kernel's arrival time of datagram `i` (CLOCK_REALTIME; nil when the kernel gave none).
    public func arrival(_ i: Int) -> timespec? {
        let length = min(Int(messages[i].msg_hdr.msg_controllen), Self.controlSize)
        return RTPSocketPair.timestamp(in: UnsafeRawBufferPointer(start: controls + i * Self.controlSize, count: length))
    }
}
