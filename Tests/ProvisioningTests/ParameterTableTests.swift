import Foundation
import Testing
@testable import Provisioning

@Suite struct ParameterTableTests {
    @Test(arguments: ParameterTable.all.map(\.pattern))
    func acceptsItsDefault(_ pattern: String) throws {
        let p = try #require(ParameterTable.all.first { $0.pattern == pattern })
        guard let d = p.defaultText else { return }   // UNPROVISIONED: nothing to validate
        #expect(throws: Never.self) { try p.type.validate(d).get() }
    }

    @Test(arguments: ParameterTable.all.map(\.pattern))
    func rejectsAValueOutOfItsRange(_ pattern: String) throws {
        let p = try #require(ParameterTable.all.first { $0.pattern == pattern })
        let bad = try #require(Self.outOfRange(p.type), "no out-of-range value for \(pattern)")
        switch p.type.validate(bad) {
        case .success(let v): Issue.record("\(pattern) accepted \(bad) as \(v)")
        case .failure(.invalid): break
        case .failure(.replaced): Issue.record("\(pattern) replaced \(bad) instead of rejecting it")
        }
    }

    /// A value each type must reject.
    static func outOfRange(_ t: ParameterType) -> String? {
        switch t {
        case .integer(let r): return String(r.upperBound + 1)
        case .boolean: return "2"
        case .userControl: return "4"
        case .choice: return "no-such-choice"
        case .ipv4: return "256.1.1.1"
        case .host: return "bad host!"
        case .port: return "65536"
        case .hostPort: return "host.example:99999"
        case .ipv4Port: return "dns.example.test:53"
        case .url: return "not a url"
        case .text(let max?): return String(repeating: "x", count: max + 1)
        case .text(nil): return nil
        case .relativePath: return "../etc"
        case .fileName: return "a/b"
        case .timeOfDay: return "25/00"
        case .signedOffset: return "1/75"
        case .month: return "13"
        case .dayOfWeek: return "8"
        case .weekOfMonth: return "7"
        case .dayOfMonth: return "32"
        case .timeZone: return "XYZ"
        case .dynamicPayload: return "95"
        }
    }

    @Test func namesAreUnique() {
        let names = ParameterTable.allNames
        #expect(Set(names).count == names.count)
    }

    @Test func familiesResolveTheirIndices() throws {
        for n in 1...6 {
            let (p, i) = try #require(ParameterTable.lookup("line\(n)_name"))
            #expect(p.pattern == "line#_name")
            #expect(i == n)
        }
        #expect(ParameterTable.lookup("line7_name") == nil)
        #expect(ParameterTable.lookup("line0_name") == nil)
        #expect(ParameterTable.lookup("line_name") == nil)
        #expect(ParameterTable.lookup("LINE2_NAME")?.index == 2)
        #expect(ParameterTable.lookup("dyn_dns_addr_2")?.parameter.pattern == "dyn_dns_addr_#")
        #expect(ParameterTable.lookup("dyn_dns_addr_3") == nil)
        #expect(ParameterTable.lookup("proxy6_port")?.index == 6)
    }

    @Test func typedValues() throws {
        #expect(try ParameterType.month.validate("Oct").get().number == 10)
        #expect(try ParameterType.month.validate("december").get().number == 12)
        #expect(try ParameterType.dayOfWeek.validate("Sun").get().number == 1)
        #expect(try ParameterType.dayOfWeek.validate("7").get().number == 7)
        #expect(try ParameterType.weekOfMonth.validate("8").get().number == 8)
        #expect(try ParameterType.timeOfDay.validate("02/00").get().number == 120)
        #expect(try ParameterType.timeOfDay.validate("14:30").get().number == 870)
        #expect(try ParameterType.signedOffset.validate("-1/30").get().number == -90)
        #expect(try ParameterType.signedOffset.validate("+1").get().number == 60)
        #expect(try ParameterType.timeZone.validate("cet").get() == ParameterValue(text: "CET", number: 60))
        #expect(try ParameterType.timeZone.validate("USSR-ZONE2").get().number == 180)
        #expect(try ParameterType.choice(["Auto", "Full100"]).validate("full100").get().text == "Full100")
        #expect(try ParameterType.host.validate("proxy.example.test").get().text == "proxy.example.test")
        #expect(throws: ParameterProblem.self) { try ParameterType.host.validate("1.2.3").get() }
        #expect(try ParameterType.hostPort.validate("127.0.0.1:40123").get().text == "127.0.0.1:40123")
        #expect(try ParameterType.hostPort.validate("ntp.example.test").get().text == "ntp.example.test")
        #expect(throws: ParameterProblem.self) { try ParameterType.hostPort.validate("127.0.0.1:").get() }
        #expect(throws: ParameterProblem.self) { try ParameterType.hostPort.validate("bad host:123").get() }
        #expect(throws: ParameterProblem.self) { try ParameterType.integer(1...5).validate("3x").get() }
        #expect(throws: ParameterProblem.self) { try ParameterType.integer(1...5).validate("99999999999999999999").get() }
        #expect(ParameterType.dynamicPayload(fallback: 101).validate("200")
                == .failure(.replaced(ParameterValue(text: "101", number: 101), "200 is above 127; using 101")))
    }

    // MARK: every parameter the guide names is declared

    @Test func everyParameterOfTheGuidesTablesIsDeclared() throws {
        for name in try GuideParameters.fixture() {
            #expect(ParameterTable.lookup(name) != nil, "\(name) is named in GUIDE.md §2.2 but not declared")
        }
    }

    @Test func theFixtureMatchesTheGuideWhenTheGuideIsAtHand() throws {
        // CI lays ../shared/ beside the clone; on a machine without it the committed fixture
        // (extracted from the same guide) stands in. Either way the test above runs.
        guard let guide = GuideParameters.guideText() else { return }
        #expect(GuideParameters.extract(from: guide) == (try GuideParameters.fixture()))
    }

    @Test func networkSettingsOfTable224AreDeclared() throws {
        for name in ["dhcp_enabled", "dhcp_server", "mac_address", "host_name", "domain_name", "ip_address",
                     "subnet_mask", "tftp_server", "default_router_1", "default_router_5", "dns_server_1",
                     "dns_server_5", "operational_vlan_id", "admin_vlan_id", "alternate_tftp",
                     "dhcp_address_released", "erase_configuration", "network_media_type"] {
            let (p, _) = try #require(ParameterTable.lookup(name), "\(name)")
            #expect(name == "network_media_type" || p.scope == .network)
        }
    }
}

/// The parameter names of GUIDE.md §2.2's tables (§2.2.1–§2.2.8): every backticked name in the
/// first column, with `N` replaced by 2 (a valid index of every family) and `x` likewise.
enum GuideParameters {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func guideText() -> String? {
        let url = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/GUIDE.md")
        return try? String(contentsOf: url, encoding: .utf8)
    }

    static func fixture() throws -> [String] {
        let url = repoRoot.appendingPathComponent("Tests/ProvisioningTests/Fixtures/guide-parameters.txt")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func extract(from guide: String) -> [String] {
        var names: [String] = []
        var inTables = false
        for line in guide.split(separator: "\n") {
            if line.hasPrefix("### 2.2") { inTables = true; continue }
            if line.hasPrefix("## 3") || line.hasPrefix("#### 2.2.9") { inTables = false }
            guard inTables, line.hasPrefix("| `") else { continue }
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            let parts = cell.split(separator: "`", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() where i % 2 == 1 {
                let name = String(part).replacingOccurrences(of: "N", with: "2")
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }
}
