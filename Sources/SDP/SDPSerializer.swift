// Session descriptions to text, CRLF line ends, in the order RFC 4566 §5 requires
// (v o s c t a*, then per media m c b a*).

extension SDPSession {
    public var text: String {
        var out = "v=0\r\n"
        out += "o=\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) \(origin.addressType) \(origin.address)\r\n"
        out += "s=\(name.isEmpty ? " " : name)\r\n"
        if let connection { out += connection.line }
        for b in bandwidths { out += "b=\(b)\r\n" }
        for t in times { out += "t=\(t.start) \(t.stop)\r\n" }
        for a in attributes { out += a.line }
        if let direction { out += "a=\(direction.rawValue)\r\n" }
        for m in media { out += m.text }
        return out
    }

    /// The body to put in a SIP message.
    public var bytes: [UInt8] { Array(text.utf8) }
}

extension SDPConnection {
    var line: String { "c=\(networkType) \(addressType) \(address)\r\n" }
}

extension SDPAttribute {
    var line: String { value.map { "a=\(name):\($0)\r\n" } ?? "a=\(name)\r\n" }
}

extension MediaDescription {
    public var text: String {
        let port = portCount.map { "\(self.port)/\($0)" } ?? "\(self.port)"
        var out = "m=\(media) \(port) \(proto)" + formats.map { " " + $0 }.joined() + "\r\n"
        if let connection { out += connection.line }
        for b in bandwidths { out += "b=\(b)\r\n" }
        for map in rtpmaps {
            out += "a=rtpmap:\(map.payloadType) \(map.encoding)/\(map.clockRate)" + (map.channels.map { "/\($0)" } ?? "") + "\r\n"
        }
        // fmtp lines in the order of the formats, so the text is stable.
        for f in formats { if let p = fmtps[f] { out += "a=fmtp:\(f) \(p)\r\n" } }
        if let ptime { out += "a=ptime:\(ptime)\r\n" }
        if let maxptime { out += "a=maxptime:\(maxptime)\r\n" }
        for a in attributes { out += a.line }
        if let direction { out += "a=\(direction.rawValue)\r\n" }
        return out
    }
}
