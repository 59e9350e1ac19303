// The dial-plan matcher (GUIDE.md §5.2–§5.4): after every digit keyed off hook, what the phone
// does next and what it would dial. Pure: no timers, no tones, no I/O; the call layer acts on
// the decision.
//
// Where the guide is silent, contradicts itself or [sipcc] does something odd, we chose:
// * `.` matches any character except the dial-now `#`. §5.2 lists the keypad characters
//   (digit, `*`, `+`), but §5.3's example matches `1.2.3.…` against letters (`1a2b…`). The
//   keypad never sends letters, so both examples hold.
// * A group (§5.3) is a maximal run of `.` however many characters it matched; past five, the
//   fifth group's length grows by every later group's characters while it keeps its start,
//   which gives the guide's `%5` = `e6f`. `.` in a rewrite walks the groups as so stored.
// * `*` is greedy up to the next literal after it, commas skipped; before `.`, `*` or the end
//   of the pattern it takes the rest of the input. A `*` meeting the dial-now `#` matches
//   nothing, so the rule is incomplete there ([sipcc] lets it take the `#`).
// * The match type is the last wildcard kind the walk used, as [sipcc] assigns it.
// * `%1`…`%5` beyond the pattern's groups give nothing (the guide's table; [sipcc] copies the
//   digit); `%6`…`%9` are "any other character" and give the digit. `%s` is the whole dialled
//   string as the table shows, so the [sipcc] example `31.` / `11111111%s` dials 310 as
//   `11111111310`, not the `111111110` the guide prints.
// * Dial-now `#`: when the best rule stopped at it, the phone dials at once unless some rule
//   used up the input with pattern left (§5.2 "a longer rule still partially matches");
//   [sipcc] holds back whenever any partial match exists, which counts the `#`-stopped rule
//   itself, so its `#` would never dial at once. The `#` is the Dial key, not part of the
//   number: a rule's dialled string (`%s`, groups, no `Rewrite`) ends before it, and so do the
//   digits as keyed when a `#` dials them (while collecting they are returned as keyed).
// * A non-empty plan in which nothing can match gives `.noMatch` (the phone plays reorder);
//   [sipcc] keeps collecting and dials the digits as keyed when the timer fires.
// * No plan, an empty plan, and a plan with no rule for this line (`Line=`) all act as no plan.
// * When the timer fires, the complete match with the most literals is dialled even if a longer
//   partial match outranked it while digits were coming (§5.4 `9011*` / `9.11`: `9011` waits
//   for more digits, and dials by `9.11` when none come); with none, `.noMatch`.

/// What the phone does after a digit (GUIDE.md §5.4 "Result"), and what it would dial.
public struct DialPlanDecision: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Keep collecting; dial when `timeout` seconds pass with no digit (nil: no timer of the
        /// plan's, wait for Dial or `#`).
        case collect(timeout: Int?)
        /// Play this secondary dial tone (a §5.5 name) and keep collecting, as for `collect`.
        case secondaryTone(name: String, timeout: Int?)
        /// Dial now.
        case dial
        /// Nothing can match: the phone plays reorder.
        case noMatch
    }

    public var action: Action
    /// What to dial: the chosen rule's `Rewrite=` applied, or the digits as keyed when no rule
    /// matches completely (without the `#` when that `#` dials them). `User=` is not appended
    /// (the call layer adds `;user=…`).
    public var number: String
    /// `User=` of the chosen rule; `.unspecified` without one.
    public var user: DialRule.User
    /// `Route=` of the chosen rule; `.default` without one.
    public var route: DialRule.Route

    public init(action: Action, number: String, user: DialRule.User = .unspecified, route: DialRule.Route = .default) {
        self.action = action
        self.number = number
        self.user = user
        self.route = route
    }
}

/// Matches the digits keyed so far against the dial plan of one line.
///
/// ```swift
/// let matcher = DialPlanMatcher(template: boot.dialTemplate, line: 1)
/// let decision = matcher.decide("911")          // after every digit
/// let onTimer = matcher.timedOut("95551234")    // when the collect timeout expires
/// ```
public struct DialPlanMatcher: Sendable {
    private let rules: [DialRule]
    private let patterns: [[Character]]
    private let poundDialsNow: Bool

    /// The tone for a comma without a `Tone` of its own (§5.1, §5.5).
    public static let defaultTone = "Bellcore-Outside"

    /// - Parameters:
    ///   - template: the parsed plan; nil when there is none.
    ///   - line: the line dialling; rules with another `Line=` are left out.
    ///   - poundDialsNow: `#` means "dial now" ([sipcc] `poundDialingEnabled`: true for a phone
    ///     not controlled by a call manager, as here); false makes `#` an ordinary character.
    public init(template: DialTemplate?, line: Int, poundDialsNow: Bool = true) {
        rules = (template?.rules ?? []).filter { $0.line == nil || $0.line == line }
        patterns = rules.map { Array($0.match) }
        self.poundDialsNow = poundDialsNow
    }

    /// The decision after a digit; `digits` is everything keyed so far.
    ///
    /// With no plan: `.dial` the digits before it once a dial-now `#` is keyed, otherwise
    /// `.collect(timeout: nil)` (the call layer applies the phone's own inter-digit time-out).
    /// With a plan: a complete match `.dial`s at once when its `Timeout` is 0, else `.collect`s
    /// with its `Timeout`; a partial match `.collect`s with the default 10 s; a comma reached
    /// gives `.secondaryTone` (with the timeout it would collect with); a dial-now `#` `.dial`s
    /// unless a longer rule still partially matches; `.noMatch` when nothing can match.
    public func decide(_ digits: String) -> DialPlanDecision {
        let input = Array(digits)
        guard !rules.isEmpty else {
            let dialNow = poundDialsNow && input.contains("#")
            return dialNow ? DialPlanDecision(action: .dial, number: keyed(input))
                : DialPlanDecision(action: .collect(timeout: nil), number: digits)
        }
        return decision(select(input), input)
    }

    /// The decision when the inter-digit timer fires: `.dial` the best complete match, else
    /// `.noMatch`; with no plan, `.dial` the digits as keyed. `.noMatch` when nothing was keyed.
    public func timedOut(_ digits: String) -> DialPlanDecision {
        let input = Array(digits)
        guard !input.isEmpty else { return DialPlanDecision(action: .noMatch, number: "") }
        guard !rules.isEmpty else { return DialPlanDecision(action: .dial, number: keyed(input)) }
        let selection = select(input)
        let now = decision(selection, input)
        if now.action == .dial { return now }
        guard let complete = selection.bestComplete else {
            return DialPlanDecision(action: .noMatch, number: digits)
        }
        return dialling(complete, .dial)
    }

    // MARK: - §5.4 "Result"

    private func decision(_ s: DialRuleSelection, _ input: [Character]) -> DialPlanDecision {
        var chosen: DialRuleSelection.Candidate?
        var action: DialPlanDecision.Action
        var toneDue = s.toneDue
        switch s.result {
        case .fullMatch, .fullPattern, .wildPattern:
            chosen = s.best
            let timeout = s.best?.rule.timeout ?? DialRule.defaultTimeout
            action = timeout == 0 ? .dial : .collect(timeout: timeout)
            // A complete literal or `.` match gives no tone; a `*` match may.
            if s.result != .wildPattern { toneDue = false }
        case .noMatch, .giveTone:
            if s.partialMatch {
                action = .collect(timeout: DialRule.defaultTimeout)
            } else if poundDialsNow, input.last == "#" {
                action = .dial
            } else {
                action = .noMatch
            }
        }
        if s.bestDialNow, !s.incompleteMatch {
            action = .dial
        }
        if toneDue {
            let tones = s.best?.rule.tones ?? []
            let named = s.bestCommas < tones.count ? tones[s.bestCommas] : ""
            let tone = named.isEmpty ? Self.defaultTone : named
            let timeout: Int?
            switch action {
            case .collect(let t), .secondaryTone(_, let t): timeout = t
            case .dial: timeout = 0
            case .noMatch: timeout = DialRule.defaultTimeout
            }
            action = .secondaryTone(name: tone, timeout: timeout)
        }
        guard let chosen else {
            return DialPlanDecision(action: action, number: action == .dial ? keyed(input) : String(input))
        }
        return dialling(chosen, action)
    }

    private func select(_ input: [Character]) -> DialRuleSelection {
        DialRuleSelection(rules: rules, patterns: patterns, input: input, poundDialsNow: poundDialsNow)
    }

    private func dialling(_ c: DialRuleSelection.Candidate, _ action: DialPlanDecision.Action) -> DialPlanDecision {
        let number = DialRewrite.apply(c.rule.rewrite, dialled: c.walk.dialled, groups: c.walk.groups)
        return DialPlanDecision(action: action, number: number, user: c.rule.user, route: c.rule.route)
    }

    /// The digits as keyed, up to the dial-now `#` that dials them.
    private func keyed(_ input: [Character]) -> String {
        guard poundDialsNow, let pound = input.firstIndex(of: "#") else { return String(input) }
        return String(input[..<pound])
    }
}
