/// A dotted-quad IPv4 address.
public enum IPv4 {
    /// The four octets of `a.b.c.d` (each 0–255, no leading `+`, at most three digits).
    public static func parse(_ s: some StringProtocol) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let v = Int(p), v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }
}

/// DNS host names (RFC 1123 §2.1 labels).
public enum HostName {
    public static func isValid(_ s: some StringProtocol) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        var name = Substring(s)
        if name.hasSuffix(".") { name = name.dropLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        // An all-numeric last label would be a malformed IPv4 address, not a name.
        if let last = labels.last, last.allSatisfy({ $0.isNumber }) { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
