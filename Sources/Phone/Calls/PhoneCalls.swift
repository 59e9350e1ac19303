import Diagnostics
import Logging
import Provisioning
import Scheduling
import SIPMessage
import SIPStack

/// The calls of the phone's lines (GUIDE.md §10, §11.3): the handset and keys drive them
/// (`test offhook`, `test key`), incoming INVITEs create them. One call at a time for now:
/// a second INVITE while busy gets 486 (call waiting comes later).
@PhoneLoop
public final class PhoneCalls {
    /// One row of `show calls`.
    public struct CallInfo: Sendable {
        public let id: Int
        public let line: Int
        public let direction: CallMachine.Direction
        public let state: CallState
        public let remote: String
        public let callID: String
        public let localTag: String
        public let remoteTag: String?
        public let seconds: Int
        public let statistics: CallStreamStatistics?
    }

    /// What `test show` streams: each key event, and the status line and soft keys after
    /// every change.
    public enum Event: Sendable {
        case key(String)
        case frame(status: String, softKeys: [String])
    }

    let context: CallContext
    private var calls: [CallSession] = []
    private var nextID = 1
    private(set) public var offHook = false
    /// The number the last outgoing call dialled (Redial).
    private(set) public var lastDialed: DialStep?
    private var observers: [Int: (Event) -> Void] = [:]
    private var nextObserver = 0
    private var statusLine = ""
    private let log = Logger.category(.cc)

    init(context: CallContext) {
        self.context = context
        context.endpoint.handle("INVITE") { [weak self] in self?.incoming($0) }
    }

    /// After each boot: accounts, settings and the dial plan in force.
    func configure(accounts: [Int: SIPAccount], sip: SIPSettings, media: CallSettings, plan: DialPlanning) {
        context.accounts = accounts
        context.sip = sip
        context.media = media
        context.locator.resolver.configure(servers: sip.dnsServers)
        context.plan = plan
        context.audio.configure(ports: media.mediaPorts, dtmfLevel: media.dtmfLevel)
    }

    var current: CallSession? { calls.last }

    // MARK: the handset and the keys

    public func setOffHook(_ value: Bool) {
        notify(.key(value ? "offhook" : "onhook"))
        if value { context.audio.path = .handset }   // the handset lifted takes the call
        guard value != offHook else { return }
        offHook = value
        if value {
            if let ringing = calls.first(where: { $0.state == .ringing }) {
                ringing.answer()
            } else if current == nil {
                startCall()
            }
        } else {
            current?.hangUp()
        }
        publish()
    }

    public func press(_ key: PhoneKey) {
        notify(.key(key.description))
        switch key {
        case .digit(let c):
            if current == nil {
                offHook = true   // dialling on hook goes off hook on the speaker, as the phone does
                startCall()
            }
            current?.press(c)
        case .soft(let n):
            softKey(n)
        case .line(let n):
            if current == nil, context.accounts[n] != nil {
                offHook = true
                startCall(line: n)
            }
        case .speaker:
            press(path: .speaker)
        case .headset:
            press(path: .headset)
        case .mute:
            context.audio.muted.toggle()
            log.info("mute \(context.audio.muted ? "on" : "off")")
        case .volumeUp, .volumeDown:
            let step = key == .volumeUp ? 3 : -3
            if !offHook && (current == nil || current?.state == .ringing) {
                // On hook, ringing or idle: the keys set the ringer's level (a 7960 does the same).
                context.audio.ringerVolume = min(12, max(-12, context.audio.ringerVolume + step))
                log.info("ringer volume \(context.audio.ringerVolume) dB")
            } else {
                context.audio.gain = min(12, max(-12, context.audio.gain + step))
                log.info("handset volume \(context.audio.gain) dB")
            }
        default:
            break
        }
        publish()
    }

    /// The speaker or headset key: off hook on that path when idle, the call moved to it when
    /// it is on another, and hung up when it is already there.
    private func press(path: AudioPath) {
        guard offHook, current != nil else {
            context.audio.path = path
            offHook = true
            if let ringing = calls.first(where: { $0.state == .ringing }) { ringing.answer() } else if current == nil { startCall() }
            return
        }
        if context.audio.path == path {
            current?.hangUp()
            offHook = false
        } else {
            context.audio.path = path
        }
    }

    private func softKey(_ n: Int) {
        let keys = SoftKey.keys(for: current?.state)
        guard (1...keys.count).contains(n) else { return }
        switch keys[n - 1] {
        case .redial: redial()
        case .newCall: if current == nil { offHook = true; startCall() }
        case .endCall:
            current?.hangUp()
            offHook = false
        case .backspace: current?.backspace()
        case .dial: current?.dialKey()
        case .answer:
            // Answered on the speaker: off hook, so that on hook (or the speaker key) ends it.
            offHook = true
            current?.answer()
        default: break
        }
    }

    func redial() {
        guard current == nil, let last = lastDialed else { return }
        offHook = true
        let line = firstLine
        let (machine, actions) = CallMachine.dialing(last, plan: context.plan)
        let call = add(CallSession(id: take(), line: line, machine: machine, context: context))
        call.perform(actions)
    }

    private var firstLine: Int { context.accounts.keys.sorted().first ?? 1 }

    private func startCall(line: Int? = nil) {
        let (machine, actions) = CallMachine.offHook(plan: context.plan)
        let call = add(CallSession(id: take(), line: line ?? firstLine, machine: machine, context: context))
        call.perform(actions)
    }

    private func take() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    @discardableResult
    private func add(_ call: CallSession) -> CallSession {
        calls.append(call)
        call.ended = { [weak self] call in
            guard let self else { return }
            self.calls.removeAll { $0 === call }
            self.log.info("call \(call.id) ended")
            self.publish()
        }
        call.changed = { [weak self] call in
            if let step = call.machine.dialed, call.machine.direction == .outgoing { self?.lastDialed = step }
            self?.publish()
        }
        return call
    }

    // MARK: incoming

    private func incoming(_ request: ServerRequest) {
        // GUIDE.md §9.3, §10.1, §10.17: every new INVITE gets 100 Trying first.
        request.respond(code: 100, reason: "Trying")
        let user = request.headers.requestURI?.user ?? (try? request.message.to())?.uri.user
        guard let line = context.accounts.first(where: { $0.value.user == user })?.key else {
            return request.respond(code: 404, reason: "Not Found")
        }
        guard current == nil else {
            // One call at a time until call waiting exists (GUIDE.md §9.3: 486 when busy).
            return request.respond(code: 486, reason: "Busy Here")
        }
        let caller = (try? request.message.from())?.uri.user ?? "unknown"
        let (machine, actions) = CallMachine.incoming(from: caller, plan: context.plan)
        let call = CallSession(id: take(), line: line, machine: machine, context: context,
                               callID: request.headers.callID ?? SIPIdentifiers.callID(host: "deskphone"))
        guard call.take(request) else { return }
        add(call)
        call.perform(actions)
        log.info("call \(call.id): incoming on line \(line) from \(caller)")
    }

    // MARK: what the phone shows

    public var softKeys: [String] { SoftKey.keys(for: current?.state).map(\.rawValue) }
    public var audioStatus: String { context.audio.status }
    public var status: String { current?.machine.statusLine ?? "" }

    public func info() -> [CallInfo] {
        let now = context.timers.now
        return calls.map { c in
            CallInfo(id: c.id, line: c.line, direction: c.machine.direction, state: c.state, remote: c.remoteParty,
                     callID: c.callID, localTag: c.dialog?.localTag ?? c.localTag, remoteTag: c.dialog?.remoteTag,
                     seconds: c.connectedAt.map { Int((now - $0).components.seconds) } ?? 0, statistics: c.stream?.statistics)
        }
    }

    /// `test show`: events until `stop` is called with the returned token.
    public func observe(_ observer: @escaping (Event) -> Void) -> Int {
        nextObserver += 1
        observers[nextObserver] = observer
        observer(.frame(status: status, softKeys: softKeys))   // what the display shows now
        return nextObserver
    }

    public func stopObserving(_ token: Int) { observers[token] = nil }

    private func notify(_ event: Event) { observers.values.forEach { $0(event) } }

    /// A frame after every change (and only then).
    private func publish() {
        let frame = (status, softKeys)
        guard lastFrame?.0 != frame.0 || lastFrame?.1 != frame.1 else { return }
        lastFrame = frame
        notify(.frame(status: status, softKeys: softKeys))
    }
    private var lastFrame: (String, [String])?

    /// Ends every call (shutdown).
    func hangUpAll() {
        for call in calls { call.hangUp() }
        context.audio.close()
    }
}
