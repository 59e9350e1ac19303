/// SNTP packets (RFC 4330 §4), their sanity checks (§5) and the offset/delay arithmetic.
/// Plain bytes in, plain bytes out; no I/O.

/// A 64-bit NTP timestamp: seconds since 1900-01-01 (32 bits) and a binary fraction (32 bits).
public struct NTPTimestamp: Sendable, Hashable, CustomStringConvertible {
    public var raw: UInt64

    public init(raw: UInt64) { self.raw = raw }
    public init(seconds: UInt32, fraction: UInt32) { raw = UInt64(seconds) << 32 | UInt64(fraction) }

    public static let zero = NTPTimestamp(raw: 0)

    public var seconds: UInt32 { UInt32(truncatingIfNeeded: raw >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: raw) }

    /// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
    public static let unixEpochOffset: Int64 = 2_208_988_800

    /// The timestamp of an instant given in nanoseconds since the Unix epoch. Instants from
    /// 2036-02-07 06:28:16 UTC on fall in NTP era 1 and wrap the seconds field (RFC 4330 §3).
    public init(unixNanoseconds ns: Int64) {
        let seconds = Int64(floorDivide(ns, 1_000_000_000))
        let nanos = UInt64(ns - seconds * 1_000_000_000)              // 0 ..< 1e9
        let ntpSeconds = UInt64(bitPattern: seconds + Self.unixEpochOffset) & 0xFFFF_FFFF
        raw = ntpSeconds << 32 | ((nanos << 32) + 500_000_000) / 1_000_000_000   // nearest
    }

    /// The instant in nanoseconds since the Unix epoch, by RFC 4330 §3's rule: with the most
    /// significant bit set the time is in 1968–2036 (era 0), otherwise in 2036–2104 (era 1).
    public var unixNanoseconds: Int64 {
        var s = Int64(seconds)
        if seconds & 0x8000_0000 == 0 { s += 1 << 32 }
        let nanos = Int64((UInt64(fraction) * 1_000_000_000 + (1 << 31)) >> 32)   // nearest
        return (s - Self.unixEpochOffset) * 1_000_000_000 + nanos
    }

    /// `self − other` as signed 32.32 fixed point, in nanoseconds. The subtraction wraps
    /// modulo 2^64, so differences across the 2036 era boundary come out right as long as the
    /// two are within 68 years (RFC 5905 §6's rule).
    public func nanoseconds(since other: NTPTimestamp) -> Int64 {
        Self.fixedToNanoseconds(Int64(bitPattern: raw &- other.raw))
    }

    static func fixedToNanoseconds(_ x: Int64) -> Int64 {
        let whole = x >> 32                                           // floor
        let fraction = UInt64(bitPattern: x) & 0xFFFF_FFFF
        return whole * 1_000_000_000 + Int64((fraction * 1_000_000_000 + (1 << 31)) >> 32)   // nearest
    }

    public var description: String { "\(seconds).\(fraction)" }
}

private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// RFC 4330 §4 packet.
public struct SNTPPacket: Sendable, Hashable {
    public enum Mode: UInt8, Sendable {
        case reserved = 0, symmetricActive, symmetricPassive, client, server, broadcast, control, privateUse
    }

    public static let size = 48

    /// 0 no warning, 1 last minute 61 s, 2 last minute 59 s, 3 alarm (not synchronised).
    public var leapIndicator: UInt8
    public var version: UInt8
    public var mode: Mode
    /// 0 = kiss-o'-death (or unspecified), 1 = primary, 2–15 = secondary, 16+ reserved.
    public var stratum: UInt8
    /// Log2 seconds.
    public var poll: Int8
    /// Log2 seconds.
    public var precision: Int8
    /// Signed 16.16 seconds.
    public var rootDelay: Int32
    /// Unsigned 16.16 seconds.
    public var rootDispersion: UInt32
    /// Four bytes: an ASCII code at stratum 0/1, an IPv4 address (or hash) above.
    public var referenceID: [UInt8]
    public var referenceTimestamp: NTPTimestamp
    public var originateTimestamp: NTPTimestamp
    public var receiveTimestamp: NTPTimestamp
    public var transmitTimestamp: NTPTimestamp

    public init(leapIndicator: UInt8 = 0, version: UInt8 = 4, mode: Mode, stratum: UInt8 = 0, poll: Int8 = 0,
                precision: Int8 = 0, rootDelay: Int32 = 0, rootDispersion: UInt32 = 0,
                referenceID: [UInt8] = [0, 0, 0, 0], referenceTimestamp: NTPTimestamp = .zero,
                originateTimestamp: NTPTimestamp = .zero, receiveTimestamp: NTPTimestamp = .zero,
                transmitTimestamp: NTPTimestamp = .zero) {
        self.leapIndicator = leapIndicator
        self.version = version
        self.mode = mode
        self.stratum = stratum
        self.poll = poll
        self.precision = precision
        self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion
        self.referenceID = referenceID.count == 4 ? referenceID : Array((referenceID + [0, 0, 0, 0]).prefix(4))
        self.referenceTimestamp = referenceTimestamp
        self.originateTimestamp = originateTimestamp
        self.receiveTimestamp = receiveTimestamp
        self.transmitTimestamp = transmitTimestamp
    }

    /// A client request (RFC 4330 §5): everything zero but LI/VN/mode and the transmit
    /// timestamp, which the server echoes as the originate timestamp.
    public static func request(transmit: NTPTimestamp, version: UInt8 = 4) -> SNTPPacket {
        SNTPPacket(version: version, mode: .client, transmitTimestamp: transmit)
    }

    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.size)
        out.append((leapIndicator & 3) << 6 | (version & 7) << 3 | mode.rawValue)
        out.append(stratum)
        out.append(UInt8(bitPattern: poll))
        out.append(UInt8(bitPattern: precision))
        func u32(_ v: UInt32) { out += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        u32(UInt32(bitPattern: rootDelay))
        u32(rootDispersion)
        out += referenceID
        for t in [referenceTimestamp, originateTimestamp, receiveTimestamp, transmitTimestamp] {
            u32(t.seconds)
            u32(t.fraction)
        }
        return out
    }

    /// Decodes the 48-byte header; anything after it (extension fields, key id, digest) is
    /// ignored, as an SNTP client does without authentication.
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws(SNTPPacketError) {
        guard bytes.count >= Self.size else { throw .tooShort(bytes.count) }
        let b = Array(bytes.prefix(Self.size))
        func u32(_ i: Int) -> UInt32 { UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]) }
        func ts(_ i: Int) -> NTPTimestamp { NTPTimestamp(seconds: u32(i), fraction: u32(i + 4)) }
        self.init(leapIndicator: b[0] >> 6, version: b[0] >> 3 & 7, mode: Mode(rawValue: b[0] & 7)!,
                  stratum: b[1], poll: Int8(bitPattern: b[2]), precision: Int8(bitPattern: b[3]),
                  rootDelay: Int32(bitPattern: u32(4)), rootDispersion: u32(8), referenceID: Array(b[12..<16]),
                  referenceTimestamp: ts(16), originateTimestamp: ts(24), receiveTimestamp: ts(32),
                  transmitTimestamp: ts(40))
    }

    /// The kiss code (`RATE`, `DENY`, `RSTR` …) of a stratum-0 packet (RFC 4330 §8).
    public var kissCode: String? {
        guard stratum == 0 else { return nil }
        return String(decoding: referenceID.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
    }

    /// The reference identifier as the `show` commands print it: ASCII at stratum 0–1, a
    /// dotted quad above.
    public var referenceIDText: String {
        stratum <= 1 ? (kissCode ?? String(decoding: referenceID.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self))
            : referenceID.map { String($0) }.joined(separator: ".")
    }
}

public enum SNTPPacketError: Error, Sendable, Equatable {
    case tooShort(Int)
}

/// Why a reply failed RFC 4330 §5's checks.
public enum SNTPRejection: Error, Sendable, Hashable, CustomStringConvertible {
    case undecodable
    case wrongVersion(UInt8)
    case wrongMode(SNTPPacket.Mode)
    /// Originate timestamp ≠ the transmit timestamp of our request (a stale, duplicate or
    /// forged reply).
    case originateMismatch
    case zeroTransmitTimestamp
    /// Stratum 0: the server refuses or asks us to slow down.
    case kissOfDeath(String)
    case stratumOutOfRange(UInt8)
    /// Leap indicator 3: the server's clock is not synchronised.
    case unsynchronised

    public var description: String {
        switch self {
        case .undecodable: return "undecodable"
        case .wrongVersion(let v): return "version \(v)"
        case .wrongMode(let m): return "mode \(m.rawValue)"
        case .originateMismatch: return "originate timestamp mismatch"
        case .zeroTransmitTimestamp: return "zero transmit timestamp"
        case .kissOfDeath(let code): return "kiss-o'-death \(code)"
        case .stratumOutOfRange(let s): return "stratum \(s)"
        case .unsynchronised: return "server unsynchronised (LI 3)"
        }
    }
}

extension SNTPPacket {
    /// What a reply is checked against.
    public enum Expectation: Sendable, Hashable {
        /// A unicast/anycast server reply (mode 4) to our request with this transmit timestamp.
        case reply(to: NTPTimestamp)
        /// An unsolicited broadcast/multicast packet (mode 5).
        case broadcast
    }

    /// RFC 4330 §5's sanity checks. The originate check comes before the kiss-o'-death check so
    /// that a forged kiss cannot make us drop a server.
    public func check(_ expectation: Expectation) -> SNTPRejection? {
        guard version == 3 || version == 4 else { return .wrongVersion(version) }
        switch expectation {
        case .reply(let transmitted):
            guard mode == .server else { return .wrongMode(mode) }
            guard originateTimestamp == transmitted else { return .originateMismatch }
        case .broadcast:
            guard mode == .broadcast else { return .wrongMode(mode) }
        }
        if stratum == 0 { return .kissOfDeath(kissCode ?? "") }
        guard transmitTimestamp != .zero else { return .zeroTransmitTimestamp }
        guard stratum <= 15 else { return .stratumOutOfRange(stratum) }
        guard leapIndicator != 3 else { return .unsynchronised }
        return nil
    }
}

/// One good measurement: RFC 4330 §5's offset and round-trip delay.
public struct SNTPMeasurement: Sendable, Hashable {
    /// Local clock's error: add it to the local clock to get the server's time.
    public var offsetNanoseconds: Int64
    public var delayNanoseconds: Int64

    /// T1 originate (our send), T2 server receive, T3 server transmit, T4 our receive:
    /// offset = ((T2 − T1) + (T3 − T4)) / 2, delay = (T4 − T1) − (T3 − T2).
    public init(t1: NTPTimestamp, t2: NTPTimestamp, t3: NTPTimestamp, t4: NTPTimestamp) {
        let a = t2.nanoseconds(since: t1), b = t3.nanoseconds(since: t4)
        offsetNanoseconds = a / 2 + b / 2 + (a % 2 + b % 2) / 2
        delayNanoseconds = t4.nanoseconds(since: t1) - t3.nanoseconds(since: t2)
    }

    /// A broadcast sample: no round trip, so offset = T3 − T4 and the delay is unknown (0).
    public init(broadcastTransmit t3: NTPTimestamp, received t4: NTPTimestamp) {
        offsetNanoseconds = t3.nanoseconds(since: t4)
        delayNanoseconds = 0
    }
}
