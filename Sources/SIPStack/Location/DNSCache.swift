/// The resolver's answers by name and type, each kept until its TTL runs out (RFC 1035 §3.2.1,
/// RFC 2181 §5.2), and NXDOMAIN / NODATA kept for the negative TTL (RFC 2308 §5). Sans-I/O:
/// time is passed in. What is cached is the raw answer, parsed again on each use (a few
/// hundred bytes; the parse is cheaper than a second copy of each record type's structures).
struct DNSCache: Sendable {
    struct Key: Hashable, Sendable {
        let name: String
        let type: Int32

        /// Names compare case-insensitively and with or without the root's dot (RFC 4343).
        init(name: String, type: Int32) {
            var n = name.lowercased()
            if n.hasSuffix(".") { n.removeLast() }
            self.name = n
            self.type = type
        }
    }

    struct Entry: Sendable {
        let result: Result<[UInt8], DNSResolver.Failure>
        let expires: Duration
    }

    /// Our choice, RFC 2308 leaves it to the resolver: a negative answer without an SOA in
    /// its authority section (dnsmasq's `--local` answers have none) is kept this long.
    static let negativeDefault: Duration = .seconds(30)
    /// Our choice: a negative TTL is capped at this (RFC 2308 §5 suggests one to three hours
    /// at most; a phone whose administrator has just added the record should not wait that
    /// long to register).
    static let negativeCap: Duration = .seconds(300)
    /// Our choice: a positive TTL is capped at one day (RFC 8767 §4 suggests 7 days as a
    /// sensible cap; a phone that is never rebooted should still notice a moved proxy).
    static let positiveCap: Duration = .seconds(86_400)

    private var entries: [Key: Entry] = [:]

    /// The cached result for `key` if it has not expired at `now`.
    func lookup(_ key: Key, at now: Duration) -> Result<[UInt8], DNSResolver.Failure>? {
        entry(key, at: now)?.result
    }

    func entry(_ key: Key, at now: Duration) -> Entry? {
        guard let e = entries[key], now < e.expires else { return nil }
        return e
    }

    /// Keeps `result` (with `answer`, the raw message it came from, for its TTLs). Only
    /// answers are kept: a time-out or a server failure is not cached (RFC 2308 §7 allows
    /// it for five minutes; a phone failing over to its backup proxy should ask again).
    /// Returns how long it is kept (nil: not kept).
    @discardableResult
    mutating func store(_ result: Result<[UInt8], DNSResolver.Failure>, answer: [UInt8], for key: Key, at now: Duration) -> Duration? {
        entries = entries.filter { now < $0.value.expires }
        let ttl: Duration
        switch result {
        case .success(let message):
            // A message whose answer section cannot be read (nor its TTL) is not kept.
            guard let seconds = DNSAnswerTTL.answer(message) else { return nil }
            ttl = min(.seconds(seconds), Self.positiveCap)
        case .failure(.noRecords):
            ttl = DNSAnswerTTL.negative(answer).map { min(.seconds($0), Self.negativeCap) } ?? Self.negativeDefault
        case .failure:
            return nil
        }
        guard ttl > .zero else { return nil }   // TTL 0: use once, never cache (RFC 1035 §3.2.1)
        entries[key] = Entry(result: result, expires: now + ttl)
        return ttl
    }

    mutating func removeAll() { entries.removeAll() }

    func live(at now: Duration) -> Int { entries.values.filter { now < $0.expires }.count }
}

/// TTLs read from a raw DNS message (RFC 1035 §4.1).
///
/// Why our own small walk over the message: Debian 12's c-ares 1.18 reports TTLs for A and
/// AAAA only (`ares_addrttl`); `ares_parse_srv_reply` and `ares_parse_naptr_reply` drop them
/// (the `ares_dns_record` API with TTLs for every type came in 1.22), and no version reports
/// the SOA of a negative answer. The resolver already gets the raw answer from `ares_query`,
/// so one reader of the header, the question and the resource records serves every type.
enum DNSAnswerTTL {
    /// The smallest TTL of the answer section, in seconds: every record of an RRset has one
    /// TTL (RFC 2181 §5.2) and a CNAME chain lives as long as its shortest link. Nil for a
    /// message that does not parse or has no answer records.
    static func answer(_ message: [UInt8]) -> Int64? {
        guard let records = resourceRecords(message), !records.answers.isEmpty else { return nil }
        return records.answers.map(\.ttl).min()
    }

    /// RFC 2308 §5: the negative TTL is the smaller of the SOA record's own TTL and its
    /// MINIMUM field, from the authority section. Nil without an SOA.
    static func negative(_ message: [UInt8]) -> Int64? {
        guard let records = resourceRecords(message),
              let soa = records.authority.first(where: { $0.type == 6 }), soa.rdata.count >= 20 else { return nil }
        let minimum = ttlValue(message, at: soa.rdata.upperBound - 4) ?? 0
        return min(soa.ttl, minimum)
    }

    struct Record {
        let type: Int
        let ttl: Int64
        let rdata: Range<Int>
    }

    /// The answer and authority records, or nil when the message is cut short or malformed.
    static func resourceRecords(_ m: [UInt8]) -> (answers: [Record], authority: [Record])? {
        guard m.count >= 12 else { return nil }
        func u16(_ i: Int) -> Int? { i + 2 <= m.count ? Int(m[i]) << 8 | Int(m[i + 1]) : nil }
        guard let qd = u16(4), let an = u16(6), let ns = u16(8) else { return nil }
        var i = 12
        for _ in 0..<qd {
            guard let end = skipName(m, from: i), end + 4 <= m.count else { return nil }
            i = end + 4
        }
        func records(_ n: Int) -> [Record]? {
            var out: [Record] = []
            for _ in 0..<n {
                guard let end = skipName(m, from: i), let type = u16(end), let ttl = ttlValue(m, at: end + 4),
                      let length = u16(end + 8), end + 10 + length <= m.count else { return nil }
                out.append(Record(type: type, ttl: ttl, rdata: (end + 10)..<(end + 10 + length)))
                i = end + 10 + length
            }
            return out
        }
        guard let answers = records(an), let authority = records(ns) else { return nil }
        return (answers, authority)
    }

    /// A 32-bit TTL at `i`; RFC 2181 §8: a value with the top bit set counts as zero.
    static func ttlValue(_ m: [UInt8], at i: Int) -> Int64? {
        guard i >= 0, i + 4 <= m.count else { return nil }
        let v = UInt32(m[i]) << 24 | UInt32(m[i + 1]) << 16 | UInt32(m[i + 2]) << 8 | UInt32(m[i + 3])
        return v & 0x8000_0000 != 0 ? 0 : Int64(v)
    }

    /// The index after a (possibly compressed) domain name starting at `i` (RFC 1035 §4.1.4).
    static func skipName(_ m: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < m.count {
            let length = Int(m[i])
            switch length & 0xC0 {
            case 0:
                if length == 0 { return i + 1 }
                i += 1 + length
            case 0xC0:
                return i + 2 <= m.count ? i + 2 : nil   // a pointer ends the name in place
            default:
                return nil   // the 0x40 / 0x80 label types are obsolete (RFC 6891 §5)
            }
        }
        return nil
    }
}
