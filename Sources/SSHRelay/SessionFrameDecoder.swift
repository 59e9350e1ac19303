import NIOCore

/// The frames of a session's stream socket, for a channel pipeline (both ends use it). A
/// malformed frame is an error: the channel's handler closes the session.
public struct SessionFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SessionFrame

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try RelayFrame.read(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(try SessionFrame(frame)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            throw RelayProtocolError("the session socket closed inside a frame (\(buffer.readableBytes) bytes)")
        }
        return .needMoreData
    }
}

extension SessionFrame {
    /// The frame's bytes in a buffer.
    public func buffer(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(bytes: frame.bytes)
    }
}
