import Logging
import NIOConcurrencyHelpers
import Testing
@testable import Diagnostics

@Suite struct DebugRegistryTests {
    final class Lines: Sendable {
        let lines = NIOLockedValueBox<[String]>([])
        var all: [String] { lines.withLockedValue { $0 } }
        func sink(_ c: DebugCategory, _ l: String) { lines.withLockedValue { $0.append(l) } }
    }

    func logger(_ c: DebugCategory, _ r: DebugRegistry) -> Logger {
        Logger(label: c.rawValue) { _ in
            DebugLogHandler(category: c, registry: r, output: LogOutput(fileDescriptor: -1), baseLevel: .info)
        }
    }

    @Test func categoriesReachOnlyTheSessionsThatEnabledThem() {
        let r = DebugRegistry()
        let a = Lines(), b = Lines()
        let ida = r.subscribe(a.sink), idb = r.subscribe(b.sink)
        r.enable([.sipMessages], for: ida)
        r.enable([.tftp], for: idb)
        logger(.sipMessages, r).debug("INVITE sip:620@127.0.0.1 SIP/2.0")
        logger(.tftp, r).debug("RRQ SIPDefault.cnf")
        logger(.sntp, r).debug("never shown")
        #expect(a.all.count == 1)
        #expect(a.all.first?.hasSuffix("] sip-messages: INVITE sip:620@127.0.0.1 SIP/2.0") == true)
        #expect(a.all.first?.hasPrefix("[") == true)
        #expect(b.all.count == 1 && b.all[0].hasSuffix("tftp: RRQ SIPDefault.cnf"))
        #expect(r.enabled == [.sipMessages, .tftp])
    }

    @Test func undebugAndUnsubscribeTurnCategoriesOff() {
        let r = DebugRegistry()
        let a = Lines(), b = Lines()
        let ida = r.subscribe(a.sink), idb = r.subscribe(b.sink)
        r.enable([.sipState, .sipRegState], for: ida)
        r.enable([.sipState], for: idb)
        r.disable([.sipState], for: ida)
        #expect(r.isEnabled(.sipState))        // still on for b
        #expect(r.categories(of: ida) == [.sipRegState])
        r.unsubscribe(idb)
        #expect(!r.isEnabled(.sipState))
        #expect(r.isEnabled(.sipRegState))
        r.unsubscribe(ida)
        #expect(r.enabled.isEmpty)
    }

    @Test func anOffCategoryNeverBuildsItsMessage() {
        let r = DebugRegistry()
        let built = NIOLockedValueBox(0)
        func expensive() -> String { built.withLockedValue { $0 += 1 }; return "x" }
        let log = logger(.sipMessages, r)
        for _ in 0..<100 { log.debug("\(expensive())") }
        #expect(built.withLockedValue { $0 } == 0)
        let id = r.subscribe { _, _ in }
        r.enable([.sipMessages], for: id)
        log.debug("\(expensive())")
        #expect(built.withLockedValue { $0 } == 1)
    }

    @Test func everyCategoryHasItsOwnBitAndCLIName() {
        #expect(DebugCategory.allCases.count <= 64)
        #expect(Set(DebugCategory.allCases.map(\.bit)).count == DebugCategory.allCases.count)
        for name in ["cc", "cc-msg", "error", "sip-task", "sip-state", "sip-messages", "sip-reg-state", "gsm", "lsm",
                     "sip-trx", "dialplan", "tftp", "sntp", "rtp", "dns"] {
            #expect(DebugCategory(name: name) != nil, "\(name)")
        }
        #expect(DebugCategory(name: "SIP-Messages") == .sipMessages)
        #expect(DebugCategory(name: "bogus") == nil)
    }
}
