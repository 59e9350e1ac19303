/// The debug categories of GUIDE.md §4.3: the names the `debug` / `undebug` CLI commands take.
///
/// The guide's own list (6.x/7.x) is a subset of the descendant stack's ([sipcc]) list, which
/// is used as the superset here; the older network-level categories (`tftp`, `sntp`, `dns` …)
/// are marked (unverified) in the guide but are where this phone's own subsystems log, so they
/// are kept. Each category is one bit in `DebugRegistry`'s mask, so at most 64 of them.
public enum DebugCategory: String, CaseIterable, Sendable, Comparable {
    // [sipcc] call-control categories
    case ccapp, configCache = "config-cache", sipAdapter = "sip-adapter"
    case cc, ccMsg = "cc-msg", fim, fsm, auth, gsm, lsm, fsmCac = "fsm-cac", dcsm
    case sipTask = "sip-task", sipState = "sip-state", sipMessages = "sip-messages"
    case sipRegState = "sip-reg-state", sipTrx = "sip-trx", timers, ccdefault, dialplan, kpml
    case sipPresence = "sip-presence", configApp = "config-app", callEvent = "call-event"
    case plat, ccNotify = "cc-notify", cprMemory = "cpr-memory"
    // the guide's general error output
    case error
    // older 7960 network-level categories (unverified in the guide)
    case arp, cdp, dhcp, dns, ethernet, http, ip, tftp, sntp, rtp, xml
    // this implementation's own subsystems that have no guide name: provisioning (the
    // .cnf files and parameter validation), flash writes, firmware upgrade.
    case config, flash, image

    public var bit: UInt64 { 1 << UInt64(Self.allCases.firstIndex(of: self) ?? 0) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// A category by its CLI name (exact, lower case).
    public init?(name: String) { self.init(rawValue: name.lowercased()) }
}
