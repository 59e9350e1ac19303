import Diagnostics
import Logging
import NIOCore
import Scheduling
import SIPMessage

/// Registers the phone's bindings (GUIDE.md §9.7): one `LineRegistration` machine per line,
/// each REGISTER built by `RegisterRequest` and run through the endpoint's transactions, the
/// lines' timers on the endpoint's clock. The lines themselves (which line has which account)
/// are the phone's; this knows them by number.
@PhoneLoop
public final class RegistrationManager {
    /// One row of `show register`.
    public struct LineStatus: Sendable {
        public let line: Int
        public let user: String
        public let state: LineRegistration.State
        public let proxy: String
        public let secondsLeft: Int
        public let interval: Int
        public let lastStatus: Int?
        public let sentCredentials: Bool
        public let reason: String
    }

    /// One line's registration: its machine, its Call-ID and From tag (one per binding, so the
    /// CSeq goes on across refreshes, RFC 3261 §10.2.4), and its timers.
    @PhoneLoop
    final class Binding {
        let account: SIPAccount
        var machine: LineRegistration
        let callID = SIPIdentifiers.callID(host: "deskphone")
        let fromTag = SIPIdentifiers.tag()
        var timers: [LineRegistration.Timer: TimerHandle] = [:]
        var reason = "not started"
        var registeredAt: Duration?
        var proxyInUse = ""
        /// Counted in the manager's `registering` (the window of `registerAll`).
        var isRegistering = false

        init(account: SIPAccount, settings: LineRegistration.Settings) {
            self.account = account
            machine = LineRegistration(settings: settings)
        }

        func cancelTimers() {
            timers.values.forEach { $0.cancel() }
            timers.removeAll()
        }
    }

    /// The key of "line 1 at the backup proxy" (`register 1 backup`, the `1-BU` row of `show
    /// register`): a second registration of line 1's account, at `proxy_backup`.
    public nonisolated static let backupLine = 0

    private let endpoint: SIPEndpoint
    /// Server location through the phone's one resolver (shared with the calls).
    public private(set) var locator: ServerLocation
    public private(set) var settings: RegistrationSettings
    private var bindings: [Int: Binding] = [:]
    private var nat = NATLearning()
    private var clock: any Timers { endpoint.transactions.timers }
    /// Told of every line's new registration state (line, state), after the log line: the
    /// farm counts its phones' registered lines with it.
    public var onStateChange: (@PhoneLoop (Int, LineRegistration.State) -> Void)?
    /// `unregisterAll` callers waiting for the last answer.
    private var unregistered: [() -> Void] = []
    private let log = Logger.category(.sipRegState)

    public init(endpoint: SIPEndpoint, locator: ServerLocation, settings: RegistrationSettings) {
        self.endpoint = endpoint
        self.locator = locator
        self.settings = settings
    }

    /// The public address learned from responses (`nat_received_processing`).
    public var learnedAddress: (host: String, port: Int)? { nat.learned }

    /// The host and port the phone puts in Via and Contact toward `destination` (NAT
    /// settings, the learned address, the bound address or the kernel's source address).
    public func contact(toward destination: SocketAddress) -> (host: String, port: Int) {
        let local = endpoint.localAddress
        return nat.advertised(localHost: local?.ipAddress, localPort: local?.port ?? SIPURI.defaultPort) {
            SourceAddress.toward(destination)
        }
    }

    /// New accounts and settings (after every boot). A line whose account changed starts over;
    /// a line whose account is the same keeps its binding, and new settings reach it at once
    /// (`LineRegistration.reconfigure`): a new expiry, delta, backup, transport, outbound
    /// proxy or NAT setting re-registers a registered line.
    public func configure(_ accounts: [Int: SIPAccount], settings new: RegistrationSettings, dnsServers: [String] = []) {
        let changed = new != settings
        settings = new
        nat.settings = new.nat
        locator.resolver.configure(servers: dnsServers)   // the phone's one resolver and its cache
        var wanted = accounts
        wanted[Self.backupLine] = nil
        if let b = bindings[Self.backupLine], b.account != Self.backupAccount(wanted[1], new.backup) {
            b.cancelTimers()
            if b.isRegistering { registering -= 1 }
            bindings[Self.backupLine] = nil
        }
        for (n, binding) in bindings where n != Self.backupLine && wanted[n] != binding.account {
            binding.cancelTimers()
            if binding.isRegistering { registering -= 1 }
            bindings[n] = nil
        }
        for (n, account) in wanted where bindings[n] == nil {
            bindings[n] = Binding(account: account, settings: new.machine)
        }
        guard changed else { return }
        for n in bindings.keys.sorted() {
            guard let b = bindings[n] else { continue }
            // The backup row never fails over (it is the backup).
            var machine = new.machine
            if n == Self.backupLine { machine.hasBackup = false }
            perform(b.machine.reconfigure(machine, restart: true), binding: b, line: n)
        }
    }

    public var configuredLines: [Int] { bindings.keys.filter { $0 != Self.backupLine }.sorted() }

    static func backupAccount(_ line1: SIPAccount?, _ backup: ProxyAddress?) -> SIPAccount? {
        guard var a = line1, let backup else { return nil }
        a.registrar = backup
        return a
    }

    /// `register 1 backup` / `register 0 backup`: false when line 1 or `proxy_backup` is missing.
    public func backup(register: Bool) -> Bool {
        if bindings[Self.backupLine] == nil {
            guard register, let account = Self.backupAccount(bindings[1]?.account, settings.backup) else { return false }
            var machine = settings.machine
            machine.hasBackup = false
            bindings[Self.backupLine] = Binding(account: account, settings: machine)
        }
        if register { self.register(line: Self.backupLine) } else { unregister(line: Self.backupLine) }
        return true
    }

    /// `register 1 N`: (re)start line N's registration now. Returns why it cannot: a
    /// registrar at the phone's own SIP address is never sent a REGISTER (it would answer
    /// itself).
    @discardableResult
    public func register(line n: Int) -> String? {
        guard let b = bindings[n] else { return "Error:Invalid Line" }
        if let problem = ownAddressProblem(b.account.registrar, line: n) {
            perform(b.machine.abandon(problem), binding: b, line: n)
            return problem
        }
        perform(b.machine.start(), binding: b, line: n)
        return nil
    }

    /// Why `proxy` cannot be registered with, when its address is the phone's own SIP address.
    private func ownAddressProblem(_ proxy: ProxyAddress, line n: Int) -> String? {
        let hop = settings.outboundProxy ?? proxy
        guard let target = ServerLocation.literalTarget(host: hop.host, port: hop.port, transport: settings.transport),
              let destination = try? SocketAddress(ipAddress: target.address, port: target.port),
              isOwnAddress(destination) else { return nil }
        return "Error:Proxy \(target.address):\(target.port) is this phone's own SIP address"
    }

    /// The phone's listening address: same port, and the same IP, or any local IP when bound to
    /// the wildcard address.
    func isOwnAddress(_ destination: SocketAddress) -> Bool {
        guard let local = endpoint.localAddress, let port = local.port, destination.port == port,
              let ip = destination.ipAddress, let localIP = local.ipAddress else { return false }
        if localIP == ip { return true }
        guard localIP == "0.0.0.0" || localIP == "::" else { return false }
        return ip.hasPrefix("127.") || SourceAddress.toward(destination) == ip
    }

    /// `proxy_register: 1` at boot: every line not already registered (or registering).
    public func registerAll() {
        waiting = bindings.keys.sorted().filter { n in
            guard let b = bindings[n] else { return false }
            return b.machine.state == .idle || b.machine.state == .failed
        }
        startWaiting()
    }

    /// At most this many lines register at once: a burst of hundreds of REGISTERs (a phone
    /// farm) overflows the registrar's socket buffer and costs a T1 retransmission each; a
    /// desk phone's six lines all go at once.
    public static let concurrentRegistrations = 32
    private var waiting: [Int] = []
    private var registering = 0

    private func startWaiting() {
        while registering < Self.concurrentRegistrations, !waiting.isEmpty {
            let n = waiting.removeFirst()
            if let problem = register(line: n) { log.error("line \(n): \(problem)") }
        }
        if waiting.isEmpty { waiting = [] }
    }

    /// `register 0 N`.
    public func unregister(line n: Int) {
        guard let b = bindings[n] else { return }
        perform(b.machine.unregister(), binding: b, line: n)
    }

    /// Unregisters every registered line and waits (up to `timeout`) for the answers: shutdown
    /// and a change of `voip_control_port`.
    public func unregisterAll(timeout: Duration = .seconds(2)) async {
        for n in bindings.keys.sorted() where bindings[n]?.machine.state == .registered { unregister(line: n) }
        if bindings.values.contains(where: { $0.machine.state == .unregistering }) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                var done = false
                var deadline: TimerHandle?
                let finish = {
                    guard !done else { return }
                    done = true
                    deadline?.cancel()
                    continuation.resume()
                }
                deadline = clock.schedule(after: timeout, finish)
                unregistered.append(finish)
            }
        }
        for b in bindings.values { b.cancelTimers() }
    }

    public func table() -> [LineStatus] {
        let now = clock.now
        return bindings.keys.sorted().compactMap { n in
            guard let b = bindings[n] else { return nil }
            var left = 0
            if b.machine.state == .registered, let at = b.registeredAt, let granted = b.machine.granted {
                left = max(0, granted - Int((now - at).components.seconds))
            }
            return LineStatus(line: n, user: b.account.user, state: b.machine.state, proxy: b.proxyInUse, secondsLeft: left,
                              interval: settings.expires, lastStatus: b.machine.lastStatus,
                              sentCredentials: b.machine.sentCredentials, reason: b.reason)
        }
    }

    // MARK: actions

    private func perform(_ actions: [LineRegistration.Action], binding b: Binding, line n: Int) {
        for action in actions {
            switch action {
            case .send(let attempt):
                send(attempt, binding: b, line: n)
            case .arm(let timer, let after):
                b.timers[timer]?.cancel()
                b.timers[timer] = clock.schedule(after: after) { [weak self, weak b] in
                    guard let self, let b, self.bindings[n] === b else { return }
                    b.timers[timer] = nil
                    self.perform(b.machine.timerFired(timer), binding: b, line: n)
                }
            case .cancel(let timer):
                b.timers[timer]?.cancel()
                b.timers[timer] = nil
            case .stateChanged(let state, let reason):
                let was = b.isRegistering
                b.isRegistering = state == .registering
                registering += (b.isRegistering ? 1 : 0) - (was ? 1 : 0)
                if was && !b.isRegistering, !waiting.isEmpty { startWaiting() }
                b.reason = reason
                if state == .registered { b.registeredAt = clock.now }
                log.info("line \(n): \(state.rawValue): \(reason)")
                onStateChange?(n, state)
                if state != .unregistering, !unregistered.isEmpty,
                   !bindings.values.contains(where: { $0.machine.state == .unregistering }) {
                    let waiting = unregistered
                    unregistered.removeAll()
                    waiting.forEach { $0() }
                }
            }
        }
    }

    private func send(_ attempt: LineRegistration.RegisterAttempt, binding b: Binding, line n: Int) {
        let registrar = attempt.server == .backup ? (settings.backup ?? b.account.registrar) : b.account.registrar
        // The outbound proxy (when set) is the next hop for every request; the Request-URI
        // still names the registrar (GUIDE.md §9.7). An outbound proxy is an A record only.
        let hop = settings.outboundProxy.map { ProxyAddress(host: $0.host, port: $0.port ?? SIPURI.defaultPort) } ?? registrar
        locator.locateFirst(host: hop.host, port: hop.port, transport: settings.transport) { [weak self, weak b] result in
            guard let self, let b, self.bindings[n] === b else { return }
            switch result {
            case .failure(let error):
                self.log.warning("line \(n): \(registrar.host): \(error)")
                self.perform(b.machine.outcome(.noAnswer, cseq: attempt.cseq, probe: attempt.isProbe), binding: b, line: n)
            case .success(let target):
                self.send(attempt, binding: b, line: n, registrar: registrar, target: target)
            }
        }
    }

    private func send(_ attempt: LineRegistration.RegisterAttempt, binding b: Binding, line n: Int, registrar: ProxyAddress,
                      target: ServerLocation.Target) {
        guard let destination = try? SocketAddress(ipAddress: target.address, port: target.port) else {
            return perform(b.machine.outcome(.noAnswer, cseq: attempt.cseq, probe: attempt.isProbe), binding: b, line: n)
        }
        guard !isOwnAddress(destination) else {
            return perform(b.machine.abandon("\(target) is this phone's own SIP address"), binding: b, line: n)
        }
        if !attempt.isProbe {
            b.proxyInUse = "\(registrar.host):\(settings.outboundProxy == nil ? target.port : registrar.port ?? SIPURI.defaultPort)"
        }
        let contact = contact(toward: destination)
        let request = RegisterRequest(account: b.account, registrar: registrar, callID: b.callID, fromTag: b.fromTag,
                                      cseq: attempt.cseq, expires: attempt.expires, contact: contact,
                                      transport: target.transport, maxForwards: settings.maxForwards,
                                      challenge: attempt.challenge, isProxyChallenge: attempt.isProxyChallenge,
                                      userAgent: endpoint.userAgent)
        let sent = endpoint.request(request.message.serialize(), branch: request.branch, to: destination,
                                    over: target.transport) { [weak self, weak b] event in
            guard let self, let b, self.bindings[n] === b else { return }
            let response: SIPMessage?
            switch event {
            case .provisional: return
            case .final(let r): response = r
            case .timedOut, .transportError: response = nil
            }
            let moved = response.map { self.nat.learn(from: $0, transport: target.transport, advertised: contact) } ?? false
            let outcome = LineRegistration.Outcome(response, user: b.account.user, contact: contact)
            self.perform(b.machine.outcome(outcome, cseq: attempt.cseq, probe: attempt.isProbe), binding: b, line: n)
            // Registered under an address the registrar says is not ours: register the right one now.
            if moved, b.machine.state == .registered, case .response(200...299, _, _, _) = outcome {
                self.perform(b.machine.timerFired(.refresh), binding: b, line: n)
            }
        }
        if !sent { perform(b.machine.outcome(.noAnswer, cseq: attempt.cseq, probe: attempt.isProbe), binding: b, line: n) }
    }
}
