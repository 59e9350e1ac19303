import Testing
@testable import Provisioning

@Suite struct MACAddressTests {
    @Test(arguments: ["00:11:AA:BB:CC:42", "00-11-aa-bb-cc-42", "0011AABBCC42", "0011aabbcc42", " 00:11:aa:BB:cc:42\n"])
    func acceptedForms(_ text: String) throws {
        let m = try #require(MACAddress(text))
        #expect(m.octets == [0x00, 0x11, 0xAA, 0xBB, 0xCC, 0x42])
        #expect(m.fileNameForm == "0011AABBCC42")
        #expect(m.configFileName == "SIP0011AABBCC42.cnf")
        #expect(m.description == "00:11:AA:BB:CC:42")
    }

    @Test(arguments: ["", "00:11:AA:BB:CC", "00:11:AA:BB:CC:4G", "00:11-AA:BB:CC:42", "0011AABBCC4", "00.11.AA.BB.CC.42",
                      "0011AABBCC4200", "ééééééééééé"])
    func rejectedForms(_ text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test func hostInterfacesSkipLoopback() throws {
        // The real /sys/class/net of this host: whatever it lists, lo is never chosen.
        if let (name, mac) = HostInterfaces.firstMAC() {
            #expect(name != "lo")
            #expect(mac.octets.contains { $0 != 0 })
        }
        #expect(HostInterfaces.list().contains { $0.name == "lo" })
    }
}
