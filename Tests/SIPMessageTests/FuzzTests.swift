// Nothing may crash or hang (torture README): random truncations and byte flips of every torture
// message and of the corpus, parsed, validated, framed and serialized. Only the absence of a crash
// and a bounded time per message are asserted.
import Testing
import TestKit
import SIPMessage

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func allSamples() -> [(String, [UInt8])] {
    var out: [(String, [UInt8])] = []
    for n in SharedFiles.list(SharedFiles.tortureDirectory, suffix: ".dat") {
        if let b = SharedFiles.read(SharedFiles.tortureDirectory + "/" + n) { out.append((n, b)) }
    }
    for n in SharedFiles.list(SharedFiles.corpusDirectory, suffix: ".sip") {
        if let b = SharedFiles.read(SharedFiles.corpusDirectory + "/" + n) { out.append((n, b)) }
    }
    return out
}

/// Everything a receiver does with bytes; returns nothing, must not trap.
func exercise(_ b: [UInt8]) {
    _ = SIPMessage.frame(b)
    _ = SIPMessage.frame(b, limits: SIPMessage.Limits(maxMessageSize: 128))
    for transport in [SIPMessage.Transport.datagram, .stream] {
        guard let m = try? SIPMessage(parsing: b, transport: transport) else { continue }
        _ = try? m.validate()
        _ = try? m.requestURI()
        for f in m.headers { _ = m.value(of: f); _ = m.name(of: f) }
        if let t = try? m.parseAll() {
            for v in t.vias { _ = (v.host, v.branch, v.transport, v.parameters.all) }
            for c in t.contacts { _ = (c.displayName, c.uri.user, c.uri.parameters, c.uri.headers, c.parameters.all) }
            for a in t.authorization + t.wwwAuthenticate { _ = a.parameters }
        }
        _ = m.values("Via")
        _ = try? SIPMessage(parsing: m.serialize())
    }
}

@Suite struct FuzzTests {
    static let perMessageBudget = 0.05  // seconds; generous for a debug build on a loaded machine

    @Test func samplesArePresent() {
        #expect(allSamples().count == 55, "expected the torture messages and the corpus beside the repository (../shared)")
    }

    @Test func everyTruncation() {
        for (name, b) in allSamples() {
            let t0 = monotonicSeconds()
            for n in stride(from: 0, through: b.count, by: max(1, b.count / 200)) { exercise(Array(b.prefix(n))) }
            let per = (monotonicSeconds() - t0) / 200
            #expect(per < Self.perMessageBudget, "\(name): \(per) s per truncation")
        }
    }

    @Test func randomTruncationsAndByteFlips() {
        var rng = SplitMix(state: 0x5EED_4475)
        var worst = 0.0
        for (name, b) in allSamples() where !b.isEmpty {
            for _ in 0..<150 {
                var m = Array(b.prefix(Int.random(in: 1...b.count, using: &rng)))
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let k = Int.random(in: 0..<m.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: m[k] = UInt8.random(in: 0...255, using: &rng)
                    case 1: m[k] = [13, 10, 32, 9, 58, 59, 44, 34, 60, 62, 92, 37, 64, 61, 0][Int.random(in: 0..<15, using: &rng)]
                    case 2: m.insert(contentsOf: [13, 10], at: k)
                    default: m.remove(at: k); if m.isEmpty { m = [65] }
                    }
                }
                let t0 = monotonicSeconds()
                exercise(m)
                let dt = monotonicSeconds() - t0
                worst = max(worst, dt)
                #expect(dt < Self.perMessageBudget * 4, "\(name): \(dt) s")
            }
        }
        #expect(worst < Self.perMessageBudget * 4)
    }

    @Test func pathologicalInputs() {
        let cases: [[UInt8]] = [
            [], [13, 10], Array(repeating: 13, count: 70_000),
            Array(("INVITE sip:a@b SIP/2.0\r\n" + String(repeating: "Via: SIP/2.0/UDP h;branch=1,", count: 2000)).utf8),
            Array(("INVITE sip:a@b SIP/2.0\r\nTo: " + String(repeating: "\"", count: 30_000) + "\r\n\r\n").utf8),
            Array(("INVITE sip:a@b SIP/2.0\r\nTo: " + String(repeating: "<", count: 30_000) + "\r\n\r\n").utf8),
            Array(("INVITE sip:a@b SIP/2.0\r\nTo: " + String(repeating: "\\", count: 30_000) + "\r\n\r\n").utf8),
            Array(("INVITE sip:a@b SIP/2.0\r\n" + String(repeating: "X:\r\n ", count: 10_000) + "\r\n\r\n").utf8),
            Array(("SIP/2.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n").utf8),
        ]
        for c in cases {
            let t0 = monotonicSeconds()
            exercise(c)
            #expect(monotonicSeconds() - t0 < 1.0)
        }
    }
}
