import NIOCore
import Scheduling
import SIPMessage
@testable import SIPStack
import TestKit
import Testing

/// The registrations over the endpoint under a manual clock: REGISTERs as sent, digest
/// answers, refreshes, and every reconfiguration reaching a registered line (the bug where
/// a new `timer_register_expires` never reached a registered line).
@Suite @PhoneLoop struct RegistrationManagerTests {
    static let account = SIPAccount(user: "620", authName: "620", password: "secret", displayName: "Desk",
                                    registrar: ProxyAddress(host: "127.0.0.1", port: 5070), userInfo: nil)
    static let settings = RegistrationSettings(expires: 3600, delta: 5, maxForwards: 70)

    func stack() throws -> (ManualStack, RegistrationManager) {
        let s = try ManualStack()
        let m = RegistrationManager(endpoint: s.endpoint, locator: ServerLocation(resolver: DNSResolver()), settings: Self.settings)
        m.configure([1: Self.account], settings: Self.settings)
        return (s, m)
    }

    /// Answers the last REGISTER: 401 with a challenge first when `challenge`, then 200
    /// granting what it asked for.
    func answerLastRegister(_ s: ManualStack, challenge: Bool = false) throws {
        let register = try #require(s.sink.sent("REGISTER").last)
        if challenge {
            s.answer(register, 401, headers: [("WWW-Authenticate", "Digest realm=\"deskphone.test\", nonce=\"n1\", qop=\"auth\"")])
            return
        }
        let expires = register.value("Expires") ?? "0"
        let contact = register.value("Contact") ?? ""
        s.answer(register, 200, headers: [("Contact", "\(contact);expires=\(expires)")])
    }

    func expires(_ m: SIPMessage?) -> String? { m?.value("Expires") }

    @Test func registersAnswersTheChallengeAndRefreshesDeltaBeforeExpiry() throws {
        let (s, m) = try stack()
        m.register(line: 1)
        let first = try #require(s.sink.sent("REGISTER").first)
        #expect(first.requestURIText == "sip:127.0.0.1:5070")
        #expect(first.value("To") == "<sip:620@127.0.0.1>")
        #expect(first.value("Contact") == "<sip:620@127.0.0.1:5060>")
        #expect(first.value("Authorization") == nil)
        try answerLastRegister(s, challenge: true)
        let second = try #require(s.sink.sent("REGISTER").last)
        #expect(second.value("Authorization")?.contains("username=\"620\"") == true)
        #expect(try second.cseq().number == (try first.cseq().number) + 1)
        #expect(try second.callID() == (try first.callID()), "one Call-ID per binding")
        try answerLastRegister(s)
        #expect(m.table().first?.state == .registered)
        s.timers.advance(by: .seconds(3594))
        #expect(s.sink.sent("REGISTER").count == 2)
        s.timers.advance(by: .seconds(1))   // 3600 - timer_register_delta
        #expect(s.sink.sent("REGISTER").count == 3)
    }

    @Test func aNewExpiryReachesARegisteredLineAtOnce() throws {
        let (s, m) = try stack()
        m.register(line: 1)
        try answerLastRegister(s)
        #expect(m.table().first?.state == .registered)
        #expect(expires(s.sink.sent("REGISTER").last) == "3600")
        var settings = Self.settings
        settings.expires = 60
        m.configure([1: Self.account], settings: settings)
        #expect(expires(s.sink.sent("REGISTER").last) == "60", "the reconfigured expiry is asked for at once")
        try answerLastRegister(s)
        #expect(m.table().first?.interval == 60)
        #expect(m.table().first?.state == .registered)
        s.timers.advance(by: .seconds(55))   // refreshed at 60 - 5, not at 3595
        #expect(s.sink.sent("REGISTER").count == 3)
        #expect(expires(s.sink.sent("REGISTER").last) == "60")
    }

    @Test func aNewDeltaBackupOrTransportReachesTheLine() throws {
        let (s, m) = try stack()
        m.register(line: 1)
        try answerLastRegister(s)
        var settings = Self.settings
        settings.delta = 100
        m.configure([1: Self.account], settings: settings)
        try answerLastRegister(s)
        let count = s.sink.sent("REGISTER").count
        s.timers.advance(by: .seconds(3499))
        #expect(s.sink.sent("REGISTER").count == count)
        s.timers.advance(by: .seconds(1))   // 3600 - 100
        #expect(s.sink.sent("REGISTER").count == count + 1)
        try answerLastRegister(s)
        settings.transport = .tcp
        m.configure([1: Self.account], settings: settings)
        let tcp = try #require(s.sink.sent.last)
        #expect(tcp.transport == .tcp)
        #expect(tcp.message?.value("Via")?.hasPrefix("SIP/2.0/TCP ") == true)
        // The same settings again (every boot): nothing sent.
        let before = s.sink.sent.count
        m.configure([1: Self.account], settings: settings)
        #expect(s.sink.sent.count == before)
    }

    @Test func unregisterAllWaitsForTheAnswerWithoutPolling() async throws {
        let (s, m) = try stack()
        m.register(line: 1)
        try answerLastRegister(s)
        let done = Task { @PhoneLoop in await m.unregisterAll(timeout: .seconds(2)) }
        for _ in 0..<100 where s.sink.sent("REGISTER").count < 2 { await Task.yield() }
        let removal = try #require(s.sink.sent("REGISTER").last)
        #expect(removal.value("Expires") == "0")
        #expect(s.timers.pendingCount >= 1, "a deadline, not a polling loop")
        s.answer(removal, 200)
        await done.value
        #expect(m.table().first?.state == .idle)
    }

    @Test func unregisterAllGivesUpAtItsDeadline() async throws {
        let (s, m) = try stack()
        m.register(line: 1)
        try answerLastRegister(s)
        let done = Task { @PhoneLoop in await m.unregisterAll(timeout: .seconds(2)) }
        for _ in 0..<100 where s.sink.sent("REGISTER").count < 2 { await Task.yield() }
        s.timers.advance(by: .seconds(2))
        await done.value
        #expect(m.table().first?.state == .unregistering)
    }

    @Test func aRegistrarAtThePhonesOwnAddressIsNeverSentARegister() throws {
        let (s, m) = try stack()
        var own = Self.account
        own.registrar = ProxyAddress(host: "127.0.0.1", port: 5060)   // the sink listens on 127.0.0.1:5060
        m.configure([1: own], settings: Self.settings)
        let problem = m.register(line: 1)
        #expect(problem == "Error:Proxy 127.0.0.1:5060 is this phone's own SIP address")
        #expect(s.sink.sent.isEmpty)
        #expect(m.table().first?.state == .failed)
        s.timers.advance(by: .seconds(3600))
        #expect(s.sink.sent.isEmpty, "and no retry later")
    }
}

/// `registerAll` keeps at most `concurrentRegistrations` REGISTER transactions in flight (a burst
/// of hundreds overflows a registrar's socket; a desk phone's six lines all go at once).
@Suite @PhoneLoop struct RegistrationWindowTests {
    @Test func manyLinesRegisterThirtyTwoAtATime() throws {
        let s = try ManualStack()
        let settings = RegistrationSettings(expires: 3600, delta: 5, maxForwards: 70)
        let m = RegistrationManager(endpoint: s.endpoint, locator: ServerLocation(resolver: DNSResolver()), settings: settings)
        var accounts: [Int: SIPAccount] = [:]
        for n in 1...100 {
            accounts[n] = SIPAccount(user: String(3000 + n), authName: String(3000 + n), password: "x", displayName: nil,
                                     registrar: ProxyAddress(host: "127.0.0.1", port: 5070), userInfo: nil)
        }
        m.configure(accounts, settings: settings)
        m.registerAll()
        #expect(s.sink.sent("REGISTER").count == RegistrationManager.concurrentRegistrations)
        // Each answer lets the next line go.
        for register in s.sink.sent("REGISTER").prefix(10) {
            let contact = register.value("Contact") ?? ""
            s.answer(register, 200, headers: [("Contact", "\(contact);expires=3600")])
        }
        #expect(s.sink.sent("REGISTER").count == RegistrationManager.concurrentRegistrations + 10)
        #expect(m.table().filter { $0.state == .registered }.count == 10)
    }
}
