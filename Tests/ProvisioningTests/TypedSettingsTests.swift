import Provisioning
import Testing

/// The typed settings read each number from the table, whose defaults are the only defaults:
/// every numeric name they read must have one, and provisioned values must come through.
@Suite struct TypedSettingsTests {
    @Test(arguments: SIPSettings.numericParameters + CallSettings.numericParameters)
    func everyNumberReadHasADefaultInTheTable(name: String) {
        #expect(Configuration().number(name) != nil, "\(name) has no numeric default")
    }

    @Test func defaultsComeFromTheTable() {
        let s = SIPSettings(Configuration())
        #expect(s.controlPort == 5060 && s.registerExpires == 3600 && s.registerDelta == 5 && s.maxForwards == 70)
        #expect(s.t1Milliseconds == 500 && s.t2Milliseconds == 4000 && s.inviteExpires == 180)
        #expect(s.lines.isEmpty && !s.registerAtBoot && s.transport == .udp && s.backupProxy == nil)
        let c = CallSettings(Configuration())
        #expect(c.preferredCodec == .g711ulaw && c.dtmfOutOfBand == .avt && c.dtmfPayload == 101 && c.mediaPorts == 16384...32766)
        let console = ConsoleSettings(Configuration())
        #expect(console.prompt == "SIP Phone" && console.password == "cisco" && console.telnetLevel == 0)
    }

    @Test func provisionedValuesReachTheTypedSettings() {
        var config = Configuration()
        config.apply(Array("""
            proxy1_address: "sip.example.test"
            proxy2_address: "10.0.0.2"
            proxy2_port: 5070
            line1_name: 620
            line2_name: 621
            line2_authname: auth621
            timer_register_expires: 60
            sip_transport: tcp
            outbound_proxy: "10.0.0.9"
            preferred_codec: g711alaw
            call_stats: 1
            """.utf8), file: "SIP000DBC50FCD4.cnf", as: .phoneFile("SIP000DBC50FCD4.cnf"))
        let s = SIPSettings(config)
        #expect(s.lines.map(\.name) == ["620", "621"])
        #expect(s.lines[0].proxy == SIPSettings.Host(host: "sip.example.test", port: nil), "a name at the default port: SRV decides")
        #expect(s.lines[1].proxy == SIPSettings.Host(host: "10.0.0.2", port: 5070))
        #expect(s.lines[1].authName == "auth621" && s.lines[0].authName == "620")
        #expect(s.registerExpires == 60 && s.transport == .tcp && s.outboundProxy?.host == "10.0.0.9")
        let c = CallSettings(config)
        #expect(c.preferredCodec == .g711alaw && c.callStatistics)
    }
}
