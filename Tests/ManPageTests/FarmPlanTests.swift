import ArgumentParser
import DaemonOptions
import Provisioning
import Testing

/// The phone farm's layout (`--farm N`): each phone's MAC, SIP port and flash folder, and the
/// command lines a farm cannot start from, refused at start with their reason.
@Suite struct FarmPlanTests {
    func mac(_ text: String) throws -> MACAddress { try #require(MACAddress(text)) }

    @Test func phonesFollowTheFirstMACAndPort() throws {
        let plan = try FarmPlan(size: 300, firstMAC: try mac("00:11:AA:BB:CC:FE"), firstSIPPort: 15060, flash: "/var/farm/")
        #expect(plan.phones.count == 300)
        let first = plan.phone(1), second = plan.phone(2), third = plan.phone(3), last = plan.phone(300)
        let firstMAC = try mac("0011AABBCCFE"), lastMAC = try mac("00:11:AA:BB:CE:29")
        #expect(first.number == 1 && first.mac == firstMAC && first.sipPort == 15060)
        #expect(first.flash == "/var/farm/phone-0011AABBCCFE")
        #expect(second.mac == (try mac("00:11:AA:BB:CC:FF")))
        // The carry goes into the next octet.
        #expect(third.mac == (try mac("00:11:AA:BB:CD:00")))
        #expect(third.sipPort == 15062 && third.flash == "/var/farm/phone-0011AABBCD00")
        #expect(last.mac == lastMAC && last.sipPort == 15359)
        #expect(Set(plan.phones.map(\.mac)).count == 300 && Set(plan.phones.map(\.flash)).count == 300)
        // Each phone's own file on the shared provisioning source.
        #expect(last.mac.configFileName == "SIP0011AABBCE29.cnf")
    }

    @Test func limits() throws {
        let base = try mac("00:11:AA:BB:CC:00")
        #expect(throws: FarmPlan.Problem.size(0)) { try FarmPlan(size: 0, firstMAC: base, flash: "f") }
        #expect(throws: FarmPlan.Problem.size(100_000)) { try FarmPlan(size: 100_000, firstMAC: base, flash: "f") }
        #expect(throws: FarmPlan.Problem.ports(size: 1000, first: 65000)) {
            try FarmPlan(size: 1000, firstMAC: base, firstSIPPort: 65000, flash: "f")
        }
        #expect(throws: FarmPlan.Problem.ports(size: 2, first: 0)) { try FarmPlan(size: 2, firstMAC: base, firstSIPPort: 0, flash: "f") }
        let top = try mac("FF:FF:FF:FF:FF:F0")
        #expect(throws: FarmPlan.Problem.macs(size: 17, first: top)) { try FarmPlan(size: 17, firstMAC: top, flash: "f") }
        // The last port and the last MAC themselves are fine.
        #expect((try FarmPlan(size: 536, firstMAC: base, firstSIPPort: 65000, flash: "f")).phone(536).sipPort == 65535)
        #expect((try FarmPlan(size: 16, firstMAC: top, flash: "f")).phone(16).mac == (try mac("FF:FF:FF:FF:FF:FF")))
    }

    /// The error a command line gets at start, from either parser.
    func startError(_ line: [String]) -> String? {
        do {
            let parsed = try DaemonArguments.parse(line + ["--config", "/dev/null"])
            _ = try parsed.resolve()
            return nil
        } catch {
            return DaemonArguments.message(for: error)
        }
    }

    @Test func badCommandLines() {
        let mac = ["--mac", "00:11:AA:BB:CC:00"]
        #expect(startError(["--farm", "0"] + mac) == "--farm 0: a farm has 1 to 4000 phones")
        #expect(startError(["--farm", "100000"] + mac) == "--farm 100000: a farm has 1 to 4000 phones")
        #expect(startError(["--farm", "1000", "--farm-sip-port", "65000"] + mac)
                == "--farm 1000 with --farm-sip-port 65000: the phones' SIP ports 65000-65999 do not fit in 1-65535")
        #expect(startError(["--farm", "10"])?.contains("needs --mac") == true)
        #expect(startError(["--farm-sip-port", "20000"] + mac)?.contains("give --farm N too") == true)
        #expect(startError(["--farm", "10", "--ssh", "127.0.0.1:2222"] + mac)?.contains("not with --farm") == true)
        #expect(startError(["--farm", "10", "--audio", "file:/tmp/a.wav"] + mac)?.contains("null only") == true)
        #expect(startError(["--farm", "10"] + mac) == nil)
    }

    @Test func bothParsersReadTheFarm() throws {
        let line = ["--farm", "20", "--farm-sip-port", "20000", "--mac", "00:11:AA:BB:CC:00", "--flash", "/tmp/f",
                    "--config", "/dev/null"]
        let plain = try #require(DaemonArguments.parsePlain(line))
        let settings = try plain.resolve()
        #expect(settings.farm == (try FarmPlan(size: 20, firstMAC: try mac("00:11:AA:BB:CC:00"), firstSIPPort: 20000,
                                               flash: "/tmp/f")))
        #expect("\(settings)" == "\(try DaemonArguments.parse(line).resolve())")
    }
}
