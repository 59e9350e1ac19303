import Testing
import TextUtilities

@Suite struct TrimmingTests {
    @Test func wspTrimsSpacesAndTabsOnlyOnBothEnds() {
        #expect(" \t a b \t".trimmingWSP() == "a b")
        #expect("\r\na\r\n".trimmingWSP() == "\r\na\r\n")
        #expect(Array(" \tx y\t ".utf8)[...].trimmingWSP().elementsEqual("x y".utf8))
    }

    @Test func asciiBlanksIncludeCRLFAndUnicodeWhitespaceMore() {
        #expect("\r\n\t mac \r\n".trimmingASCIIBlanks() == "mac")
        #expect("\u{00A0}x\u{2003}".trimmingASCIIBlanks() == "\u{00A0}x\u{2003}")
        #expect("\u{00A0}x\u{2003}".trimmingWhitespace() == "x")
    }

    @Test func allBlankOrEmptyGivesEmptyAtTheRightPlace() {
        #expect("".trimmingWSP().isEmpty)
        #expect("  \t ".trimmingWSP().isEmpty)
        #expect(Array("   ".utf8)[...].trimmingWSP().isEmpty)
        #expect("   ".trimmingSuffix(while: \.isWSP).isEmpty)
    }

    @Test func suffixOnlyKeepsTheLeadingBlanks() {
        #expect("  a b  \t".trimmingSuffix(while: \.isWSP) == "  a b")
        #expect("a".trimmingSuffix(while: \.isWSP) == "a")
    }

    @Test func aSliceKeepsItsIndicesIntoTheBase() {
        let bytes: [UInt8] = Array("  ab  ".utf8)
        let t = bytes[...].trimmingWSP()
        #expect(t.startIndex == 2 && t.endIndex == 4)
    }
}
