import Testing
@testable import Phone
import Provisioning
import Scheduling
import SIPStack

/// The phone has one DNS resolver (one c-ares channel, one cache): the registrations and the
/// calls locate servers through the same one, before and after a boot's configuration.
@Suite struct PhoneResolverTests {
    @Test @PhoneLoop func registrationsAndCallsShareThePhonesOneResolver() throws {
        let phone = PhoneSIP(address: "127.0.0.1", audio: FakeAudio(), timers: ManualTimers())
        let resolver = phone.registrations.locator.resolver
        #expect(phone.calls.context.locator.resolver === resolver)

        var config = Configuration()
        let diagnostics = config.apply(Array("dyn_dns_addr_1: 192.0.2.53\ndyn_dns_addr_2: 192.0.2.54\n".utf8),
                                       file: "SIP000000000001.cnf", as: .phoneFile("SIP000000000001.cnf"))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let sip = SIPSettings(config)
        phone.registrations.configure([:], settings: PhoneSIP.registration(sip), dnsServers: sip.dnsServers)
        phone.calls.configure(accounts: [:], sip: sip, media: CallSettings(config), plan: DialPlanning(template: nil, line: 1))
        #expect(phone.registrations.locator.resolver === resolver)
        #expect(phone.calls.context.locator.resolver === resolver)
        #expect(resolver.servers == ["192.0.2.53", "192.0.2.54"])
        #expect(resolver.channelsCreated == 0, "the channel is made by the first query, not before")
    }
}
