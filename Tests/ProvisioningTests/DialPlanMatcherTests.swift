import TestKit
import Testing
import Provisioning

// Choosing the rule after every digit, GUIDE.md §5.2 (pattern characters, `#`), §5.4 (precedence,
// its effect examples, result), §5.6 (the example plan, digit by digit).

/// GUIDE.md §5.6, verbatim.
private let guidePlan = GuideExamples.dialPlan

private func matcher(_ rules: [DialRule], line: Int = 1, poundDialsNow: Bool = true) -> DialPlanMatcher {
    DialPlanMatcher(template: DialTemplate(rules: rules), line: line, poundDialsNow: poundDialsNow)
}

private func guideMatcher() throws -> DialPlanMatcher {
    DialPlanMatcher(template: try DialTemplate.parse(Array(guidePlan.utf8)), line: 1)
}

/// Keeps collecting with the default 10 s, the digits as keyed (a partial match).
private func partial(_ digits: String) -> DialPlanDecision {
    DialPlanDecision(action: .collect(timeout: 10), number: digits)
}

private let outsideTone = DialPlanDecision.Action.secondaryTone(name: "Bellcore-Outside", timeout: 10)

@Suite struct DialPlanMatcherTests {
    // MARK: - §5.6 example plan, digit by digit

    @Test func emergencyDialsAtOnceByTheEmergencyRoute() throws {
        let m = try guideMatcher()
        #expect(m.decide("9") == DialPlanDecision(action: outsideTone, number: "9"))
        #expect(m.decide("91") == partial("91"))
        #expect(m.decide("911") == DialPlanDecision(action: .dial, number: "911", user: .phone, route: .emergency))
    }

    @Test func extensionDialsAtTheFourthDigit() throws {
        let m = try guideMatcher()
        #expect(m.decide("2") == partial("2"))
        #expect(m.decide("21") == partial("21"))
        #expect(m.decide("212") == partial("212"))
        #expect(m.decide("2123") == DialPlanDecision(action: .dial, number: "2123"))
    }

    @Test func outsideLineGivesTheSecondaryToneThenSevenDigitsWaitThreeSeconds() throws {
        let m = try guideMatcher()
        #expect(m.decide("9") == DialPlanDecision(action: outsideTone, number: "9"))
        for digits in ["95", "955", "9555", "95551", "955512", "9555123"] {
            #expect(m.decide(digits) == partial(digits))
        }
        let seven = DialPlanDecision(action: .collect(timeout: 3), number: "14085551234", user: .phone)
        #expect(m.decide("95551234") == seven)
        #expect(m.timedOut("95551234") == DialPlanDecision(action: .dial, number: "14085551234", user: .phone))
        // An eighth digit fits no 9 rule but `*`.
        #expect(m.decide("955512345") == DialPlanDecision(action: .collect(timeout: 5), number: "955512345"))
    }

    @Test func outsideLineWithTenDigitsDialsAtOnceRewritten() throws {
        let m = try guideMatcher()
        #expect(m.decide("91") == partial("91"))
        #expect(m.decide("914") == partial("914"))
        // `9,.......` is complete here, but `9,1..........` matches more literals.
        #expect(m.decide("91408555") == partial("91408555"))
        #expect(m.decide("91408555123") == partial("91408555123"))
        #expect(m.decide("914085551234") == DialPlanDecision(action: .dial, number: "14085551234", user: .phone))
    }

    @Test func internationalWaitsFiveSecondsAndRewrites() throws {
        let m = try guideMatcher()
        #expect(m.decide("90") == partial("90"))
        #expect(m.decide("901") == partial("901"))
        #expect(m.decide("9011") == partial("9011"))
        #expect(m.decide("90114") == DialPlanDecision(action: .collect(timeout: 5), number: "0114", user: .phone))
        let long = DialPlanDecision(action: .collect(timeout: 5), number: "011441234567", user: .phone)
        #expect(m.decide("9011441234567") == long)
        #expect(m.timedOut("9011441234567") == DialPlanDecision(action: .dial, number: "011441234567", user: .phone))
    }

    @Test func otherInputMatchesStarWithFiveSeconds() throws {
        let m = try guideMatcher()
        #expect(m.decide("5") == DialPlanDecision(action: .collect(timeout: 5), number: "5"))
        #expect(m.decide("5551234") == DialPlanDecision(action: .collect(timeout: 5), number: "5551234"))
        #expect(m.decide("*69") == DialPlanDecision(action: .collect(timeout: 5), number: "*69"))
        #expect(m.timedOut("5551234") == DialPlanDecision(action: .dial, number: "5551234"))
    }

    // MARK: - §5.4 effect examples

    @Test(arguments: [false, true])
    func literalDigitsBeatAShorterCompleteRule(reversed: Bool) {
        let rules = [DialRule(match: "9011*", timeout: 5, rewrite: "A%1"), DialRule(match: "9.11", timeout: 0, rewrite: "B%1")]
        let m = matcher(reversed ? rules.reversed() : rules)
        // `9011*` (four literals, incomplete) outranks the complete `9.11` (three): no dialling yet.
        #expect(m.decide("9011") == partial("9011"))
        #expect(m.decide("90115") == DialPlanDecision(action: .collect(timeout: 5), number: "A5"))
        // If no digit follows, the complete rule is dialled.
        #expect(m.timedOut("9011") == DialPlanDecision(action: .dial, number: "B0"))
    }

    @Test(arguments: [false, true])
    func moreLiteralsBeatFewer(reversed: Bool) {
        let rules = [DialRule(match: "9..", timeout: 0, rewrite: "A%1"), DialRule(match: "97.", timeout: 0, rewrite: "B%1")]
        let m = matcher(reversed ? rules.reversed() : rules)
        #expect(m.decide("975") == DialPlanDecision(action: .dial, number: "B5"))
        #expect(m.decide("985") == DialPlanDecision(action: .dial, number: "A85"))
    }

    @Test(arguments: [false, true])
    func starNeverBeatsAPattern(reversed: Bool) {
        let rules = [DialRule(match: "*", timeout: 5, rewrite: "A%1"), DialRule(match: "9.......", timeout: 0, rewrite: "B%1")]
        let m = matcher(reversed ? rules.reversed() : rules)
        #expect(m.decide("94694210") == DialPlanDecision(action: .dial, number: "B4694210"))
        #expect(m.decide("84694210") == DialPlanDecision(action: .collect(timeout: 5), number: "A84694210"))
    }

    @Test(arguments: [false, true])
    func onEqualLiteralsTheHigherMatchTypeWins(reversed: Bool) {
        let rules = [DialRule(match: "1*", timeout: 0, rewrite: "W"), DialRule(match: "1.", timeout: 0, rewrite: "P")]
        #expect(matcher(reversed ? rules.reversed() : rules).decide("12") == DialPlanDecision(action: .dial, number: "P"))
        let exact = [DialRule(match: "1.", timeout: 0, rewrite: "P"), DialRule(match: "1", timeout: 5, rewrite: "L")]
        #expect(matcher(reversed ? exact.reversed() : exact).decide("1") == DialPlanDecision(action: .collect(timeout: 5), number: "L"))
    }

    // MARK: - Result

    @Test func nothingMatchingIsNoMatch() {
        let m = matcher([DialRule(match: "2...", timeout: 0)])
        #expect(m.decide("3") == DialPlanDecision(action: .noMatch, number: "3"))
        #expect(m.decide("21234") == DialPlanDecision(action: .noMatch, number: "21234"))
        #expect(m.timedOut("21") == DialPlanDecision(action: .noMatch, number: "21"))
        #expect(m.timedOut("") == DialPlanDecision(action: .noMatch, number: ""))
    }

    @Test func timeoutDefaultsToTenSeconds() throws {
        let plan = try DialTemplate.parse(Array("<DIALTEMPLATE><TEMPLATE MATCH=\"5..\"/></DIALTEMPLATE>".utf8))
        let m = DialPlanMatcher(template: plan, line: 1)
        #expect(m.decide("512") == DialPlanDecision(action: .collect(timeout: 10), number: "512"))
        #expect(m.timedOut("512") == DialPlanDecision(action: .dial, number: "512"))
    }

    @Test func tonePerCommaWithTheDefault() {
        let m = matcher([
            DialRule(match: "9,1,,..", timeout: 0, tones: ["Bellcore-Inside", "Cisco-Zip"]),
            DialRule(match: "8,..", timeout: 0),
            DialRule(match: "7,1,..", timeout: 0, tones: ["", "Cisco-Zip"]),
            DialRule(match: "6,*", timeout: 5, tones: ["Bellcore-Stutter"]),
        ])
        #expect(m.decide("9") == DialPlanDecision(action: .secondaryTone(name: "Bellcore-Inside", timeout: 10), number: "9"))
        #expect(m.decide("91") == DialPlanDecision(action: .secondaryTone(name: "Cisco-Zip", timeout: 10), number: "91"))
        #expect(m.decide("912") == partial("912"))
        #expect(m.decide("9123") == DialPlanDecision(action: .dial, number: "9123"))
        #expect(m.decide("8") == DialPlanDecision(action: outsideTone, number: "8"))
        #expect(m.decide("7") == DialPlanDecision(action: outsideTone, number: "7"))
        #expect(m.decide("71") == DialPlanDecision(action: .secondaryTone(name: "Cisco-Zip", timeout: 10), number: "71"))
        #expect(m.decide("6") == DialPlanDecision(action: .secondaryTone(name: "Bellcore-Stutter", timeout: 10), number: "6"))
        #expect(m.decide("65") == DialPlanDecision(action: .collect(timeout: 5), number: "65"))
    }

    /// §5.4: the "dial on any digit" plan of later loads.
    @Test func dialOnAnyDigitPlan() throws {
        let xml = "<DIALTEMPLATE><TEMPLATE MATCH=\".\" Timeout=\"0\" User=\"Phone\"/></DIALTEMPLATE>"
        let m = DialPlanMatcher(template: try DialTemplate.parse(Array(xml.utf8)), line: 1)
        #expect(m.decide("5") == DialPlanDecision(action: .dial, number: "5", user: .phone))
        #expect(m.decide("*") == DialPlanDecision(action: .dial, number: "*", user: .phone))
    }

    @Test func escapedStarIsALiteral() {
        let m = matcher([DialRule(match: "\\*6.", timeout: 0, rewrite: "S%1")])
        #expect(m.decide("*69") == DialPlanDecision(action: .dial, number: "S9"))
        #expect(m.decide("169") == DialPlanDecision(action: .noMatch, number: "169"))
    }

    // MARK: - `#` (§5.2)

    @Test func poundDialsNowWhenEveryRuleReachingItIsComplete() throws {
        #expect(matcher([DialRule(match: "*", timeout: 5)]).decide("123#") == DialPlanDecision(action: .dial, number: "123"))
        #expect(matcher([DialRule(match: "2...", timeout: 0)]).decide("2123#") == DialPlanDecision(action: .dial, number: "2123"))
        #expect(try guideMatcher().decide("8#") == DialPlanDecision(action: .dial, number: "8"))
    }

    @Test func poundDialsNowWhenNothingMatches() {
        #expect(matcher([DialRule(match: "2...", timeout: 0)]).decide("3#") == DialPlanDecision(action: .dial, number: "3"))
    }

    @Test func poundWaitsWhileALongerRuleStillPartiallyMatches() throws {
        #expect(matcher([DialRule(match: "2...", timeout: 0)]).decide("21#") == partial("21#"))
        let m = try guideMatcher()
        #expect(m.decide("2#") == partial("2#"))
        #expect(m.decide("9#") == partial("9#"))
        // `9,.......` still partially matches 90114: no dialling before the 5 s.
        #expect(m.decide("90114#") == DialPlanDecision(action: .collect(timeout: 5), number: "0114", user: .phone))
        // `*` stops before the `#` and is complete; `2...` is not.
        #expect(m.timedOut("2#") == DialPlanDecision(action: .dial, number: "2"))
    }

    @Test func starNeverSwallowsTheDialNowPound() {
        let rules = [DialRule(match: "*5", timeout: 0)]
        #expect(matcher(rules).decide("12#5") == partial("12#5"))
        #expect(matcher(rules, poundDialsNow: false).decide("12#5") == DialPlanDecision(action: .dial, number: "12#5"))
    }

    @Test func literalPoundInThePatternIsMatched() {
        let m = matcher([DialRule(match: "#7..", timeout: 0)])
        #expect(m.decide("#") == partial("#"))
        #expect(m.decide("#712") == DialPlanDecision(action: .dial, number: "#712"))
    }

    @Test func poundIsAnOrdinaryCharacterWhenItDoesNotDialNow() {
        let m = matcher([DialRule(match: "*", timeout: 5), DialRule(match: "1.", timeout: 0)], poundDialsNow: false)
        #expect(m.decide("123#") == DialPlanDecision(action: .collect(timeout: 5), number: "123#"))
        #expect(m.decide("1#") == DialPlanDecision(action: .dial, number: "1#"))
        let none = DialPlanMatcher(template: nil, line: 1, poundDialsNow: false)
        #expect(none.decide("12#") == DialPlanDecision(action: .collect(timeout: nil), number: "12#"))
    }

    // MARK: - Line= and no plan

    @Test func lineRestriction() {
        let rules = [DialRule(match: "1..", timeout: 0, rewrite: "L2", line: 2), DialRule(match: "*", timeout: 5)]
        #expect(matcher(rules, line: 1).decide("123") == DialPlanDecision(action: .collect(timeout: 5), number: "123"))
        #expect(matcher(rules, line: 2).decide("123") == DialPlanDecision(action: .dial, number: "L2"))
        // A plan with no rule for this line acts as no plan.
        let other = matcher([DialRule(match: "1..", timeout: 0, line: 2)], line: 3)
        #expect(other.decide("123") == DialPlanDecision(action: .collect(timeout: nil), number: "123"))
    }

    @Test(arguments: [nil, DialTemplate(rules: [])])
    func noPlanOrAnEmptyPlan(template: DialTemplate?) {
        let m = DialPlanMatcher(template: template, line: 1)
        #expect(m.decide("1") == DialPlanDecision(action: .collect(timeout: nil), number: "1"))
        #expect(m.decide("1234") == DialPlanDecision(action: .collect(timeout: nil), number: "1234"))
        #expect(m.decide("1234#") == DialPlanDecision(action: .dial, number: "1234"))
        #expect(m.decide("#") == DialPlanDecision(action: .dial, number: ""))
        #expect(m.timedOut("1234") == DialPlanDecision(action: .dial, number: "1234"))
        #expect(m.timedOut("") == DialPlanDecision(action: .noMatch, number: ""))
    }
}
