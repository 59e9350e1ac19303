// Registrations per second against a registrar (issue 4's benchmark): N accounts
// (users 2000…2000+N-1, password "pw" + user) registered at once through the phone's own
// SIPEndpoint and RegistrationManager, digest included; prints completed registrations per
// second. Usage: register-bench REGISTRAR_PORT N   (scripts/bench-register.py starts Kamailio)
import NIOPosix
import SIPStack

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count == 3, let port = Int(args[1]), let n = Int(args[2]), n > 0 else {
    print("usage: register-bench REGISTRAR_PORT N")
    exit(2)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let endpoint = SIPEndpoint(timers: TransactionTimers())
try await endpoint.start(group: group, host: "127.0.0.1", port: 0)
let manager = RegistrationManager(endpoint: endpoint, locator: ServerLocation(resolver: DNSResolver()))
let accounts = (0..<n).map { i in
    LineAccount(line: i + 1, user: String(2000 + i), authName: String(2000 + i), password: "pw\(2000 + i)",
                displayName: nil, proxy: ProxyAddress(host: "127.0.0.1", port: port), userInfo: nil)
}
await manager.configure(accounts, settings: .init(expires: 3600, delta: 5))
let start = ContinuousClock.now
await manager.registerAll()
var registered = 0
while ContinuousClock.now - start < .seconds(60) {
    registered = await manager.table().filter { $0.state == .registered }.count
    if registered == n { break }
    try await Task.sleep(for: .milliseconds(1))
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let rate = Double(registered) / seconds
print("registrations completed against the registrar: \(registered)/\(n) in \(Int(seconds * 1000)) ms = \(Int(rate)) registrations/s (digest: 2 transactions each)")
await manager.unregisterAll(timeout: .seconds(5))
await endpoint.stop()
try await group.shutdownGracefully()
exit(registered == n ? 0 : 1)
