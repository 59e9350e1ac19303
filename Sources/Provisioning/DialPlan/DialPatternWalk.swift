// One rule's `MATCH` pattern walked against the digits keyed so far (GUIDE.md §5.2, and step 1
// of the §5.4 algorithm). `DialPlanMatcher` compares the walks of all rules.

/// How a rule matched, in [sipcc] order (GUIDE.md §5.4): a higher type wins a tie in literal
/// match length.
enum DialMatchType: Int, Comparable, Sendable {
    case noMatch = 0, giveTone, wildPattern, fullPattern, fullMatch

    static func < (a: DialMatchType, b: DialMatchType) -> Bool { a.rawValue < b.rawValue }
}

struct DialPatternWalk: Sendable, Equatable {
    /// §5.4 step 1: `.fullMatch` while only literals matched; the last wildcard used sets
    /// `.fullPattern` (`.`) or `.wildPattern` (`*`); `.noMatch` when rejected.
    var type: DialMatchType = .fullMatch
    /// `thismatchlen`: literal pattern characters matched (wildcards do not count); -1 if rejected.
    var literals = 0
    /// The input was used up, or the walk stopped at the dial-now `#`: at least a partial match.
    var reachedEnd = false
    /// The walk stopped at a `#` that means "dial now" (§5.2).
    var dialNow = false
    /// Every pattern character was used: the rule matched completely.
    var patternExhausted = false
    /// The input ended just before a `,`: a secondary dial tone is due (§5.4 step 4).
    var atComma = false
    /// Commas passed while input remained (a run of commas counts once): the index of the
    /// `Tone` for the comma the walk stopped at.
    var commasPassed = 0
    /// The dialled string: the input up to the dial-now `#`, or all of it.
    var dialled: [Character] = []
    /// Up to five wildcard groups (§5.3), as index ranges of `dialled`.
    var groups: [Range<Int>] = []

    /// §5.3: a sixth or later group is counted into the fifth.
    static let maximumGroups = 5

    init(pattern: [Character], input: [Character], poundDialsNow: Bool) {
        var p = 0
        var i = 0
        var groupStarts: [Int] = []
        var groupLengths: [Int] = []
        var rejected = false
        func isDialNow(_ c: Character) -> Bool { poundDialsNow && c == "#" }
        func capture(from start: Int, count: Int) {
            if groupStarts.count < Self.maximumGroups {
                groupStarts.append(start)
                groupLengths.append(count)
            } else {
                groupLengths[groupLengths.count - 1] += count
            }
        }

        walk: while i < input.count {
            if p < pattern.count, pattern[p] == "," {
                commasPassed += 1
                while p < pattern.count, pattern[p] == "," { p += 1 }
            }
            let c = input[i]
            guard p < pattern.count else {
                // Input left over after the whole pattern: only the dial-now `#` may follow.
                if isDialNow(c) { dialNow = true } else { rejected = true }
                break walk
            }
            switch pattern[p] {
            case "." where !isDialNow(c):
                // A run of dots is one group (§5.3); it stops early at the end of the input or
                // at the dial-now `#`, which the next turn of the loop handles.
                type = .fullPattern
                let start = i
                while p < pattern.count, pattern[p] == ".", i < input.count, !isDialNow(input[i]) {
                    p += 1
                    i += 1
                }
                capture(from: start, count: i - start)
            case "*" where !isDialNow(c):
                // One or more characters, greedy up to the next literal of the pattern, never
                // over the dial-now `#` (§5.2).
                type = .wildPattern
                let stop = Self.literal(after: p + 1, in: pattern)
                let start = i
                i += 1
                while i < input.count, input[i] != stop, !isDialNow(input[i]) { i += 1 }
                p += 1
                capture(from: start, count: i - start)
            case ".", "*":
                // A wildcard meeting the dial-now `#`: it matches nothing here.
                dialNow = true
                break walk
            default:
                var literal = pattern[p]
                if literal == "\\", p + 1 < pattern.count {
                    p += 1
                    literal = pattern[p]
                }
                if literal == c {
                    literals += 1
                    p += 1
                    i += 1
                } else if isDialNow(c) {
                    dialNow = true
                    break walk
                } else {
                    rejected = true
                    break walk
                }
            }
        }

        guard !rejected else {
            type = .noMatch
            literals = -1
            dialNow = false
            return
        }
        reachedEnd = true
        patternExhausted = p == pattern.count
        atComma = !dialNow && p < pattern.count && pattern[p] == ","
        dialled = Array(input[..<i])
        groups = zip(groupStarts, groupLengths).map { start, length in
            // The fifth group is the run of `dialled` from its start as long as all the
            // wildcard characters it absorbed (§5.3 "e6f"); never past the end.
            start..<min(start + length, i)
        }
    }

    /// The literal the pattern requires next from `index` (commas skipped, `\` escape
    /// removed), or nil when a wildcard or the end comes first: what stops a `*`.
    private static func literal(after index: Int, in pattern: [Character]) -> Character? {
        var p = index
        while p < pattern.count, pattern[p] == "," { p += 1 }
        guard p < pattern.count else { return nil }
        switch pattern[p] {
        case ".", "*": return nil
        case "\\" where p + 1 < pattern.count: return pattern[p + 1]
        default: return pattern[p]
        }
    }
}
