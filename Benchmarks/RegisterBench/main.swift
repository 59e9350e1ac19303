// Registrations per second against a registrar (issue 4's benchmark): N accounts
// (users 2000…2000+N-1, password "pw" + user) registered at once through the phone's own
// SIPEndpoint and RegistrationManager, digest included; prints completed registrations per
// second. With a second count M it measures memory per registered account instead (TARGETS.md
// "memory per additional registered line"): VmRSS with N accounts registered, then with M, each
// read once the REGISTER transactions have ended; the difference over M − N.
// Usage: register-bench REGISTRAR_PORT N [M]   (scripts/bench-register.py starts Kamailio)
import NIOPosix
import SIPStack

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count == 3 || args.count == 4, let port = Int(args[1]), let n = Int(args[2]), n > 0 else {
    print("usage: register-bench REGISTRAR_PORT N [M]")
    exit(2)
}
let memoryCount = args.count == 4 ? Int(args[3]) : nil
if args.count == 4, (memoryCount ?? 0) <= n {
    print("register-bench: M must be a number greater than N")
    exit(2)
}

/// VmRSS and VmHWM (kB) of this process, from /proc/self/status.
struct Memory {
    var rssKB = 0, hwmKB = 0

    static func now() -> Memory {
        var r = Memory()
        guard let f = fopen("/proc/self/status", "r") else { return r }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let value = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
            if text.hasPrefix("VmRSS:") { r.rssKB = value }
            if text.hasPrefix("VmHWM:") { r.hwmKB = value }
        }
        return r
    }

    /// VmRSS after glibc's malloc_trim(0) has handed the free pages malloc keeps back to the
    /// kernel: what the registrations hold, without what the registering left free. Looked up at
    /// run time, as Swift's Glibc module leaves out malloc.h.
    static func trimmed() -> Memory {
        if let symbol = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        return now()
    }
}

let settings = RegistrationSettings(expires: 3600, delta: 5, maxForwards: 70)
let endpoint = await SIPEndpoint()
try await endpoint.start(host: "127.0.0.1", port: 0)
let manager = await RegistrationManager(endpoint: endpoint, locator: ServerLocation(resolver: DNSResolver()), settings: settings)
var accounts: [Int: SIPAccount] = [:]
for i in 0..<(memoryCount ?? n) {
    let user = String(2000 + i)
    accounts[i + 1] = SIPAccount(user: user, authName: user, password: "pw" + user, displayName: nil,
                                 registrar: ProxyAddress(host: "127.0.0.1", port: port), userInfo: nil)
}

/// Waits (up to 60 s) until `count` lines are registered; returns how many are.
func waitRegistered(_ count: Int) async throws -> Int {
    let start = ContinuousClock.now
    var registered = 0
    while ContinuousClock.now - start < .seconds(60) {
        registered = await manager.table().filter { $0.state == LineRegistration.State.registered }.count
        if registered == count { break }
        try await Task.sleep(for: .milliseconds(1))
    }
    return registered
}

func finish(_ ok: Bool) async throws -> Never {
    await manager.unregisterAll(timeout: Duration.seconds(5))
    await endpoint.stop()
    exit(ok ? 0 : 1)
}

await manager.configure(accounts.filter { $0.key <= n }, settings: settings)
let start = ContinuousClock.now
await manager.registerAll()
let registered = try await waitRegistered(n)
let elapsed = ContinuousClock.now - start

guard let m = memoryCount else {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(registered) / seconds
    print("registrations completed against the registrar: \(registered)/\(n) in \(Int(seconds * 1000)) ms = \(Int(rate)) registrations/s (digest: 2 transactions each)")
    try await finish(registered == n)
}

// Memory mode. A completed non-INVITE client transaction stays for timer K (T4 = 5 s, RFC 3261
// §17.1.2.2): read after 6 s, when only the registrations themselves remain.
let settle = Duration.seconds(6)
guard registered == n else {
    print("register-bench: only \(registered)/\(n) accounts registered")
    try await finish(false)
}
try await Task.sleep(for: settle)
let before = Memory.now(), beforeTrimmed = Memory.trimmed()
// The first N lines keep their accounts, so `configure` leaves them registered as they are.
await manager.configure(accounts, settings: settings)
for line in (n + 1)...m { await manager.register(line: line) }
let all = try await waitRegistered(m)
guard all == m else {
    print("register-bench: only \(all)/\(m) accounts registered")
    try await finish(false)
}
try await Task.sleep(for: settle)
let after = Memory.now(), afterTrimmed = Memory.trimmed()
let extra = m - n
func perAccount(_ a: Memory, _ b: Memory) -> String {
    "\(a.rssKB) -> \(b.rssKB) kB = \((b.rssKB - a.rssKB) * 1024 / extra) bytes/account"
}
print("memory per registered account (register-bench, one process, \(n) -> \(m) accounts registered, "
      + "\(settle.components.seconds) s after): VmRSS \(perAccount(before, after)); "
      + "after malloc_trim(0) \(perAccount(beforeTrimmed, afterTrimmed)); VmHWM \(after.hwmKB) kB")
try await finish(true)
