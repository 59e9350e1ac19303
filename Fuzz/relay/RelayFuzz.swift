// libFuzzer harness for the frames deskphoned and deskphone-ssh exchange (issue 16's SSH relay,
// issue 17's "every parser fuzzed"): RelayFrame read from a byte stream as a session socket
// delivers it, each frame read as a session frame and as a control message, and the whole
// input as one control-socket packet.
//
// Invariants: a frame read re-encodes as exactly the bytes it was read from; a session frame
// or control message decoded encodes as a frame that decodes to the same value (a string that
// was not valid UTF-8 reads with U+FFFD, so the bytes may differ, the value may not); a
// malformed frame is an error, never a crash. See Fuzz/sip/SIPFuzz.swift for how it is built
// and replayed.
import FuzzSupport
import NIOCore
import SSHRelay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRelay(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? RelayFrame(packet: bytes)

    var buffer = ByteBuffer(bytes: bytes)
    while true {
        let before = buffer.readerIndex
        guard let frame = try? RelayFrame.read(from: &buffer) else { break }
        let consumed = Array(bytes[before..<buffer.readerIndex])
        fuzzRequire(frame.bytes == consumed, "frame \(frame.type) of \(frame.payload.count) bytes encodes otherwise")
        if let session = try? SessionFrame(frame) {
            fuzzRequire((try? SessionFrame(session.frame)) == session, "session frame \(session) does not read back")
        }
        if let message = try? ControlMessage(frame) {
            fuzzRequire((try? ControlMessage(message.frame)) == message, "control message \(message.name) does not read back")
        }
    }
    return 0
}

@main enum RelayFuzzReplay {
    static func main() { FuzzReplay.run(fuzzRelay) }
}
