import Firmware
import Provisioning
import Testing

/// syncinfo.xml (GUIDE.md §7.4).
@Suite struct SyncInfoTests {
    static let guideExample = """
        <SYNCINFO>
          <IMAGE VERSION="P0S3-08-12-00" SYNC="2"/>
          <IMAGE VERSION="*" SYNC="1"/>
        </SYNCINFO>

        """

    func parse(_ text: String) throws(SyncInfoError) -> SyncInfo { try SyncInfo.parse(Array(text.utf8)) }

    func error(_ text: String) -> String {
        do { _ = try parse(text); return "accepted" } catch { return error.description }
    }

    @Test func theGuidesExample() throws {
        let info = try parse(Self.guideExample)
        #expect(info.entries.map(\.version) == ["P0S3-08-12-00", "*"])
        #expect(info.entries.map(\.sync) == ["2", "1"])
        #expect(info.entries[0].position == XMLPosition(line: 2, column: 3))
        // Step 4: exact entry beats the wildcard; the sync value decides.
        #expect(info.entry(forImage: "P0S3-08-12-00")?.sync == "2")
        #expect(info.entry(forImage: "P0S3-07-4-00")?.isWildcard == true)
        #expect(info.decision(runningImage: "P0S3-08-12-00", currentSync: "1") == .reboot(sync: "2"))
        #expect(info.decision(runningImage: "P0S3-08-12-00", currentSync: "2") == .noReboot)
        #expect(info.decision(runningImage: "P0S3-07-4-00", currentSync: "1") == .noReboot)
        #expect(info.decision(runningImage: "P0S3-07-4-00", currentSync: "5") == .reboot(sync: "1"))
    }

    @Test func noApplicableEntryMeansNoReboot() throws {
        let info = try parse(#"<SYNCINFO><IMAGE VERSION="P0S3-08-12-00" SYNC="2"/></SYNCINFO>"#)
        #expect(info.decision(runningImage: "P0S3-07-4-00", currentSync: "1") == .noEntry)
    }

    @Test func anyRootAndTheDefaultSync() throws {
        let info = try parse("<?xml version=\"1.0\"?>\n<!-- pushed by ops -->\n<Sync><IMAGE VERSION=\"*\"/></Sync>")
        #expect(info.entries == [SyncInfo.Entry(version: "*", sync: "1", position: XMLPosition(line: 3, column: 7))])
        #expect(try parse(#"<IMAGE VERSION="*" SYNC="abc-32"/>"#).entries.map(\.sync) == ["abc-32"])
        let long = String(repeating: "x", count: 32)
        #expect(try parse("<S><IMAGE VERSION=\"*\" SYNC=\"\(long)\"/></S>").entries.first?.sync == long)
        #expect(try parse("<S></S>").entries.isEmpty)
    }

    @Test func malformedFilesGetAPositionedError() {
        #expect(error("<SYNCINFO>\n  <IMAGE VERSION=\"*\" SYNC=\"1\">\n</SYNCINFO>")
                == "3:1: end tag </SYNCINFO> does not match <IMAGE> opened at 2:3")
        #expect(error("<SYNCINFO>\n  <IMAGE VERSION=\"*\" SYNC=\"1\"/>\n")
                == "3:1: element <SYNCINFO> opened at 1:1 is never closed")
        #expect(error("<SYNCINFO>\n  <IMAGE SYNC=\"2\"/>\n</SYNCINFO>") == "2:3: <IMAGE> has no VERSION attribute")
        #expect(error("<SYNCINFO>\n  <IMAGE VERSION=\"*\" SYNC=\"\(String(repeating: "9", count: 33))\"/>\n</SYNCINFO>")
                == "2:22: SYNC is 33 characters long, at most 32 are allowed")
        #expect(error("<SYNCINFO>\n  <IMAGE VERSION=\"*\" SYNC=1/>\n</SYNCINFO>") == "2:27: value of attribute SYNC must be in quotes")
        #expect(error("<SYNCINFO>\n  <IMAGE VERSION=\"*\" REBOOT=\"1\"/>\n</SYNCINFO>")
                == "2:22: unknown attribute REBOOT (an <IMAGE> has VERSION and SYNC)")
        #expect(error("<SYNCINFO>\n  <IMAGES VERSION=\"*\"/>\n</SYNCINFO>").hasPrefix("2:3: unexpected element <IMAGES>"))
        #expect(error("<SYNCINFO>\n  reboot please\n</SYNCINFO>") == "2:3: text between the <IMAGE/> elements")
        #expect(error("<SYNCINFO>\n  <IMAGE VERSION=\"*\" SYNC=\"1\"/>\n  <IMAGE VERSION=\"*\" SYNC=\"2\"/>\n</SYNCINFO>")
                == "3:3: VERSION \"*\" is listed twice (first at 2:3)")
        #expect(error("") == "1:1: no root element")
        #expect(error("<SYNCINFO><IMAGE VERSION=\"\" SYNC=\"1\"/></SYNCINFO>") == "1:11: VERSION \"\" is not an image name or *")
    }
}
