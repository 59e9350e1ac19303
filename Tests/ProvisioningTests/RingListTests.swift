import Testing
import Provisioning

// Custom rings, GUIDE.md §8.1: RINGLIST.DAT, Ringlist.xml and the raw µ-law PCM files.

private func parse(_ text: String) throws(RingListError) -> RingList {
    try RingList.parse(Array(text.utf8))
}

private func failure(_ text: String) -> RingListError? {
    do {
        _ = try parse(text)
        return nil
    } catch {
        return error
    }
}

@Suite("RingList: RINGLIST.DAT")
struct RingListDATTests {
    @Test func guideExample() throws {
        let list = try parse("Analog Synth 1\tAnalog1.raw\nAnalog Synth 2\tAnalog2.raw\n")
        #expect(list == RingList(entries: [
            RingListEntry(displayName: "Analog Synth 1", fileName: "Analog1.raw"),
            RingListEntry(displayName: "Analog Synth 2", fileName: "Analog2.raw"),
        ]))
    }

    @Test func crlfBlankLinesAndPaddingAroundTab() throws {
        let list = try parse("\r\nChirp Low \t low.raw\r\n\r\n  \t \r\nChirp High\t\thigh.raw")
        #expect(list.entries == [
            RingListEntry(displayName: "Chirp Low", fileName: "low.raw"),
            RingListEntry(displayName: "Chirp High", fileName: "high.raw"),
        ])
    }

    @Test func runOfSpacesSeparatesWhenThereIsNoTab() throws {
        #expect(try parse("Analog Synth 1    Analog1.raw\n").entries
            == [RingListEntry(displayName: "Analog Synth 1", fileName: "Analog1.raw")])
    }

    @Test func singleSpaceDoesNotSeparate() {
        #expect(failure("Ring One\tone.raw\nAnalog Synth Analog1.raw\n")
            == RingListError(line: 2, reason: .missingSeparator))
    }

    @Test func extraFieldIsRejected() {
        #expect(failure("A\tb.raw\tc") == RingListError(line: 1, reason: .tooManyFields(3)))
    }

    @Test func unsafeFileNames() {
        for bad in ["../evil.raw", "rings/a.raw", #"C:\a.raw"#, "a\u{0}.raw", ".", "a..raw"] {
            #expect(failure("\n\nRing\t\(bad)\n") == RingListError(line: 3, reason: .unsafeFileName(bad)))
        }
    }

    @Test func emptyFieldsAreMissingSeparator() {
        #expect(failure("\tx.raw") == RingListError(line: 1, reason: .missingSeparator))
        #expect(failure("Name\t") == RingListError(line: 1, reason: .missingSeparator))
    }

    @Test func displayNameLimit() throws {
        let twentyFive = String(repeating: "n", count: 25)
        #expect(try parse("\(twentyFive)\ta.raw").entries[0].displayName == twentyFive)
        #expect(failure("ok\tb.raw\n\(twentyFive)n\ta.raw")
            == RingListError(line: 2, reason: .displayNameTooLong(length: 26)))
    }

    @Test func atMostFiftyEntries() throws {
        let lines = (1...50).map { "Ring \($0)\tring\($0).raw" }
        #expect(try parse(lines.joined(separator: "\n")).entries.count == 50)
        #expect(try parse(lines.joined(separator: "\n")).entries[49]
            == RingListEntry(displayName: "Ring 50", fileName: "ring50.raw"))
        let tooMany = (lines + ["Ring 51\tring51.raw"]).joined(separator: "\r\n")
        #expect(failure(tooMany) == RingListError(line: 51, reason: .tooManyEntries))
    }

    @Test func invalidUTF8IsRejectedWithItsLine() {
        var bytes = Array("ok\ta.raw\n".utf8)
        bytes += [0x4D, 0xE9, 0x6C, 0x09] + Array("m.raw\n".utf8)  // "Mél" in Latin-1
        #expect(throws: RingListError(line: 2, reason: .invalidUTF8)) { try RingList.parse(bytes) }
    }

    @Test func emptyFileIsAnEmptyList() throws {
        #expect(try parse("") == RingList(entries: []))
        #expect(try parse("\n\r\n") == RingList(entries: []))
    }

    @Test func errorDescription() {
        #expect(failure("Ring\t../x.raw")?.description
            == #"line 1: file name "../x.raw" is not a plain file name (no '/', '\', '..' or control characters)"#)
    }
}

@Suite("RingList: Ringlist.xml")
struct RingListXMLTests {
    @Test func happyPath() throws {
        let text = """
            <?xml version="1.0"?>
            <CiscoIPPhoneRingList>
              <!-- house rings -->
              <Ring>
                <DisplayName>Analog Synth 1</DisplayName>
                <FileName>Analog1.raw</FileName>
              </Ring>
              <Ring><DisplayName> Bells &amp; Whistles </DisplayName><FileName>bells.raw</FileName></Ring>
            </CiscoIPPhoneRingList>
            """
        #expect(try parse(text).entries == [
            RingListEntry(displayName: "Analog Synth 1", fileName: "Analog1.raw"),
            RingListEntry(displayName: "Bells & Whistles", fileName: "bells.raw"),
        ])
    }

    @Test func missingFileName() {
        #expect(failure("<CiscoIPPhoneRingList>\n  <Ring><DisplayName>A</DisplayName></Ring>\n</CiscoIPPhoneRingList>")
            == RingListError(line: 2, column: 3, reason: .missingElement("FileName")))
    }

    @Test func malformedXMLHasLineAndColumn() {
        #expect(failure("<CiscoIPPhoneRingList>\n<Ring><DisplayName>A</Ring>")
            == RingListError(line: 2, column: 21, reason: .xml(.mismatchedEndTag(
                expected: "DisplayName", found: "Ring", openedAt: XMLPosition(line: 2, column: 7)))))
    }

    @Test func unsafeFileNameInXML() {
        #expect(failure("<CiscoIPPhoneRingList><Ring><DisplayName>A</DisplayName><FileName>../../etc/x</FileName></Ring></CiscoIPPhoneRingList>")
            == RingListError(line: 1, column: 23, reason: .unsafeFileName("../../etc/x")))
    }

    @Test func wrongRootAndUnknownElement() {
        #expect(failure("<RingList/>") == RingListError(line: 1, column: 1, reason: .unexpectedElement("RingList")))
        #expect(failure("<CiscoIPPhoneRingList><Ring><Name>A</Name></Ring></CiscoIPPhoneRingList>")
            == RingListError(line: 1, column: 29, reason: .unexpectedElement("Name")))
    }

    @Test func duplicateField() {
        #expect(failure("<CiscoIPPhoneRingList><Ring><FileName>a.raw</FileName><FileName>b.raw</FileName></Ring></CiscoIPPhoneRingList>")
            == RingListError(line: 1, column: 55, reason: .duplicateElement("FileName")))
    }

    @Test func fiftyOneRingsAreTooMany() {
        let ring = "<Ring><DisplayName>R</DisplayName><FileName>r.raw</FileName></Ring>\n"
        let text = "<CiscoIPPhoneRingList>\n" + String(repeating: ring, count: 51) + "</CiscoIPPhoneRingList>"
        #expect(failure(text) == RingListError(line: 52, column: 1, reason: .tooManyEntries))
    }
}

@Suite("RingFile: raw µ-law size rules")
struct RingListFileSizeTests {  // name matches the `RingList` test filter
    private func problem(bytes count: Int) -> RingFileProblem? {
        RingFile.validate(Array(repeating: 0xFF, count: count))
    }

    @Test func acceptedSizes() {
        #expect(problem(bytes: 240) == nil)
        #expect(problem(bytes: 480) == nil)
        #expect(problem(bytes: 16080) == nil)
    }

    @Test func tooShort() {
        #expect(problem(bytes: 0) == .tooShort(samples: 0))
        #expect(problem(bytes: 239) == .tooShort(samples: 239))
    }

    @Test func tooLong() {
        #expect(problem(bytes: 16081) == .tooLong(samples: 16081))
        #expect(problem(bytes: 16320) == .tooLong(samples: 16320))
    }

    @Test func notAMultipleOf240() {
        #expect(problem(bytes: 250) == .notMultipleOf240(samples: 250))
        #expect(problem(bytes: 16079) == .notMultipleOf240(samples: 16079))
    }
}
