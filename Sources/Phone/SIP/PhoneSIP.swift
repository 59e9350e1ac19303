import TextUtilities
import Diagnostics
import Logging
import Provisioning
import Scheduling
import SIPStack

/// The phone's SIP stack on its loop: the endpoint (transports, transactions, handlers) and
/// the lines' registrations, configured from the typed `SIPSettings` after each boot.
@PhoneLoop
public final class PhoneSIP {
    public nonisolated let endpoint: SIPEndpoint
    public nonisolated let registrations: RegistrationManager
    public nonisolated let calls: PhoneCalls
    private let address: String
    /// A farm phone's own SIP port (`--farm-sip-port` + n − 1), in place of `voip_control_port`.
    private let fixedPort: Int?
    /// The port the endpoint is bound to.
    private var boundPort: Int?
    private let log = Logger.category(.sipTask)

    /// `address` is the local address the transports bind (`--sip-address`); `audio` the
    /// handset and the calls' RTP streams. `port`, when given, is bound whatever
    /// `voip_control_port` says (a farm phone's); `resolver` is the phone's one DNS resolver
    /// (one c-ares channel, one cache) for the registrations and the calls alike — a farm's
    /// phones all share one.
    public init(address: String, audio: any PhoneAudio, timers: any Timers = LoopTimers(loop: PhoneLoop.loop),
                port: Int? = nil, resolver: DNSResolver = DNSResolver()) {
        self.address = address
        fixedPort = port
        endpoint = SIPEndpoint(timers: timers)
        let defaults = Configuration()
        registrations = RegistrationManager(endpoint: endpoint, locator: ServerLocation(resolver: resolver),
                                            settings: Self.registration(SIPSettings(defaults)))
        calls = PhoneCalls(context: CallContext(endpoint: endpoint, registrations: registrations, audio: audio,
                                                sip: SIPSettings(defaults), media: CallSettings(defaults)))
    }

    /// Binds (or moves to a new `voip_control_port`), then hands the lines and settings to
    /// the registrations; with `proxy_register` the lines not yet registered register.
    public func apply(_ s: SIPSettings, calls callSettings: CallSettings, plan: DialPlanning) async {
        let port = fixedPort ?? s.controlPort
        if boundPort != port {
            do {
                if boundPort != nil {
                    // The Contact changes with the port: remove the bindings at the old one first.
                    await registrations.unregisterAll()
                    try await endpoint.rebind(host: address, port: port)
                } else {
                    try await endpoint.start(host: address, port: port)
                }
                boundPort = port
                log.info("SIP on udp and tcp \(address):\(port)")
            } catch {
                log.error("SIP cannot bind \(address):\(port): \(error)")
                return
            }
        }
        endpoint.setTimers(Self.timers(s))
        let accounts = LineAccounts.accounts(s)
        registrations.configure(accounts, settings: Self.registration(s), dnsServers: s.dnsServers)
        calls.configure(accounts: accounts, sip: s, media: callSettings, plan: plan)
        if s.registerAtBoot { registrations.registerAll() }
    }

    /// NOTIFY outside a dialog with `Event: check-sync` (GUIDE.md §7.4, §9.10): answered 200
    /// and handed to `handler` (the phone re-reads its files when idle); any other event 489
    /// Bad Event (RFC 6665 §8.3.1: the phone subscribes to nothing else out of dialog). The 200
    /// is (unverified) in the guide, which documents no authentication challenge in 7.x.
    public func onCheckSync(_ handler: @escaping @PhoneLoop (String) -> Void) {
        endpoint.handle("NOTIFY") { [log] request in
            let header = request.message.value("Event") ?? request.message.value("o") ?? ""
            let event = header.split(separator: ";").first.map { String($0.trimmingWSP()) } ?? ""
            guard event.lowercased() == "check-sync" else {
                log.info("NOTIFY with Event '\(header)' from \(request.source): 489 Bad Event")
                request.respond(code: 489, reason: "Bad Event")
                return
            }
            request.respond(code: 200)
            handler("\(request.source.ipAddress ?? "\(request.source)"):\(request.source.port ?? 0)")
        }
    }

    /// Whether a call is set up, ringing or being dialled (check-sync waits for idle).
    public var isBusy: Bool { !calls.info().isEmpty || calls.offHook }

    public func stop() async {
        calls.hangUpAll()
        await registrations.unregisterAll()
        await endpoint.stop()
        boundPort = nil
    }

    static func registration(_ s: SIPSettings) -> RegistrationSettings {
        RegistrationSettings(expires: s.registerExpires, delta: s.registerDelta,
                             backup: s.backupProxy.map { ProxyAddress(host: $0.host, port: $0.port) },
                             maxForwards: s.maxForwards, transport: s.transport == .tcp ? .tcp : .udp,
                             outboundProxy: s.outboundProxy.map { ProxyAddress(host: $0.host, port: $0.port) },
                             nat: NATSettings(enabled: s.natEnabled, address: s.natAddress,
                                              receivedProcessing: s.natReceivedProcessing))
    }

    static func timers(_ s: SIPSettings) -> TransactionTimers {
        TransactionTimers(t1: .milliseconds(s.t1Milliseconds), t2: .milliseconds(s.t2Milliseconds),
                          maxRetransmissions: s.retransmissions, maxInviteRetransmissions: s.inviteRetransmissions)
    }
}
