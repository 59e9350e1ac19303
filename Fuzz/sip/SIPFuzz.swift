// libFuzzer harness for the SIP parser (issue 17): a message parsed as a datagram and as a
// stream, then every header into its typed value. Any input must give a value or a
// SIPParseError, never a crash. Built with `make fuzz` (-sanitize=fuzzer,address -DFUZZING)
// it is libFuzzer; the ordinary build replays seed files (`fuzz-sip FILE|DIR…`, FuzzReplayTests).
import SIPMessage
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for transport in [SIPMessage.Transport.datagram, .stream] {
        if let message = try? SIPMessage(parsing: bytes, transport: transport) {
            _ = try? message.parseAll()
        }
    }
    return 0
}

@main enum SIPFuzzReplay {
    static func main() { FuzzReplay.run(fuzzSIP) }
}
