import CSpeexDSP

/// speexdsp's adaptive jitter buffer for one stream of 20 ms audio frames: packets go in as they
/// arrive (in any order, duplicated or late), one frame comes out per 20 ms tick in timestamp
/// order, and a frame that is not there when its turn comes is reported missing, for the owner
/// to conceal. Packets older than the playout point are late: counted, not played.
public final class JitterBuffer {
    public enum Frame: Equatable {
        /// The payload of the frame due now (still encoded).
        case payload([UInt8])
        /// Nothing arrived for this frame in time: conceal it.
        case missing
    }

    private let state: OpaquePointer
    /// Timestamp units per frame (160 at 8 kHz, 20 ms).
    public let span: Int32
    private var started = false
    /// Packets that came after their turn to be played had passed.
    public private(set) var late = 0
    /// Frames concealed because nothing was there.
    public private(set) var concealed = 0
    public private(set) var delivered = 0

    public init?(span: Int32 = 160, marginFrames: Int32 = JitterBuffer.defaultMarginFrames) {
        guard let s = jitter_buffer_init(span) else { return nil }
        state = s
        self.span = span
        var margin = marginFrames * span
        jitter_buffer_ctl(state, JITTER_BUFFER_SET_MARGIN, &margin)
    }

    /// The delay kept beyond what speexdsp's adaptation asks for: one frame (20 ms). Without
    /// it a steady stream drives the buffer to no delay at all, and then a packet swapped with
    /// its neighbour, or one that lands just after the media thread's frame tick, is late and
    /// concealed (the impaired-RTP acceptance test saw every reordered packet lost that way).
    public static let defaultMarginFrames: Int32 = 1

    deinit { jitter_buffer_destroy(state) }

    /// A packet's payload with its RTP timestamp and sequence number. A late one still goes in:
    /// speexdsp learns from it (its delay grows) and resynchronises after a stall, which it
    /// could not do if late packets were kept from it.
    public func put(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, sequence: UInt16) {
        if started, Int32(bitPattern: timestamp &- UInt32(bitPattern: jitter_buffer_get_pointer_timestamp(state))) < 0 {
            late += 1
        }
        payload.withMemoryRebound(to: CChar.self) { bytes in
            var packet = JitterBufferPacket()
            packet.data = UnsafeMutablePointer(mutating: bytes.baseAddress)
            packet.len = UInt32(bytes.count)
            packet.timestamp = timestamp
            packet.span = UInt32(span)
            packet.sequence = sequence
            jitter_buffer_put(state, &packet)   // the buffer keeps its own copy
        }
    }

    /// The frame due at this 20 ms tick (and the clock moved on by one frame).
    public func next() -> Frame {
        var payload: [UInt8] = []
        return next(into: &payload) ? .payload(payload) : .missing
    }

    /// The same, the payload written over `payload` (kept by the caller from frame to frame:
    /// no allocation per frame once it has grown); false when the frame is missing.
    public func next(into payload: inout [UInt8]) -> Bool {
        defer { jitter_buffer_tick(state) }
        if payload.count < Self.maximumPayload {
            payload.append(contentsOf: repeatElement(0, count: Self.maximumPayload - payload.count))
        }
        var offset: Int32 = 0
        var length = 0
        let result: Int32 = payload.withUnsafeMutableBytes { raw in
            var packet = JitterBufferPacket()
            packet.data = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            packet.len = UInt32(raw.count)
            let r = jitter_buffer_get(state, &packet, span, &offset)
            if r == JITTER_BUFFER_OK { length = min(Int(packet.len), raw.count) }
            return r
        }
        guard result == JITTER_BUFFER_OK else {
            payload.removeAll(keepingCapacity: true)
            if started { concealed += 1 }
            return false
        }
        payload.removeLast(payload.count - length)
        started = true
        delivered += 1
        return true
    }

    /// The largest payload a frame may have (the receive buffer's size).
    static let maximumPayload = 2048

    /// Packets waiting in the buffer: its delay is about that many frames.
    public var waiting: Int {
        var count: Int32 = 0
        jitter_buffer_ctl(state, JITTER_BUFFER_GET_AVAILABLE_COUNT, &count)
        return Int(count)
    }

    /// The buffering delay in milliseconds (packets waiting × 20 ms).
    public var delayMilliseconds: Int { waiting * Int(span) / 8 }
}
