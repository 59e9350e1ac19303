import TestKit
import Testing
@testable import Provisioning

@Suite struct CNFParserTests {
    func parse(_ text: String) -> ([CNFEntry], [Diagnostic]) {
        let r = CNFParser.parse(Array(text.utf8), file: "t.cnf")
        return (r.entries, r.diagnostics)
    }

    func values(_ text: String) -> [String: String?] {
        Dictionary(parse(text).0.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
    }

    @Test func nameColonValue() {
        let (e, d) = parse("proxy1_port: 5060\n")
        #expect(d.isEmpty)
        #expect(e == [CNFEntry(line: 1, name: "proxy1_port", value: "5060")])
    }

    @Test func spacesAroundTheColonAndTabs() {
        let v = values("cnf_join_enable : 1\n\ttelnet_level\t:\t2  \n")
        #expect(v["cnf_join_enable"] == "1")
        #expect(v["telnet_level"] == "2")
    }

    @Test func commentsAfterSemicolonAndHashLines() {
        let (e, d) = parse("# SIP Default\n  # indented comment\ntimer_register_expires: 3600   ; seconds\n")
        #expect(d.isEmpty)
        #expect(e == [CNFEntry(line: 3, name: "timer_register_expires", value: "3600")])
    }

    @Test func crlfAndMissingFinalNewline() {
        let (e, d) = parse("a_b: 1\r\nc_d: \"x y\"\r\n\r\ne_f: 3")
        #expect(d.isEmpty)
        #expect(e.map(\.line) == [1, 2, 4])
        #expect(e.map(\.value) == ["1", "x y", "3"])
    }

    @Test func quotedValuesKeepSpacesAndSemicolons() {
        let v = values("line1_displayname: \"Front; Desk\"  ; comment\nphone_label: \"a # b\"\n")
        #expect(v["line1_displayname"] == "Front; Desk")
        #expect(v["phone_label"] == "a # b")
    }

    @Test func emptyQuotesAndUnprovisionedClear() {
        let v = values("dyn_tftp_addr: \"\"\ndyn_dns_addr_1: UNPROVISIONED\nx_y:\n")
        #expect(v["dyn_tftp_addr"] == .some(nil))
        #expect(v["dyn_dns_addr_1"] == .some(nil))
        #expect(v["x_y"] == .some(nil))
    }

    @Test func malformedLinesAreErrorsWithTheirLineNumbers() {
        let (e, d) = parse("""
            good_one: 1
            no colon here
            : 5
            bad-name: 2
            q_1: "unterminated
            q_2: "ok" trailing
            q_3: un"quoted
            good_two: 2
            """)
        #expect(e.map(\.name) == ["good_one", "good_two"])
        #expect(d.map(\.line) == [2, 3, 4, 5, 6, 7])
        #expect(d.allSatisfy { $0.severity == .error })
        #expect(d[0].description == "t.cnf:2: missing ':' (expected 'name: value')")
        #expect(d[2].description == "t.cnf:4: bad-name: not a parameter name (letters, digits and '_' only)")
        #expect(d[3].description == "t.cnf:5: q_1: unterminated quoted value")
        #expect(d[4].description == "t.cnf:6: q_2: text after the closing quote")
    }

    @Test func binaryGarbageIsReportedNotCrashed() {
        var bytes: [UInt8] = Array("ok_1: 1\n".utf8)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<4096 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
        bytes += Array("\nok_2: 2\n".utf8)
        let r = CNFParser.parse(bytes, file: "g.cnf")
        #expect(r.entries.first == CNFEntry(line: 1, name: "ok_1", value: "1"))
        #expect(r.entries.last?.name == "ok_2")
        #expect(!r.diagnostics.isEmpty)
        #expect(r.diagnostics.allSatisfy { $0.severity == .error && $0.line >= 2 })
    }

    @Test func nulAndControlBytesAreNamed() {
        let (_, d) = parse("a_b: x\u{0}y\n")
        #expect(d.first?.description == "t.cnf:1: line contains the control byte 0x00")
    }

    @Test func invalidUTF8IsAnError() {
        let r = CNFParser.parse(Array("a_b: ".utf8) + [0xC3, 0x28] + [0x0A], file: "u.cnf")
        #expect(r.entries.isEmpty)
        #expect(r.diagnostics.first?.description == "u.cnf:1: a_b: value is not valid UTF-8")
    }

    @Test func overLongLineIsAnError() {
        let long = "phone_label: \"" + String(repeating: "x", count: 2000) + "\"\nok_1: 1\n"
        let (e, d) = parse(long)
        #expect(e.map(\.name) == ["ok_1"])
        #expect(d.first?.line == 1)
        #expect(d.first?.message.contains("longer than 1024") == true)
    }

    @Test func tenMegabyteFileIsRefusedQuicklyAsAWhole() {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 10 << 20)
        let start = ContinuousClock.now
        let r = CNFParser.parse(bytes, file: "big.cnf")
        let elapsed = ContinuousClock.now - start
        #expect(r.entries.isEmpty)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.description
                == "big.cnf: file is 10485760 bytes, larger than the 262144-byte limit; not read")
        #expect(elapsed < .seconds(5))   // refused before any parsing (a bound, not a benchmark)
    }

    @Test func theGuidesExampleFilesParse() {
        let (e, d) = parse(GuideExamples.sipDefault)
        #expect(d.isEmpty)
        #expect(e.count == 12)
        #expect(values(GuideExamples.sipDefault)["timer_register_expires"] == "3600")
        #expect(values(GuideExamples.sipDefault)["tftp_cfg_dir"] == "./")
        let p = values(GuideExamples.phoneFile)
        #expect(p["line1_displayname"] == "Front Desk")
        #expect(p["phone_password"] == "cisco")
    }
}

