import TestKit
import Testing
import Provisioning

// Dial template files, GUIDE.md §5.1 (structure), §5.5 (tone names), §5.6 (example plan).

private func parse(_ text: String) throws(DialTemplateError) -> DialTemplate {
    try DialTemplate.parse(Array(text.utf8))
}

/// The error `text` is rejected with, or nil if it parses.
private func failure(_ text: String) -> DialTemplateError? {
    do {
        _ = try parse(text)
        return nil
    } catch {
        return error
    }
}

/// One rule inside a minimal plan on line 2; attribute columns start after `<TEMPLATE `, i.e. 11.
private func ruleFailure(_ attributes: String) -> DialTemplateError? {
    failure("<DIALTEMPLATE>\n<TEMPLATE \(attributes)/>\n</DIALTEMPLATE>")
}

private func rule(_ attributes: String) throws -> DialRule {
    let plan = try parse("<DIALTEMPLATE>\n<TEMPLATE \(attributes)/>\n</DIALTEMPLATE>")
    try #require(plan.rules.count == 1)
    return plan.rules[0]
}

@Suite("DialTemplate: valid plans")
struct DialTemplateValidTests {
    @Test func dialPlanAndXMLErrorsAreOnePositionedErrorType() {
        let text = "<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"1\">\n</DIALTEMPLATE>"
        var xml: XMLSyntaxError?
        do { _ = try XMLTree.parse(Array(text.utf8)) } catch { xml = error }
        let plan: PositionedError<DialTemplateReason>? = failure(text)
        #expect(xml != nil && plan?.position == xml?.position)
        #expect(plan?.description == xml?.description, "one place, one text: \(String(describing: plan))")
        #expect(plan?.reason == xml.map { .xml($0.reason) })
    }

    @Test func guideExamplePlan() throws {
        let text = GuideExamples.dialPlan
        let plan = try parse(text)
        #expect(plan == DialTemplate(versionStamp: nil, rules: [
            DialRule(match: "911", timeout: 0, user: .phone, route: .emergency),
            DialRule(match: "2...", timeout: 0),
            DialRule(match: "9,.......", timeout: 3, user: .phone, rewrite: "1408.......", tones: ["Bellcore-Outside"]),
            DialRule(match: "9,1..........", timeout: 0, user: .phone, rewrite: "1.........."),
            DialRule(match: "9011*", timeout: 5, user: .phone, rewrite: "011%1"),
            DialRule(match: "*", timeout: 5),
        ]))
    }

    @Test func declarationCommentsVersionStampAndBothTemplateForms() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- Corporate Dial Plan -->
            <DIALTEMPLATE>
              <versionStamp> {Jan 07 2025 10:15:00} </versionStamp>
              <TEMPLATE MATCH="1..." ></TEMPLATE>
              <TEMPLATE match='2&amp;3&#65;&#x42;' timeout='7' user='ip' route='FQDN' line='2'/>
              <!-- ---- rulers are fine ---- -->
            </DIALTEMPLATE>
            <!-- trailing comment -->

            """
        let plan = try parse(text)
        #expect(plan.versionStamp == "Jan 07 2025 10:15:00")
        #expect(plan.rules == [
            DialRule(match: "1..."),
            DialRule(match: "2&3AB", timeout: 7, user: .ip, route: .fqdn, line: 2),
        ])
    }

    @Test func internalDefaultPlanWithGuideTypoClosingTag() throws {
        // GUIDE.md §5.1: the 6.x guide prints `</DIALTEMPLATE/>`; parse leniently.
        let plan = try parse(#"<DIALTEMPLATE><TEMPLATE MATCH="." Timeout="0" User="Phone"/></DIALTEMPLATE/>"#)
        #expect(plan.rules == [DialRule(match: ".", timeout: 0, user: .phone)])
    }

    @Test func typoLeniencyIsOnlyForDialTemplate() {
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="1"></TEMPLATE/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 45, reason: .xml(
                .unexpectedCharacter(found: "'/'", expected: "'>' to close </TEMPLATE"))))
    }

    @Test func defaultsWhenAttributesOmitted() throws {
        #expect(try rule(#"MATCH="5""#)
            == DialRule(match: "5", timeout: 10, user: .unspecified, rewrite: nil, route: .default, tones: [], line: nil))
    }

    @Test func attributeNamesAndEnumValuesAreCaseInsensitive() throws {
        #expect(try rule(#"match="5" TIMEOUT="1" uSeR="pHoNe" ROUTE="emergency""#)
            == DialRule(match: "5", timeout: 1, user: .phone, route: .emergency))
        #expect(try rule(#"Match="5" User="IP" Route="fqdn""#).user == .ip)
    }

    @Test func emptyRewriteMeansUnchangedAndLineZeroMeansAll() throws {
        let r = try rule(#"MATCH="5" Rewrite="" Line="0""#)
        #expect(r.rewrite == nil)
        #expect(r.line == nil)
    }

    @Test func tonesAreCanonicalisedAndOrderedByComma() throws {
        // Repeated `Tone` attributes are tolerated (the guide's "up to 3 Tone attributes").
        #expect(try rule(#"MATCH="9,8,7,." Tone="bellcore-inside" Tone="" Tone="CISCO-ZIP""#).tones
            == ["Bellcore-Inside", "", "Cisco-Zip"])
        // `Tone2`/`Tone3` name their comma; a gap is the default tone "".
        #expect(try rule(#"MATCH="9,8,." Tone2="Bellcore-Stutter""#).tones == ["", "Bellcore-Stutter"])
        #expect(try rule(#"MATCH="9,8,7,." Tone="Cisco-BeepBonk" Tone3="Bellcore-None""#).tones
            == ["Cisco-BeepBonk", "", "Bellcore-None"])
    }

    @Test func everyGuideToneNameIsAccepted() throws {
        for name in DialRule.toneNames {
            #expect(try rule("MATCH=\"9,.\" Tone=\"\(name)\"").tones == [name])
        }
        #expect(DialRule.toneNames.count == 20)
    }

    @Test func versionStampLimitCountsAfterBraces() throws {
        let sixtyFour = String(repeating: "v", count: 64)
        #expect(try parse("<DIALTEMPLATE><versionStamp>{\(sixtyFour)}</versionStamp></DIALTEMPLATE>").versionStamp
            == sixtyFour)
        #expect(failure("<DIALTEMPLATE>\n<versionStamp>\(sixtyFour)v</versionStamp></DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 1, reason: .versionStampTooLong(length: 65)))
    }

    @Test func fileOfExactlyMaximumSizeParses() throws {
        let open = "<DIALTEMPLATE>", close = "</DIALTEMPLATE>"
        let text = open + String(repeating: " ", count: 8192 - open.utf8.count - close.utf8.count) + close
        #expect(text.utf8.count == 8192)
        #expect(try parse(text) == DialTemplate(rules: []))
    }

    @Test func patternOfExactlyMaximumLengthParses() throws {
        let pattern = String(repeating: ".", count: 196)
        #expect(try rule("MATCH=\"\(pattern)\"").match == pattern)
    }
}

@Suite("DialTemplate: malformed XML is rejected with line:column")
struct DialTemplateMalformedXMLTests {
    @Test func truncatedTag() {
        #expect(failure("<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"1\"")
            == DialTemplateError(line: 2, column: 3, reason: .xml(.truncatedTag("TEMPLATE"))))
        #expect(failure("<DIALTEMPLATE>\n<")
            == DialTemplateError(line: 2, column: 2, reason: .xml(.truncatedTag(""))))
    }

    @Test func unterminatedAttributeValue() {
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="1/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 35, reason: .xml(.lessThanInAttributeValue(attribute: "MATCH"))))
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="1"#)
            == DialTemplateError(line: 1, column: 31, reason: .xml(.unterminatedAttributeValue(attribute: "MATCH"))))
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH=1/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 31, reason: .xml(.unquotedAttributeValue(attribute: "MATCH"))))
    }

    @Test func mismatchedEndTag() {
        #expect(failure("<DIALTEMPLATE>\n<TEMPLATE MATCH=\"1\">\n</DIALTEMPLATE>")
            == DialTemplateError(line: 3, column: 1, reason: .xml(.mismatchedEndTag(
                expected: "TEMPLATE", found: "DIALTEMPLATE", openedAt: XMLPosition(line: 2, column: 1)))))
    }

    @Test func endTagWithoutStartTag() {
        #expect(failure("<DIALTEMPLATE/></TEMPLATE>")
            == DialTemplateError(line: 1, column: 16, reason: .xml(.endTagWithoutStart("TEMPLATE"))))
    }

    @Test func twoRoots() {
        #expect(failure("<DIALTEMPLATE></DIALTEMPLATE>\n<DIALTEMPLATE/>")
            == DialTemplateError(line: 2, column: 1, reason: .xml(.secondRoot("DIALTEMPLATE"))))
    }

    @Test func unclosedRootAtEndOfInput() {
        #expect(failure("<DIALTEMPLATE>\n<TEMPLATE MATCH=\"1\"/>\n")
            == DialTemplateError(line: 3, column: 1, reason: .xml(.unclosedElement(
                "DIALTEMPLATE", openedAt: XMLPosition(line: 1, column: 1)))))
    }

    @Test func emptyOrCommentOnlyFileHasNoRoot() {
        #expect(failure("") == DialTemplateError(line: 1, column: 1, reason: .xml(.noRootElement)))
        #expect(failure("<!-- x -->\n") == DialTemplateError(line: 2, column: 1, reason: .xml(.noRootElement)))
    }

    @Test func unterminatedComment() {
        #expect(failure("<DIALTEMPLATE>\n  <!-- no end\n</DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 3, reason: .xml(.unterminatedComment)))
    }

    @Test func badEntities() {
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="a&foo;b"/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 33, reason: .xml(.badEntity("&foo;"))))
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="a & b"/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 34, reason: .xml(.badEntity("&"))))
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="a&#xZZ;"/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 33, reason: .xml(.badEntity("&#xZZ;"))))
        #expect(failure(#"<DIALTEMPLATE><TEMPLATE MATCH="a&#0;"/></DIALTEMPLATE>"#)
            == DialTemplateError(line: 1, column: 33, reason: .xml(.badCharacterReference("&#0;"))))
        #expect(failure("<DIALTEMPLATE>&bogus;</DIALTEMPLATE>")
            == DialTemplateError(line: 1, column: 15, reason: .xml(.badEntity("&bogus;"))))
    }

    @Test func textOutsideRoot() {
        #expect(failure("<DIALTEMPLATE/>\n  hello")
            == DialTemplateError(line: 2, column: 3, reason: .xml(.textOutsideRoot)))
        #expect(failure("junk<DIALTEMPLATE/>")
            == DialTemplateError(line: 1, column: 1, reason: .xml(.textOutsideRoot)))
    }

    @Test func duplicateAttributeExactName() {
        #expect(ruleFailure(#"MATCH="1" MATCH="2""#)
            == DialTemplateError(line: 2, column: 21, reason: .xml(.duplicateAttribute("MATCH"))))
    }

    @Test func attributesNeedWhitespaceBetweenThem() {
        #expect(ruleFailure(#"MATCH="1"Timeout="2""#)
            == DialTemplateError(line: 2, column: 20, reason: .xml(.missingWhitespaceBetweenAttributes)))
    }

    @Test func declarationOnlyAtStartAndNoDoctype() {
        #expect(failure("\n<?xml version=\"1.0\"?><DIALTEMPLATE/>")
            == DialTemplateError(line: 2, column: 1, reason: .xml(.declarationNotAtStart)))
        #expect(failure("<!DOCTYPE x><DIALTEMPLATE/>")
            == DialTemplateError(line: 1, column: 1, reason: .xml(.unsupportedMarkup("<!…> declaration (DOCTYPE)"))))
    }

    @Test func controlCharactersAndBadUTF8() {
        #expect(failure("<DIALTEMPLATE>\u{1}</DIALTEMPLATE>")
            == DialTemplateError(line: 1, column: 15, reason: .xml(.controlCharacter(1))))
        var bytes = Array(#"<DIALTEMPLATE><TEMPLATE MATCH=""#.utf8)
        bytes += [0xFF] + Array(#""/></DIALTEMPLATE>"#.utf8)
        #expect(throws: DialTemplateError(line: 1, column: 31, reason: .xml(.invalidUTF8))) {
            try DialTemplate.parse(bytes)
        }
    }

    @Test func everyTruncationOfAValidPlanIsRejected() throws {
        let bytes = Array(#"""
            <?xml version="1.0"?><!-- c --><DIALTEMPLATE><versionStamp>{1}</versionStamp>
            <TEMPLATE MATCH="9,1&amp;.." Timeout='0' Tone="Cisco-Zip"></TEMPLATE></DIALTEMPLATE>
            """#.utf8)
        #expect(try DialTemplate.parse(bytes).rules.count == 1)
        for length in 0..<bytes.count {
            #expect(throws: DialTemplateError.self, "prefix of \(length) bytes") {
                try DialTemplate.parse(Array(bytes[..<length]))
            }
        }
    }

    @Test func crlfLineEndsCountAsOneLine() {
        #expect(failure("<DIALTEMPLATE>\r\n<TEMPLATE MATCH=\"1\" Timeout=\"x\"/>\r\n</DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 21, reason: .badTimeout("x")))
    }
}

@Suite("DialTemplate: structure and attribute values")
struct DialTemplateValueTests {
    @Test func rootMustBeUpperCaseDialTemplate() {
        #expect(failure("<dialtemplate/>") == DialTemplateError(line: 1, column: 1, reason: .wrongRoot("dialtemplate")))
    }

    @Test func templateMustBeUpperCase() {
        #expect(failure("<DIALTEMPLATE>\n  <Template MATCH=\"1\"/>\n</DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 3, reason: .templateNotUpperCase("Template")))
    }

    @Test func unknownElement() {
        #expect(failure("<DIALTEMPLATE>\n<RULE MATCH=\"1\"/></DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 1, reason: .unknownElement("RULE")))
    }

    @Test func strayTextInsidePlan() {
        #expect(failure("<DIALTEMPLATE>\n  9011\n</DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 3, reason: .unexpectedText(element: "DIALTEMPLATE")))
        #expect(failure("<DIALTEMPLATE><TEMPLATE MATCH=\"1\">x</TEMPLATE></DIALTEMPLATE>")
            == DialTemplateError(line: 1, column: 35, reason: .unexpectedText(element: "TEMPLATE")))
    }

    @Test func unknownAttribute() {
        #expect(ruleFailure(#"MATCH="1" Foo="2""#)
            == DialTemplateError(line: 2, column: 21, reason: .unknownAttribute("Foo")))
    }

    @Test func duplicateAttributeDifferingOnlyInCase() {
        #expect(ruleFailure(#"MATCH="1" match="2""#)
            == DialTemplateError(line: 2, column: 21, reason: .duplicateAttribute("match")))
    }

    @Test func missingOrEmptyMatch() {
        #expect(ruleFailure(#"Timeout="1""#) == DialTemplateError(line: 2, column: 1, reason: .missingMatch))
        #expect(ruleFailure(#"MATCH="""#) == DialTemplateError(line: 2, column: 11, reason: .emptyMatch))
    }

    @Test func badTimeouts() {
        #expect(ruleFailure(#"MATCH="1" Timeout="-1""#)
            == DialTemplateError(line: 2, column: 21, reason: .negativeTimeout(-1)))
        for bad in ["abc", "", "1.5", "+3", " 3", "0x10", "99999999999999999999"] {
            #expect(ruleFailure("MATCH=\"1\" Timeout=\"\(bad)\"")
                == DialTemplateError(line: 2, column: 21, reason: .badTimeout(bad)))
        }
    }

    @Test func badUser() {
        #expect(ruleFailure(#"MATCH="1" User="sip""#)
            == DialTemplateError(line: 2, column: 21, reason: .badUser("sip")))
    }

    @Test func badRoute() {
        #expect(ruleFailure(#"MATCH="1" Route="Local""#)
            == DialTemplateError(line: 2, column: 21, reason: .badRoute("Local")))
    }

    @Test func badTone() {
        #expect(ruleFailure(#"MATCH="9,." Tone="Bellcore-Loud""#)
            == DialTemplateError(line: 2, column: 23, reason: .badTone("Bellcore-Loud")))
    }

    @Test func tooManyOrConflictingTones() {
        #expect(ruleFailure(#"MATCH="9,." Tone="" Tone="" Tone="" Tone="""#)
            == DialTemplateError(line: 2, column: 47, reason: .tooManyTones))
        #expect(ruleFailure(#"MATCH="9,." Tone="" Tone="" Tone2="""#)
            == DialTemplateError(line: 2, column: 39, reason: .duplicateTone(comma: 2)))
    }

    @Test func badLine() {
        #expect(ruleFailure(#"MATCH="1" Line="-1""#)
            == DialTemplateError(line: 2, column: 21, reason: .badLine("-1")))
        #expect(ruleFailure(#"MATCH="1" Line="one""#)
            == DialTemplateError(line: 2, column: 21, reason: .badLine("one")))
    }

    @Test func oversizeFile() {
        let open = "<DIALTEMPLATE>", close = "</DIALTEMPLATE>"
        let text = open + String(repeating: " ", count: 8193 - open.utf8.count - close.utf8.count) + close
        #expect(failure(text) == DialTemplateError(line: 1, column: 8193, reason: .fileTooLarge(bytes: 8193)))
    }

    @Test func overLongPattern() {
        let pattern = String(repeating: "1", count: 197)
        #expect(ruleFailure("MATCH=\"\(pattern)\"")
            == DialTemplateError(line: 2, column: 11, reason: .patternTooLong(length: 197)))
    }

    @Test func secondVersionStamp() {
        #expect(failure("<DIALTEMPLATE><versionStamp>a</versionStamp>\n<versionStamp>b</versionStamp></DIALTEMPLATE>")
            == DialTemplateError(line: 2, column: 1, reason: .duplicateVersionStamp))
    }

    @Test func errorDescriptionNamesPlaceAndReason() {
        let error = ruleFailure(#"MATCH="1" Timeout="soon""#)
        #expect(error?.description == #"2:21: Timeout "soon" is not a whole number of seconds"#)
    }
}
