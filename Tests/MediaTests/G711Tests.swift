import Testing
import Media
import TestKit

@Suite struct G711Tests {
    /// The first rows of the decoding tables the ITU-T G.191 tools produce (codes 0x00–0x0F),
    /// as published with implementations checked against them, and single codes of the
    /// G.711 segment structure.
    @Test func decodingMatchesG191() {
        let ulawFirst: [Int16] = [-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
                                  -23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764]
        #expect((0..<16).map { G711.linear(ulaw: UInt8($0)) } == ulawFirst)
        let ulawRow3: [Int16] = [-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412]
        #expect((16..<24).map { G711.linear(ulaw: UInt8($0)) } == ulawRow3)
        let alawFirst: [Int16] = [-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
                                  -7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784]
        #expect((0..<16).map { G711.linear(alaw: UInt8($0)) } == alawFirst)
        let alawRow11: [Int16] = [-88, -72, -120, -104, -24, -8, -56, -40]
        #expect((0x50..<0x58).map { G711.linear(alaw: UInt8($0)) } == alawRow11)
        // Zero and full scale.
        #expect(G711.linear(ulaw: 0xFF) == 0 && G711.linear(ulaw: 0x7F) == 0)
        #expect(G711.linear(ulaw: 0x80) == 32124 && G711.linear(ulaw: 0x00) == -32124)
        #expect(G711.linear(alaw: 0xD5) == 8 && G711.linear(alaw: 0x55) == -8)
        #expect(G711.linear(alaw: 0xAA) == 32256 && G711.linear(alaw: 0x2A) == -32256)
        // Sign symmetry: flipping the sign bit negates the value.
        for c in 0..<128 {
            #expect(G711.linear(ulaw: UInt8(c)) == -G711.linear(ulaw: UInt8(c | 0x80)))
            #expect(G711.linear(alaw: UInt8(c)) == -G711.linear(alaw: UInt8(c | 0x80)))
        }
    }

    /// Encoder pairs worked from the G.191 compress rules (a Python transcription of them, run
    /// by hand): 0 → 0xFF / 0xD5; −1 encodes like −0 (one's complement magnitude) → 0x7F / 0x55;
    /// clipping at full scale; segment edges.
    @Test(arguments: [
        (Int16(0), UInt8(0xFF), UInt8(0xD5)),
        (-1, 0x7F, 0x55),
        (-4, 0x7F, 0x55),
        (-5, 0x7E, 0x55),
        (4, 0xFE, 0xD5),
        (8, 0xFE, 0xD5),
        (16, 0xFD, 0xD4),
        (-16, 0x7D, 0x55),
        (124, 0xEF, 0xD2),
        (256, 0xE7, 0xC5),
        (1000, 0xCE, 0xFA),        // µ: 1000 >> 2 = 250, +33 = 283: segment 4, mantissa 1: 0x4E | sign 0x80
        (-1000, 0x4E, 0x7A),
        (4096, 0xAF, 0x85),
        (-4096, 0x2F, 0x1A),
        (32767, 0x80, 0xAA),
        (-32768, 0x00, 0x2A),
    ])
    func encoderPairs(sample: Int16, ulaw: UInt8, alaw: UInt8) {
        #expect(G711.ulaw(sample) == ulaw, "µ-law of \(sample)")
        #expect(G711.alaw(sample) == alaw, "A-law of \(sample)")
    }

    /// Every code decodes to a value that encodes back to the same code (G.711 is idempotent
    /// on its own reconstruction levels), except µ-law's −0 (0x7F), which decodes to 0 = +0.
    @Test func everyCodeRoundTrips() {
        for c in 0...255 {
            let code = UInt8(c)
            if code == 0x7F { #expect(G711.ulaw(G711.linear(ulaw: code)) == 0xFF) } else {
                #expect(G711.ulaw(G711.linear(ulaw: code)) == code, "µ \(c)")
            }
            #expect(G711.alaw(G711.linear(alaw: code)) == code, "A \(c)")
        }
    }

    /// Over every 16-bit input: monotonic, and the error within half a quantisation step of the
    /// segment (µ-law: step 2^(seg+3) in 16-bit units; A-law: 2^(seg+4), 32 in segment 0/1).
    @Test func everySampleQuantisesWithinHalfAStep() {
        var lastU = Int16.min, lastA = Int16.min
        for x in Int(Int16.min)...Int(Int16.max) {
            let s = Int16(x)
            let u = G711.linear(ulaw: G711.ulaw(s))
            let a = G711.linear(alaw: G711.alaw(s))
            #expect(u >= lastU && a >= lastA)
            lastU = u
            lastA = a
            if abs(x) < 32000 {
                let uStep = 8 << Int((~G711.ulaw(s) >> 4) & 7)
                #expect(abs(Int(u) - x) <= uStep / 2 + 4, "µ \(x) → \(u)")
                let aSeg = Int((G711.alaw(s) ^ 0x55) >> 4 & 7)
                let aStep = aSeg <= 1 ? 16 : 16 << (aSeg - 1)
                #expect(abs(Int(a) - x) <= aStep / 2 + 16, "A \(x) → \(a)")
            }
        }
    }

    @Test func framesEncodeAndDecode() {
        let frame: [Int16] = (0..<160).map { Int16(truncatingIfNeeded: $0 * 397 - 30000) }
        let u = G711.encode(frame, law: .ulaw)
        let a = G711.encode(frame, law: .alaw)
        #expect(u.count == 160 && a.count == 160)
        #expect(G711.decode(u, law: .ulaw) == u.map { G711.linear(ulaw: $0) })
        #expect(G711.decode(a, law: .alaw) == a.map { G711.linear(alaw: $0) })
        #expect(u == frame.map(G711.ulaw))
    }
}

/// sox (an independent implementation, Sun's g711.c lineage) encodes and decodes the same way.
/// Two known differences are accounted for, not hidden: sox rounds a 16-bit sample to the
/// coder's 14 (µ) / 13 (A) bits where G.191 truncates, so the inputs are taken on that grid;
/// and sox's µ-law takes a negative sample's magnitude as −x where G.191 takes ~x = −x−1, so
/// for x ≤ −8 our code for x is sox's code for x + 4 (and 127 grid points differ directly).
@Suite struct G711SoxTests {
    func soxEncode(_ input: [Int16], _ encoding: String) async throws -> [UInt8] {
        let dir = try TestSupport.temporaryDirectory("g711-sox")
        try writeBytes(littleEndian(input), dir + "/in.raw")
        // -D: no dither (sox dithers by default when it reduces precision).
        let (status, log) = try await run(sox, ["-D", "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1", "-L",
                                                dir + "/in.raw", "-t", "raw", "-e", encoding, "-b", "8", dir + "/out.raw"])
        #expect(status == 0, "\(log)")
        return try readBytes(dir + "/out.raw")
    }

    @Test func alawEncodingMatchesSoxOnThe13BitGrid() async throws {
        let input: [Int16] = stride(from: -32768, through: 32760, by: 8).map { Int16($0) }
        let theirs = try await soxEncode(input, "a-law")
        let ours = G711.encode(input, law: .alaw)
        let differing = zip(input, zip(ours, theirs)).filter { $1.0 != $1.1 }
        #expect(theirs.count == input.count && differing.isEmpty, "\(differing.prefix(8))")
    }

    @Test func ulawEncodingMatchesSoxOnThe14BitGrid() async throws {
        let input: [Int16] = stride(from: -32768, through: 32764, by: 4).map { Int16($0) }
        let theirs = try await soxEncode(input, "mu-law")
        #expect(theirs.count == input.count)
        let ours = G711.encode(input, law: .ulaw)
        var sox: [Int16: UInt8] = [:]
        for (x, c) in zip(input, theirs) { sox[x] = c }
        let nonNegative = input.indices.filter { input[$0] >= 0 && ours[$0] != theirs[$0] }
        #expect(nonNegative.isEmpty, "\(nonNegative.prefix(8).map { input[$0] })")
        let shifted = input.indices.filter { input[$0] <= -8 && ours[$0] != sox[input[$0] + 4] }
        #expect(shifted.isEmpty, "\(shifted.prefix(8).map { input[$0] })")
        #expect(input.indices.filter { ours[$0] != theirs[$0] }.count == 127)
    }

    @Test(arguments: [("mu-law", G711.Law.ulaw), ("a-law", G711.Law.alaw)])
    func decodingMatchesSox(encoding: String, law: G711.Law) async throws {
        let dir = try TestSupport.temporaryDirectory("g711-sox")
        try writeBytes((0...255).map { UInt8($0) }, dir + "/in.raw")
        let (status, log) = try await run(sox, ["-t", "raw", "-r", "8000", "-e", encoding, "-b", "8", "-c", "1", dir + "/in.raw",
                                                "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", dir + "/out.raw"])
        #expect(status == 0, "\(log)")
        let theirs = samples(littleEndian: try readBytes(dir + "/out.raw"))
        let ours = G711.decode((0...255).map { UInt8($0) }, law: law)
        #expect(theirs == ours, "first difference at code \(Array(zip(theirs, ours)).firstIndex { $0.0 != $0.1 } ?? -1)")
    }
}
