import SIPMessage

/// The addresses a dialog keeps as text: From/To without their tag, Contact URIs as remote
/// targets, Record-Route URIs as the route set; and the forms they take in a request.
enum DialogAddresses {
    /// The name-addr of a From or To as the dialog's local or remote URI: display name, URI in
    /// angle brackets, header parameters except the tag (the dialog adds its own tags).
    static func withoutTag(_ a: SIPNameAddr) -> String {
        var s = ""
        if let name = a.displayName, !name.isEmpty { s += quoted(name) + " " }
        s += "<" + a.uri.text + ">"
        for (name, value) in a.parameters.all where name.lowercased() != "tag" {
            s += ";" + name
            if let value { s += "=" + (value.utf8.allSatisfy(isBareValueByte) && !value.isEmpty ? value : quoted(value)) }
        }
        return s
    }

    /// `uri` as a Request-URI: the method parameter and the headers are not allowed there
    /// (RFC 3261 §19.1.1 table; §12.2.1.1 strips them from a strict router's URI).
    static func requestURI(_ uri: String) -> String {
        // '@' appears once at most (it ends the userinfo, which may hold ';' and '?'); the host
        // part holds neither, so ';' and '?' after it separate parameters and headers.
        let u = Array(uri.utf8)
        let hostStart = (u.lastIndex(of: UInt8(ascii: "@")) ?? u.firstIndex(of: UInt8(ascii: ":")) ?? -1) + 1
        var rest = Array(u[hostStart...])
        if let q = rest.firstIndex(of: UInt8(ascii: "?")) { rest = Array(rest[..<q]) }
        let pieces = rest.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        let kept = pieces.enumerated().filter { i, p in
            i == 0 || String(decoding: p.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self).lowercased() != "method"
        }.map { String(decoding: $0.element, as: UTF8.self) }
        return String(decoding: u[..<hostStart], as: UTF8.self) + kept.joined(separator: ";")
    }

    /// A URI the dialog sends to: SIP or SIPS, parsed.
    static func sipURI(_ text: String, header: String) throws(DialogError) -> SIPURI {
        let uri: SIPURI
        do throws(SIPParseError) { uri = try SIPURI(parsing: text) } catch {
            throw DialogError(.malformed, header: header, reason: error.reason)
        }
        guard uri.isSIP else { throw DialogError(.malformed, header: header, reason: "\(text) is not a SIP or SIPS URI") }
        return uri
    }

    /// The URI of the message's Contact (the remote target), nil when there is none.
    static func contactTarget(_ m: SIPMessage) throws(DialogError) -> String? {
        let contacts: [SIPNameAddr]
        do throws(SIPParseError) { contacts = try m.contacts() } catch { throw DialogError(error) }
        if m.isWildcardContact { throw DialogError(.malformed, header: "Contact", reason: "'*' is no remote target") }
        guard let first = contacts.first else { return nil }
        let text = first.uri.text
        _ = try sipURI(text, header: "Contact")
        return text
    }

    /// The Record-Route URIs in message order, across every header line and comma list,
    /// URI parameters preserved (§12.1.1, §12.1.2).
    static func recordRoute(_ m: SIPMessage) throws(DialogError) -> [String] {
        let entries: [SIPNameAddr]
        do throws(SIPParseError) { entries = try m.recordRoutes() } catch { throw DialogError(error) }
        var out: [String] = []
        for e in entries {
            let text = e.uri.text
            _ = try sipURI(text, header: "Record-Route")
            out.append(text)
        }
        return out
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }

    /// token and host characters (gen-value = token / host) need no quotes.
    static func isBareValueByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-.!%*_+`'~:[]".utf8.contains(b)
        }
    }
}
