import TestKit
import Testing
@testable import Provisioning

@Suite struct ConfigurationTests {
    func apply(_ c: inout Configuration, _ text: String, _ file: String, _ layer: ConfigLayer) -> [String] {
        c.apply(Array(text.utf8), file: file, as: layer).map(\.description)
    }

    @Test func builtInDefaultsWhenNothingIsSet() {
        let c = Configuration()
        #expect(c["proxy1_port"]?.number == 5060)
        #expect(c["line1_name"]?.isUnprovisioned == true)
        #expect(c.setting("timer_t1")?.source == .builtIn)
        #expect(c["sntp_mode"]?.text == "directedbroadcast")
        #expect(c["no_such_parameter"] == nil)
    }

    @Test func phoneFileBeatsDefaultFileBeatsFlash() {
        var c = Configuration()
        #expect(apply(&c, "proxy1_address: 10.0.0.1\nproxy1_port: 5070\nphone_label: flash\n", "flash:local.cnf", .flash).isEmpty)
        #expect(apply(&c, "proxy1_address: 10.0.0.2\nproxy1_port: 5080\n", "SIPDefault.cnf", .defaultFile).isEmpty)
        #expect(apply(&c, "\nproxy1_address: 10.0.0.3\n", "SIP000DBC50FCD4.cnf", .phoneFile("SIP000DBC50FCD4.cnf")).isEmpty)
        #expect(c.text("proxy1_address") == "10.0.0.3")
        #expect(c.setting("proxy1_address")?.source == .phoneFile(name: "SIP000DBC50FCD4.cnf", line: 2))
        #expect(c.number("proxy1_port") == 5080)
        #expect(c.setting("proxy1_port")?.source == .defaultFile(line: 2))
        #expect(c.text("phone_label") == "flash")
        #expect(c.setting("phone_label")?.source == .flash)
        #expect(c.setting("phone_label")?.source.description == "flash")
        #expect(c.setting("proxy1_port")?.source.description == "SIPDefault.cnf:2")
    }

    @Test func invalidValueIsAnErrorAndTheEarlierValueStays() {
        var c = Configuration()
        _ = apply(&c, "proxy1_port: 5070\n", "SIPDefault.cnf", .defaultFile)
        let d = apply(&c, "# x\nproxy1_port: 70000\n", "SIP0011AABBCC42.cnf", .phoneFile("SIP0011AABBCC42.cnf"))
        #expect(d == ["SIP0011AABBCC42.cnf:2: proxy1_port: 70000 is out of range (valid: 1–65535)"])
        #expect(c.number("proxy1_port") == 5070)
    }

    @Test func unknownParameterIsAWarning() {
        var c = Configuration()
        let d = c.apply(Array("frobnicate_level: 3\n".utf8), file: "SIPDefault.cnf", as: .defaultFile)
        #expect(d.map(\.description) == ["SIPDefault.cnf:1: frobnicate_level: unknown parameter"])
        #expect(d.first?.severity == .warning)
    }

    @Test func emptyAndUnprovisionedClear() {
        var c = Configuration()
        _ = apply(&c, "proxy_backup: 10.1.1.1\nproxy_backup_port: 5062\nsntp_server: 10.2.2.2\n", "SIPDefault.cnf", .defaultFile)
        let d = apply(&c, "proxy_backup: UNPROVISIONED\nproxy_backup_port: \"\"\nsntp_server: \"\"\n", "SIP.cnf", .phoneFile("SIP.cnf"))
        #expect(d.isEmpty)
        #expect(c["proxy_backup"]?.isUnprovisioned == true)
        #expect(c.setting("proxy_backup")?.source == .phoneFile(name: "SIP.cnf", line: 1))
        #expect(c.number("proxy_backup_port") == 5060)   // cleared back to the built-in default
        #expect(c.text("sntp_server") == nil)
    }

    @Test func linesBeyondTheModelAreIgnoredWithAWarning() {
        var c = Configuration(model: .cp7940)
        let d = c.apply(Array("line2_name: 102\nline3_name: 103\n".utf8), file: "SIP.cnf", as: .phoneFile("SIP.cnf"))
        #expect(d.map(\.description) == ["SIP.cnf:2: line3_name: the 7940 has lines 1–2 only; ignored"])
        #expect(c.text("line2_name") == "102")
        #expect(c.all.contains { $0.name == "line2_name" })
        #expect(!c.all.contains { $0.name == "line3_name" })
    }

    @Test func phoneOnlyParametersCannotBeSetInAFile() {
        var c = Configuration()
        let d = apply(&c, "auto_answer: 3\nspeed_dial_1: 1234\n", "SIP.cnf", .phoneFile("SIP.cnf"))
        #expect(d == ["SIP.cnf:1: auto_answer: cannot be set in a configuration file (set on the phone only)",
                      "SIP.cnf:2: speed_dial_1: cannot be set in a configuration file (set on the phone only)"])
        #expect(c.number("auto_answer") == 0)
        // the phone's own flash may hold them
        #expect(apply(&c, "auto_answer: 3\n", "flash:local.cnf", .flash).isEmpty)
        #expect(c.number("auto_answer") == 3)
    }

    @Test func timerT2MustExceedT1() {
        var c = Configuration()
        let d = apply(&c, "timer_t1: 5000\ntimer_register_delta: 7\n", "SIPDefault.cnf", .defaultFile)
        #expect(d == ["SIPDefault.cnf:1: timer_t1: timer_t2 (4000) must be greater than timer_t1 (5000); earlier values kept"])
        #expect(c.number("timer_t1") == 500)
        #expect(c.number("timer_register_delta") == 7)
        // both in one file, in either order
        #expect(apply(&c, "timer_t2: 9000\ntimer_t1: 5000\n", "SIPDefault.cnf", .defaultFile).isEmpty)
        #expect(c.number("timer_t1") == 5000)
    }

    @Test func mediaPortRange() {
        var c = Configuration()
        let d = apply(&c, "start_media_port: 20001\n", "SIPDefault.cnf", .defaultFile)
        #expect(d == ["SIPDefault.cnf:1: start_media_port: start_media_port (20001) must be even; earlier values kept"])
        #expect(c.number("start_media_port") == 16384)
    }

    @Test func payloadAbove127FallsBackTo101() {
        var c = Configuration()
        _ = apply(&c, "dtmf_avt_payload: 110\n", "SIPDefault.cnf", .defaultFile)
        let d = c.apply(Array("dtmf_avt_payload: 200\n".utf8), file: "SIP.cnf", as: .phoneFile("SIP.cnf"))
        #expect(d.map(\.description) == ["SIP.cnf:1: dtmf_avt_payload: 200 is above 127; using 101"])
        #expect(d.first?.severity == .warning)
        #expect(c.number("dtmf_avt_payload") == 101)
    }

    @Test func aRepeatedLineWinsWithAWarning() {
        var c = Configuration()
        let d = apply(&c, "telnet_level: 1\ntelnet_level: 2\n", "SIPDefault.cnf", .defaultFile)
        #expect(d == ["SIPDefault.cnf:2: telnet_level: set again (first set at line 1); this line wins"])
        #expect(c.number("telnet_level") == 2)
    }

    @Test func namesAreCaseInsensitive() {
        var c = Configuration()
        #expect(apply(&c, "Proxy1_Address: 10.9.9.9\n", "SIPDefault.cnf", .defaultFile).isEmpty)
        #expect(c.text("proxy1_address") == "10.9.9.9")
    }

    @Test func theGuidesExamplesApplyCleanly() {
        var c = Configuration()
        #expect(apply(&c, GuideExamples.sipDefault, "SIPDefault.cnf", .defaultFile).isEmpty)
        #expect(apply(&c, GuideExamples.phoneFile, "SIP000DBC50FCD4.cnf", .phoneFile("SIP000DBC50FCD4.cnf")).isEmpty)
        #expect(c.text("line1_displayname") == "Front Desk")
        #expect(c["time_zone"] == ParameterValue(text: "CET", number: 60))
        #expect(c.number("proxy_register") == 1)

        var a = Configuration()
        #expect(apply(&a, GuideExamples.absoluteDST, "SIPDefault.cnf", .defaultFile).isEmpty)
        #expect(a.number("dst_start_month") == 4)
        #expect(a.number("dst_start_day") == 1)
        #expect(a.number("dst_offset") == 60)
        #expect(a.number("dst_stop_time") == 120)

        var r = Configuration()
        #expect(apply(&r, GuideExamples.relativeDST, "SIPDefault.cnf", .defaultFile).isEmpty)
        #expect(r.number("dst_start_month") == 3)
        #expect(r.number("dst_start_day") == 0)      // "" clears to 0 = use the weekday rule
        #expect(r.number("dst_stop_day_of_week") == 1)
        #expect(r.number("dst_start_week_of_month") == 8)
        #expect(r.number("dst_stop_time") == 180)
    }
}
