import Testing
import Provisioning

// The rewrite language, GUIDE.md §5.3: every example of the section, through the matcher.

/// What a one-rule plan (`Timeout="0"`) dials for `input`.
private func dialled(match: String, rewrite: String, _ input: String) -> DialPlanDecision {
    let plan = DialTemplate(rules: [DialRule(match: match, timeout: 0, rewrite: rewrite)])
    return DialPlanMatcher(template: plan, line: 1).decide(input)
}

@Suite struct DialPlanRewriteTests {
    /// §5.3 table: `MATCH="ab..cd..ef*"`, input `ab12cd34ef5678`.
    @Test(arguments: [
        ("%s", "ab12cd34ef5678"),
        ("%0", "ab12cd34ef5678"),
        ("%1", "12"),
        ("%2", "34"),
        ("%3", "5678"),
        ("%4", ""),
        ("%5", ""),
        ("XYZ....", "XYZ1234"),
        ("X.Y.Z...", "X1Y2Z345"),
        ("919%1%2%3", "91912345678"),
        ("AB...X%1X..", "AB123X12X45"),
        ("X%1X%1X%1", "X12X12X12"),
    ])
    func guideTable(rewrite: String, output: String) {
        #expect(dialled(match: "ab..cd..ef*", rewrite: rewrite, "ab12cd34ef5678")
                == DialPlanDecision(action: .dial, number: output))
    }

    /// §5.3: with more than five groups the fifth absorbs the rest.
    @Test(arguments: [
        ("%0", "1a2b3c4d5e6f7g"),
        ("%1", "a"), ("%2", "b"), ("%3", "c"), ("%4", "d"), ("%5", "e6f"),
    ])
    func fifthGroupAbsorbsTheRest(rewrite: String, output: String) {
        #expect(dialled(match: "1.2.3.4.5.6.7.", rewrite: rewrite, "1a2b3c4d5e6f7g").number == output)
    }

    /// §5.3 [sipcc] examples. The guide prints 310 → `111111110`, which no reading of its own
    /// table gives: `%s` is the whole dialled string there (`ab12cd34ef5678`), as in [sipcc]'s
    /// code, so eight 1s and then 310.
    @Test func sipccExamples() {
        #expect(dialled(match: "31.", rewrite: "11111111%s", "310") == DialPlanDecision(action: .dial, number: "11111111310"))
        #expect(dialled(match: "32..", rewrite: "122222232..", "3255") == DialPlanDecision(action: .dial, number: "12222223255"))
    }

    /// §5.3: `%` before any other character gives that character; extra dots give nothing.
    @Test func escapesAndSpareDots() {
        #expect(dialled(match: "5..", rewrite: "%%%.%a", "512").number == "%.a")
        #expect(dialled(match: "5..", rewrite: "....9", "512").number == "129")
        #expect(dialled(match: "5..", rewrite: "7%", "512").number == "7")
    }

    /// §5.1: an absent or empty `Rewrite` dials the input unchanged, and `User`/`Route` come back
    /// unapplied for the call layer.
    @Test func noRewriteDialsTheInput() {
        let plan = DialTemplate(rules: [DialRule(match: "6..", timeout: 0, user: .ip, rewrite: nil, route: .fqdn)])
        #expect(DialPlanMatcher(template: plan, line: 1).decide("612")
                == DialPlanDecision(action: .dial, number: "612", user: .ip, route: .fqdn))
    }
}
