// Byte classes of the RFC 3261 §25.1 grammar and the scanner every typed parser uses.
// Everything here works on offsets into the received bytes: nothing is copied while parsing
// ("Bytes, not Strings, on hot paths", ARCHITECTURE.md); strings are made when a value is read.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The offset of the first `byte` in [from, to), or nil (libc memchr: vectorized).
@inline(__always) func find(_ p: UnsafePointer<UInt8>, _ byte: UInt8, _ from: Int, _ to: Int) -> Int? {
    guard from < to, let q = memchr(p + from, Int32(byte), to - from) else { return nil }
    return UnsafePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - p
}

/// A half-open range of offsets into a message's bytes (32-bit: messages are capped at 64 KiB).
public struct TextRange: Hashable, Sendable {
    public var start: Int32
    public var end: Int32
    @inline(__always) init(_ start: Int, _ end: Int) {
        self.start = Int32(truncatingIfNeeded: start)
        self.end = Int32(truncatingIfNeeded: end)
    }
    public var lower: Int { Int(start) }
    public var upper: Int { Int(end) }
    public var count: Int { Int(end - start) }
    public var isEmpty: Bool { start == end }
    public var range: Range<Int> { Int(start)..<Int(end) }
}

@usableFromInline enum Ch {
    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, ht: UInt8 = 9
    static let colon: UInt8 = 58, semi: UInt8 = 59, comma: UInt8 = 44, eq: UInt8 = 61
    static let dquote: UInt8 = 34, backslash: UInt8 = 92, lt: UInt8 = 60, gt: UInt8 = 62
    static let slash: UInt8 = 47, at: UInt8 = 64, question: UInt8 = 63, percent: UInt8 = 37
    static let lbracket: UInt8 = 91, rbracket: UInt8 = 93, amp: UInt8 = 38, star: UInt8 = 42
    static let dot: UInt8 = 46
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }
@inline(__always) func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 97 < 26 }
@inline(__always) func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
@inline(__always) func isWSP(_ c: UInt8) -> Bool { c == 32 || c == 9 }
/// LWS inside a header value: after framing, a CR or LF inside a value is always part of a fold.
@inline(__always) func isLWS(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }
@inline(__always) func lower(_ c: UInt8) -> UInt8 { c &- 65 < 26 ? c | 0x20 : c }
@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    if isDigit(c) { return c &- 48 }
    let l = c | 0x20
    if l >= 97 && l <= 102 { return l &- 87 }
    return nil
}

/// Character classes as 256-entry tables in constant data (one load per test, no bounds check):
/// each byte is 0x40 | class bits. Table A: token 1, word 2, unreserved 4, user 8, password 16,
/// param 32. Table B: header 1, host 2. Generated from the RFC 3261 §25.1 sets.
let classTableA: StaticString = "\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{7F}\u{42}\u{40}\u{78}\u{43}\u{78}\u{7F}\u{7E}\u{7E}\u{7F}\u{7B}\u{58}\u{7F}\u{7F}\u{6A}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{62}\u{48}\u{42}\u{58}\u{42}\u{4A}\u{40}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{62}\u{42}\u{62}\u{40}\u{7F}\u{43}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{42}\u{40}\u{42}\u{7F}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}"
let classTableB: StaticString = "\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{41}\u{40}\u{40}\u{41}\u{40}\u{40}\u{41}\u{41}\u{41}\u{41}\u{41}\u{40}\u{43}\u{43}\u{41}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{41}\u{40}\u{40}\u{40}\u{40}\u{41}\u{40}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{41}\u{40}\u{41}\u{40}\u{43}\u{40}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{43}\u{40}\u{40}\u{40}\u{41}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}\u{40}"
@inline(__always) func classA(_ c: UInt8, _ bit: UInt8) -> Bool { classTableA.utf8Start[Int(c)] & bit != 0 }
@inline(__always) func classB(_ c: UInt8, _ bit: UInt8) -> Bool { classTableB.utf8Start[Int(c)] & bit != 0 }

/// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
@inline(__always) func isTokenChar(_ c: UInt8) -> Bool { classA(c, 1) }
/// word = token chars plus "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}"
@inline(__always) func isWordChar(_ c: UInt8) -> Bool { classA(c, 2) }
/// unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
@inline(__always) func isUnreserved(_ c: UInt8) -> Bool { classA(c, 4) }
/// user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
@inline(__always) func isUserChar(_ c: UInt8) -> Bool { classA(c, 8) }
/// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
@inline(__always) func isPasswordChar(_ c: UInt8) -> Bool { classA(c, 16) }
/// paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
@inline(__always) func isParamChar(_ c: UInt8) -> Bool { classA(c, 32) }
/// hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
@inline(__always) func isHeaderChar(_ c: UInt8) -> Bool { classB(c, 1) }
/// Characters of a hostname, an IPv4 address, or (inside brackets) an IPv6 reference.
@inline(__always) func isHostChar(_ c: UInt8) -> Bool { classB(c, 2) }

/// Compares the bytes in `range` with a lower-case ASCII literal, ignoring case.
@inline(__always) func equalsLower(_ p: UnsafePointer<UInt8>, _ r: TextRange, _ literal: StaticString) -> Bool {
    equalsFolded(p, r, literal)
}

/// Compares a range with a lower-case ASCII literal ignoring case, eight bytes at a time.
/// Only bytes with bit 6 set (0x40-0x7F, 0xC0-0xFF) get 0x20 OR-ed in, so exactly the upper-case
/// letters fold onto the literal's lower-case letters; "-", "/", digits, CR ... must match as they are.
@inline(__always) func equalsFolded(_ p: UnsafePointer<UInt8>, _ r: TextRange, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard r.count == n else { return false }
    let a = UnsafeRawPointer(p + r.lower)
    let b = UnsafeRawPointer(literal.utf8Start)
    var k = 0
    while k + 8 <= n {
        let x = a.loadUnaligned(fromByteOffset: k, as: UInt64.self)
        if x | ((x & 0x4040_4040_4040_4040) >> 1) != b.loadUnaligned(fromByteOffset: k, as: UInt64.self) { return false }
        k += 8
    }
    if k + 4 <= n {
        let x = a.loadUnaligned(fromByteOffset: k, as: UInt32.self)
        if x | ((x & 0x4040_4040) >> 1) != b.loadUnaligned(fromByteOffset: k, as: UInt32.self) { return false }
        k += 4
    }
    if k + 2 <= n {
        let x = a.loadUnaligned(fromByteOffset: k, as: UInt16.self)
        if x | ((x & 0x4040) >> 1) != b.loadUnaligned(fromByteOffset: k, as: UInt16.self) { return false }
        k += 2
    }
    if k < n {
        let x = a.load(fromByteOffset: k, as: UInt8.self)
        if x | ((x & 0x40) >> 1) != b.load(fromByteOffset: k, as: UInt8.self) { return false }
    }
    return true
}

@inline(__always) func equalsExact(_ p: UnsafePointer<UInt8>, _ r: TextRange, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard r.count == n else { return false }
    let l = literal.utf8Start
    let base = p + r.lower
    for k in 0..<n where base[k] != l[k] { return false }
    return true
}

/// A cursor over `[start, end)` of a message's bytes. Positions are absolute offsets, so the
/// ranges it hands out index the message's storage directly.
@usableFromInline struct Scanner {
    let p: UnsafePointer<UInt8>
    var i: Int
    let end: Int

    init(_ p: UnsafePointer<UInt8>, _ range: TextRange) {
        self.p = p; self.i = range.lower; self.end = range.upper
    }
    init(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        self.p = p; self.i = start; self.end = end
    }

    var atEnd: Bool { i >= end }
    @inline(__always) func peek() -> UInt8? { i < end ? p[i] : nil }
    @inline(__always) func peekIs(_ c: UInt8) -> Bool { i < end && p[i] == c }
    /// SWS: optional linear white space (folds included).
    @inline(__always) mutating func skipLWS() { while i < end && isLWS(p[i]) { i += 1 } }
    @inline(__always) mutating func skipWSP() { while i < end && isWSP(p[i]) { i += 1 } }
    /// Consumes `c` after optional LWS; on failure the position is unchanged.
    @inline(__always) mutating func consume(_ c: UInt8) -> Bool {
        var j = i
        while j < end && isLWS(p[j]) { j += 1 }
        if j < end && p[j] == c { i = j + 1; return true }
        return false
    }
    @inline(__always) mutating func token() -> TextRange? {
        let s = i
        while i < end && isTokenChar(p[i]) { i += 1 }
        return i > s ? TextRange(s, i) : nil
    }
    @inline(__always) mutating func scan(while pred: (UInt8) -> Bool) -> TextRange {
        let s = i
        while i < end && pred(p[i]) { i += 1 }
        return TextRange(s, i)
    }
    /// 1*DIGIT as an unsigned value no larger than `max`; nil on no digit or overflow.
    mutating func number(max: UInt64) -> UInt64? {
        let s = i
        var v: UInt64 = 0
        var overflow = false
        while i < end && isDigit(p[i]) {
            if !overflow {
                v = v &* 10 &+ UInt64(p[i] &- 48)
                if v > max { overflow = true }
            }
            i += 1
        }
        if i == s || overflow { return nil }
        return v
    }
    /// quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; returns the range inside the quotes.
    /// The cursor must be on the opening quote.
    mutating func quotedString() -> TextRange? {
        guard i < end && p[i] == Ch.dquote else { return nil }
        i += 1
        let s = i
        // Fast path: the closing quote with no backslash before it.
        if let q = find(p, Ch.dquote, i, end), find(p, Ch.backslash, i, q) == nil {
            i = q + 1
            return TextRange(s, q)
        }
        while i < end {
            let c = p[i]
            if c == Ch.dquote { let r = TextRange(s, i); i += 1; return r }
            if c == Ch.backslash {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                guard i + 1 < end, p[i + 1] != Ch.cr, p[i + 1] != Ch.lf, p[i + 1] < 0x80 else { return nil }
                i += 2
                continue
            }
            i += 1
        }
        return nil
    }
    /// Skips to the next top-level comma (outside quotes and angle brackets) or the end.
    mutating func skipToComma() {
        var inQuote = false, inAngle = false
        while i < end {
            let c = p[i]
            if inQuote {
                if c == Ch.backslash { i += 2; continue }
                if c == Ch.dquote { inQuote = false }
            } else if inAngle {
                if c == Ch.gt { inAngle = false }
            } else if c == Ch.dquote { inQuote = true }
            else if c == Ch.lt { inAngle = true }
            else if c == Ch.comma { return }
            i += 1
        }
        if i > end { i = end }
    }
}

extension Array where Element == UInt8 {
    @inline(__always) func string(_ r: TextRange) -> String {
        String(decoding: self[r.range], as: UTF8.self)
    }
}

/// Removes the backslashes of quoted-pairs (RFC 3261 §25.1).
func unquote(_ bytes: [UInt8], _ r: TextRange) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(r.count)
    var k = r.lower
    while k < r.upper {
        if bytes[k] == Ch.backslash && k + 1 < r.upper { out.append(bytes[k + 1]); k += 2; continue }
        out.append(bytes[k]); k += 1
    }
    return String(decoding: out, as: UTF8.self)
}

/// Decodes %HH escapes (RFC 3261 §19.1.2). Invalid escapes are kept as they are.
func unescapeBytes(_ bytes: [UInt8], _ r: TextRange) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(r.count)
    var k = r.lower
    while k < r.upper {
        if bytes[k] == Ch.percent, k + 2 < r.upper, let h = hexValue(bytes[k + 1]), let l = hexValue(bytes[k + 2]) {
            out.append(h << 4 | l); k += 3; continue
        }
        out.append(bytes[k]); k += 1
    }
    return out
}

func unescape(_ bytes: [UInt8], _ r: TextRange) -> String {
    String(decoding: unescapeBytes(bytes, r), as: UTF8.self)
}

/// Replaces every fold (LWS containing CRLF) with one space and trims (RFC 3261 §7.3.1).
func unfold(_ bytes: [UInt8], _ r: TextRange) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(r.count)
    var k = r.lower
    while k < r.upper {
        let c = bytes[k]
        if c == Ch.cr || c == Ch.lf {
            while let last = out.last, isWSP(last) { out.removeLast() }
            while k < r.upper && isLWS(bytes[k]) { k += 1 }
            out.append(Ch.sp)
            continue
        }
        out.append(c); k += 1
    }
    return String(decoding: out, as: UTF8.self)
}

/// Stores an optional range in 8 bytes (start -1 = absent): typed values stay small, so the full
/// parse copies less (each name-addr holds a URI with a dozen of these).
@propertyWrapper struct PackedRange: Sendable {
    var raw: TextRange
    init(wrappedValue: TextRange?) { raw = wrappedValue ?? TextRange(-1, -1) }
    var wrappedValue: TextRange? {
        get { raw.start < 0 ? nil : raw }
        set { raw = newValue ?? TextRange(-1, -1) }
    }
}

/// An optional small non-negative integer (port, ttl) in 4 bytes (-1 = absent).
@propertyWrapper public struct PackedInt: Sendable {
    var raw: Int32
    public init(wrappedValue: Int?) { raw = wrappedValue.map { Int32(truncatingIfNeeded: $0) } ?? -1 }
    public var wrappedValue: Int? {
        get { raw < 0 ? nil : Int(raw) }
        set { raw = newValue.map { Int32(truncatingIfNeeded: $0) } ?? -1 }
    }
}
