// ITU-T G.711 µ-law and A-law, table driven. The tables are computed once from the rules of
// the ITU-T G.191 reference implementation (its ulaw_compress/expand and alaw_compress/expand):
// the magnitude of a negative sample is taken as its one's complement (~x), so -1 encodes like
// 0 with the sign bit clear, and decoding returns the middle of each quantisation interval.
// Encoding depends only on the top 14 bits (µ-law) or 13 bits (A-law) of a 16-bit sample, so
// a table of 16384 / 4096 code bytes covers every input.

public enum G711 {
    // MARK: µ-law

    /// µ-law code for a 16-bit linear sample.
    @inline(__always)
    public static func ulaw(_ x: Int16) -> UInt8 { ulawEncodeTable[Int(UInt16(bitPattern: x) >> 2)] }

    /// 16-bit linear sample for a µ-law code (G.191 ulaw_expand, ±32124 full scale).
    @inline(__always)
    public static func linear(ulaw code: UInt8) -> Int16 { ulawDecodeTable[Int(code)] }

    // MARK: A-law

    @inline(__always)
    public static func alaw(_ x: Int16) -> UInt8 { alawEncodeTable[Int(UInt16(bitPattern: x) >> 4)] }

    /// 16-bit linear sample for an A-law code (G.191 alaw_expand, ±32256 full scale).
    @inline(__always)
    public static func linear(alaw code: UInt8) -> Int16 { alawDecodeTable[Int(code)] }

    // MARK: Frames

    public enum Law: Sendable, Hashable {
        case ulaw, alaw
    }

    /// Encodes samples, appending one code byte per sample to `out` (an RTP payload).
    /// The per-frame paths of the media engine, concrete so that they are not generic calls
    /// across the module boundary (which Swift does not specialise).
    public static func encode(_ samples: [Int16], law: Law, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + samples.count)
        samples.withUnsafeBufferPointer { p in
            switch law {
            case .ulaw: for s in p { out.append(ulawEncodeTable[Int(UInt16(bitPattern: s) >> 2)]) }
            case .alaw: for s in p { out.append(alawEncodeTable[Int(UInt16(bitPattern: s) >> 4)]) }
            }
        }
    }

    public static func decode(_ codes: UnsafeRawBufferPointer, law: Law, into out: inout [Int16]) {
        out.reserveCapacity(out.count + codes.count)
        switch law {
        case .ulaw: for c in codes { out.append(ulawDecodeTable[Int(c)]) }
        case .alaw: for c in codes { out.append(alawDecodeTable[Int(c)]) }
        }
    }

    public static func encode(_ samples: some Sequence<Int16>, law: Law, into out: inout [UInt8]) {
        switch law {
        case .ulaw: for s in samples { out.append(ulaw(s)) }
        case .alaw: for s in samples { out.append(alaw(s)) }
        }
    }

    public static func encode(_ samples: some Sequence<Int16>, law: Law) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(samples.underestimatedCount)
        encode(samples, law: law, into: &out)
        return out
    }

    /// Decodes a payload, appending one sample per byte to `out`.
    public static func decode(_ codes: some Sequence<UInt8>, law: Law, into out: inout [Int16]) {
        switch law {
        case .ulaw: for c in codes { out.append(ulawDecodeTable[Int(c)]) }
        case .alaw: for c in codes { out.append(alawDecodeTable[Int(c)]) }
        }
    }

    public static func decode(_ codes: some Sequence<UInt8>, law: Law) -> [Int16] {
        var out: [Int16] = []
        out.reserveCapacity(codes.underestimatedCount)
        decode(codes, law: law, into: &out)
        return out
    }

    // MARK: The rules the tables are made from

    /// G.191 ulaw_compress for one sample: biased magnitude (+33 in 14-bit units), clipped at
    /// 0x1FFF; the segment is the position of its leading one above bit 5; the code is the
    /// complement of segment and four mantissa bits, with bit 7 set for positive samples.
    static func ulawRule(_ x: Int16) -> UInt8 {
        let magnitude = Int(x < 0 ? ~x : x) >> 2
        let biased = min(magnitude + 33, 0x1FFF)
        var segment = 1
        var i = biased >> 6
        while i != 0 { segment += 1; i >>= 1 }
        let high = 8 - segment
        let low = 0x0F - ((biased >> segment) & 0x0F)
        let code = (high << 4) | low
        return UInt8(x >= 0 ? code | 0x80 : code)
    }

    static func ulawExpandRule(_ code: UInt8) -> Int16 {
        let inverted = Int(~code)
        let exponent = (inverted >> 4) & 0x07
        let mantissa = inverted & 0x0F
        let step = 4 << (exponent + 1)
        let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33
        return Int16(code < 0x80 ? -magnitude : magnitude)
    }

    /// G.191 alaw_compress: 12-bit magnitude (one's complement for negatives); segment 0 and 1
    /// are linear, each further one halves the resolution; even bits inverted (XOR 0x55).
    static func alawRule(_ x: Int16) -> UInt8 {
        var ix = Int(x < 0 ? ~x : x) >> 4
        if ix > 15 {
            var exponent = 1
            while ix > 16 + 15 { ix >>= 1; exponent += 1 }
            ix -= 16
            ix += exponent << 4
        }
        if x >= 0 { ix |= 0x80 }
        return UInt8(ix ^ 0x55)
    }

    static func alawExpandRule(_ code: UInt8) -> Int16 {
        let ix = Int(code ^ 0x55) & 0x7F
        let exponent = ix >> 4
        var mantissa = ix & 0x0F
        if exponent > 0 { mantissa += 16 }
        mantissa = (mantissa << 4) + 0x08
        if exponent > 1 { mantissa <<= exponent - 1 }
        return Int16(code > 127 ? mantissa : -mantissa)
    }

    // Indexed by the sample's top 14 (µ) / 12 (A) bits as an unsigned pattern.
    static let ulawEncodeTable: [UInt8] = (0..<16384).map { ulawRule(Int16(bitPattern: UInt16($0) << 2)) }
    static let alawEncodeTable: [UInt8] = (0..<4096).map { alawRule(Int16(bitPattern: UInt16($0) << 4)) }
    static let ulawDecodeTable: [Int16] = (0..<256).map { ulawExpandRule(UInt8($0)) }
    static let alawDecodeTable: [Int16] = (0..<256).map { alawExpandRule(UInt8($0)) }
}
