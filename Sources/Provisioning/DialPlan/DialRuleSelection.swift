// Choosing the rule (GUIDE.md §5.4 steps 2–5): every rule of the line walked in file order,
// the best partial and the best full match kept as [sipcc] keeps them.

struct DialRuleSelection: Sendable {
    struct Candidate: Sendable {
        var rule: DialRule
        var walk: DialPatternWalk
    }

    /// [sipcc] `result`: the type of the adopted full match, or `.noMatch` when a partial match
    /// adopted after it (or nothing) is the best.
    private(set) var result: DialMatchType = .noMatch
    /// [sipcc] `pbestmatch`: the rule adopted last, as best partial or as best full match.
    private(set) var best: Candidate?
    /// The best rule stopped at the dial-now `#`.
    private(set) var bestDialNow = false
    /// Commas the best partial match passed: which of its `Tone`s is due.
    private(set) var bestCommas = 0
    /// Some rule was adopted as best partial match (§5.4 step 2).
    private(set) var partialMatch = false
    /// Some rule used up the input (or reached the dial-now `#`) with pattern left: "a longer
    /// rule still partially matches" (§5.2), which holds back the dial-now `#`.
    private(set) var incompleteMatch = false
    /// Some rule's walk stopped just before a `,` (§5.4 step 4).
    private(set) var toneDue = false
    /// The rule matching completely with the most literals (then the higher type; the first in
    /// file order on a tie), outranked by longer partial matches or not: what a time-out dials.
    private(set) var bestComplete: Candidate?

    init(rules: [DialRule], patterns: [[Character]], input: [Character], poundDialsNow: Bool) {
        var partialLength = 0
        var partialType = DialMatchType.noMatch
        var matchLength = 0
        for (rule, pattern) in zip(rules, patterns) {
            let walk = DialPatternWalk(pattern: pattern, input: input, poundDialsNow: poundDialsNow)
            let candidate = Candidate(rule: rule, walk: walk)
            // Step 2: the best partial match (every full match is one too).
            if walk.reachedEnd {
                if !walk.patternExhausted { incompleteMatch = true }
                if walk.literals > partialLength || (walk.literals == partialLength && walk.type > partialType) {
                    partialType = walk.type
                    partialLength = walk.literals
                    best = candidate
                    partialMatch = true
                    bestDialNow = walk.dialNow
                    bestCommas = walk.commasPassed
                    result = .noMatch
                }
            }
            if walk.patternExhausted {
                // Step 3: the best full match; a `*` rule only when nothing else matched at all.
                if walk.literals > matchLength || (walk.literals == matchLength && walk.type > result)
                    || (walk.type == .wildPattern && result == .noMatch && !partialMatch) {
                    best = candidate
                    bestDialNow = walk.dialNow
                    matchLength = walk.literals
                    result = walk.type
                }
                if let current = bestComplete?.walk, walk.literals < current.literals
                    || (walk.literals == current.literals && walk.type <= current.type) {
                    // keep the earlier, better or equal one
                } else {
                    bestComplete = candidate
                }
            } else if walk.atComma {
                // Step 4.
                toneDue = true
            }
            // Step 5: a rule not adopted still raises the bar.
            matchLength = max(matchLength, walk.literals)
        }
    }
}
