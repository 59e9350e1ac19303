// The `Rewrite=` language (GUIDE.md §5.3): the string dialled instead of the user's input,
// built from the dialled string and the wildcard groups the rule's pattern captured.

enum DialRewrite {
    /// Applies `rewrite` to a matched rule. nil or empty: the dialled string unchanged (§5.1).
    ///
    /// * `%s`, `%0`: the whole dialled string.
    /// * `%1` … `%5`: the characters of that wildcard group; nothing if the pattern has fewer.
    /// * `.`: the next wildcard-matched character, walking through the groups in order (its own
    ///   cursor, untouched by `%n`); nothing once they are used up.
    /// * `%` and any other character: that character (`%%` → `%`); a `%` at the end: nothing.
    /// * anything else: itself.
    static func apply(_ rewrite: String?, dialled: [Character], groups: [Range<Int>]) -> String {
        guard let rewrite, !rewrite.isEmpty else { return String(dialled) }
        let wildcardCharacters = groups.flatMap { dialled[$0] }
        var nextWildcard = 0
        var out = ""
        var escaped = false
        for c in rewrite {
            if escaped {
                escaped = false
                if c == "s" || c == "0" {
                    out.append(contentsOf: dialled)
                } else if c.isASCII, let n = c.wholeNumberValue, (1...DialPatternWalk.maximumGroups).contains(n) {
                    if n <= groups.count { out.append(contentsOf: dialled[groups[n - 1]]) }
                } else {
                    out.append(c)
                }
            } else if c == "%" {
                escaped = true
            } else if c == "." {
                if nextWildcard < wildcardCharacters.count {
                    out.append(wildcardCharacters[nextWildcard])
                    nextWildcard += 1
                }
            } else {
                out.append(c)
            }
        }
        return out
    }
}
