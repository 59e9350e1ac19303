// Trimming, the one text utility every parser here needs (issue 17: one module instead of a
// near-copy in each). Generic over any bidirectional collection of characters or bytes, and
// inlinable so that hot parsers (SIP, SDP) get it specialised, not as a generic call.

extension BidirectionalCollection {
    /// The collection without its leading and trailing elements that `strip` matches.
    @inlinable
    public func trimming(while strip: (Element) throws -> Bool) rethrows -> SubSequence {
        guard let first = try firstIndex(where: { try !strip($0) }) else { return self[endIndex...] }
        // A non-stripped element exists, so lastIndex finds one at or after `first`.
        let last = try lastIndex(where: { try !strip($0) }) ?? first
        return self[first...last]
    }

    /// The collection without its trailing elements that `strip` matches.
    @inlinable
    public func trimmingSuffix(while strip: (Element) throws -> Bool) rethrows -> SubSequence {
        guard let last = try lastIndex(where: { try !strip($0) }) else { return self[startIndex..<startIndex] }
        return self[...last]
    }
}

extension Character {
    /// SP or HTAB: RFC 5234's WSP, the blank of SIP, SDP and the .cnf files.
    @inlinable public var isWSP: Bool { self == " " || self == "\t" }
    /// SP, HTAB, CR or LF (CR LF is one Character in Swift).
    @inlinable public var isASCIIBlank: Bool { self == " " || self == "\t" || self == "\r" || self == "\n" || self == "\r\n" }
}

extension UInt8 {
    /// SP or HTAB (RFC 5234 WSP).
    @inlinable public var isWSP: Bool { self == 0x20 || self == 0x09 }
}

extension BidirectionalCollection where Element == Character {
    /// Without leading and trailing SP and HTAB.
    @inlinable public func trimmingWSP() -> SubSequence { trimming(while: \.isWSP) }
    /// Without leading and trailing SP, HTAB, CR and LF.
    @inlinable public func trimmingASCIIBlanks() -> SubSequence { trimming(while: \.isASCIIBlank) }
    /// Without leading and trailing Unicode white space (Character.isWhitespace).
    @inlinable public func trimmingWhitespace() -> SubSequence { trimming(while: \.isWhitespace) }
}

extension BidirectionalCollection where Element == UInt8 {
    /// Without leading and trailing SP and HTAB.
    @inlinable public func trimmingWSP() -> SubSequence { trimming(while: \.isWSP) }
}
