// libFuzzer harness for the SDP parser (issue 17): any input gives a session description or
// an SDPError, never a crash. See Fuzz/sip/SIPFuzz.swift for how it is built and replayed.
import SDP
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? SDPSession(parsing: bytes)
    return 0
}

@main enum SDPFuzzReplay {
    static func main() { FuzzReplay.run(fuzzSDP) }
}
