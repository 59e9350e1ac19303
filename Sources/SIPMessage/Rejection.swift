// Answering what cannot be parsed (RFC 3261 §8.2, RFC 4475 §3.1.2): a request whose start
// line or headers are broken is still answered 400 (or the status `rejectionStatus` names)
// when the headers a response needs can be found by a lenient line scan.
import TextUtilities


extension SIPMessage {
    /// Via, From, To, Call-ID and CSeq lines (full or compact names, folded lines joined), in
    /// order, scanned without the parser's rules. Nil when the bytes look like a response or
    /// when one of the five is missing: such a message cannot be answered and is dropped.
    public static func salvageResponseHeaders(_ bytes: some Collection<UInt8>) -> [(name: String, value: String)]? {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        for b in bytes.prefix(Limits.default.maxMessageSize) {
            if b == Ch.lf {
                if current.last == Ch.cr { current.removeLast() }
                if current.isEmpty { break }   // the empty line: the body follows
                if let first = current.first, isWSP(first), !lines.isEmpty {
                    lines[lines.count - 1] += [Ch.sp] + current.drop(while: isWSP)
                } else {
                    lines.append(current)
                }
                current = []
            } else {
                current.append(b)
            }
        }
        if !current.isEmpty { lines.append(current) }
        guard let start = lines.first, !start.starts(with: "SIP/".utf8) else { return nil }
        var out: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: Ch.colon) else { continue }
            let name = String(decoding: line[..<colon].trimmingWSP(), as: UTF8.self).lowercased()
            let canonical: String
            switch name {
            case "via", "v": canonical = "Via"
            case "from", "f": canonical = "From"
            case "to", "t": canonical = "To"
            case "call-id", "i": canonical = "Call-ID"
            case "cseq": canonical = "CSeq"
            default: continue
            }
            let value = line[(colon + 1)...]
            // A value with control bytes would make the answer malformed too.
            guard !value.contains(where: { $0 < 0x20 && $0 != Ch.ht || $0 == 0x7F }) else { continue }
            out.append((canonical, String(decoding: value.trimmingWSP(), as: UTF8.self)))
        }
        for required in ["Via", "From", "To", "Call-ID", "CSeq"] where !out.contains(where: { $0.name == required }) {
            return nil
        }
        return out
    }
}

extension SIPMessageBuilder {
    /// The answer to `bytes`, which failed with `error`: the status `rejectionStatus` gives,
    /// the salvaged Via/From/To/Call-ID/CSeq (To gets `toTag` when it has none) and a
    /// `Warning: 399` carrying the reason (RFC 3261 §20.43). Nil when nothing may or can be sent.
    public static func rejection(of bytes: some Collection<UInt8>, error: SIPParseError, toTag: String,
                                 agent: String = "deskphone") -> SIPMessageBuilder? {
        let status = rejectionStatus(error)
        guard status != 0, let headers = SIPMessage.salvageResponseHeaders(bytes) else { return nil }
        var b = response(code: status)
        for (name, value) in headers {
            if name == "To", !value.lowercased().contains(";tag=") {
                b.add(name, value + ";tag=" + toTag)
            } else {
                b.add(name, value)
            }
        }
        let text = error.description.map { $0 == "\"" || $0 == "\\" || !$0.isASCII || $0.asciiValue.map { $0 < 0x20 } == true ? "'" : $0 }
        b.add("Warning", "399 \(agent) \"\(String(text))\"")
        return b
    }
}
