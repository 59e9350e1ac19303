// libFuzzer harness for the RTP and RTCP parsers and the receiving side (issue 17): any
// datagram gives a header or an error, a compound RTCP packet or an error, and a receiver
// fed with it keeps consistent statistics; never a crash. See Fuzz/sip/SIPFuzz.swift.
import RTP
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? RTPHeader(parsing: bytes)
    _ = try? RTCPCompound.parse(bytes)
    var session = RTPSession(payloadType: 0, dtmfPayloadType: 101, expectedSource: nil, cname: "fuzz", start: .zero)
    for i in 0..<3 {
        _ = session.receive(bytes, from: RTPEndpoint(address: .v4(0x7F00_0001), port: 4000), arrival: .milliseconds(20 * i))
    }
    _ = try? session.receiveRTCP(bytes, now: .seconds(1), ntp: 0)
    return 0
}

@main enum RTPFuzzReplay {
    static func main() { FuzzReplay.run(fuzzRTP) }
}
