/// The registration of one line with its registrar (GUIDE.md §9.7; RFC 3261 §10), as a
/// sans-I/O state machine. It decides what to send and when; the owner builds the REGISTER
/// from a `RegisterAttempt`, runs it through a client transaction, and feeds back the outcome.
///
/// Rules encoded here:
/// - Expires = `timer_register_expires`; refresh `timer_register_delta` seconds before the
///   granted expiry (half the expiry when the delta does not fit).
/// - 401/407: answered once per challenge with digest credentials; a second challenge that
///   is not `stale` means the credentials are wrong: the line fails and retries later.
/// - 423 Interval Too Brief: retried at once with the registrar's Min-Expires.
/// - No answer (transaction time-out) from the primary with a backup configured: fail over to
///   the backup, and keep probing the primary; when it answers again, return to it.
///   (Whether REGISTER fails over is (unverified) in the guide; doing it matches its INVITE
///   rule and the issue's "return to the primary".)
/// - Other failures: retry after a growing delay (30 s doubling to 10 min).
public struct LineRegistration: Sendable {
    public enum Server: String, Sendable, Equatable { case primary, backup }

    public enum State: String, Sendable, Equatable {
        case idle = "IDLE", registering = "REGISTERING", registered = "REGISTERED"
        case unregistering = "UNREGISTERING", failed = "FAILED"
    }

    public enum Timer: String, Sendable, Hashable { case refresh, retry, probePrimary }

    /// What the owner must send: a REGISTER to `server` with these values.
    public struct RegisterAttempt: Sendable, Equatable {
        public let server: Server
        public let cseq: Int
        public let expires: Int
        /// The challenge to answer (with `isProxy` telling Authorization from Proxy-Authorization).
        public let challenge: DigestAuthentication.Challenge?
        public let isProxyChallenge: Bool
        /// True for the probe of the primary while registered at the backup.
        public let isProbe: Bool
    }

    public enum Action: Sendable, Equatable {
        case send(RegisterAttempt)
        case arm(Timer, Duration)
        case cancel(Timer)
        case stateChanged(State, reason: String)
    }

    /// The outcome of one REGISTER transaction.
    public enum Outcome: Sendable, Equatable {
        /// A final response; `expires` is what the registrar granted for our contact.
        case response(status: Int, expires: Int?, challenge: DigestAuthentication.Challenge?, minExpires: Int?)
        /// No final response (timer F) or a transport error.
        case noAnswer
    }

    public struct Settings: Sendable, Equatable {
        public var expires: Int
        public var delta: Int
        public var hasBackup: Bool
        public var primaryProbeInterval: Duration
        public var firstRetry: Duration
        public var maxRetry: Duration

        public init(expires: Int = 3600, delta: Int = 5, hasBackup: Bool = false,
                    primaryProbeInterval: Duration = .seconds(60), firstRetry: Duration = .seconds(30),
                    maxRetry: Duration = .seconds(600)) {
            self.expires = expires
            self.delta = delta
            self.hasBackup = hasBackup
            self.primaryProbeInterval = primaryProbeInterval
            self.firstRetry = firstRetry
            self.maxRetry = maxRetry
        }
    }

    public private(set) var settings: Settings
    public private(set) var state: State = .idle
    public private(set) var server: Server = .primary
    public private(set) var cseq = 0
    /// Seconds the registrar granted at the last success.
    public private(set) var granted: Int?
    public private(set) var lastStatus: Int?
    /// Credentials were sent with the last attempt (the A of `show register`'s APR flags).
    public private(set) var sentCredentials = false
    private var expiresToAsk: Int
    private var answeredNonce: String?
    private var retryDelay: Duration
    private var probeEvery: Duration
    /// The CSeq of the REGISTER whose answer the line waits for, and of the probe in flight:
    /// both draw from one CSeq sequence (one Call-ID), so each is matched on its own.
    private var awaiting: Int?
    private var awaitingProbe: Int?

    public init(settings: Settings) {
        self.settings = settings
        self.expiresToAsk = settings.expires
        self.retryDelay = settings.firstRetry
        self.probeEvery = settings.primaryProbeInterval
    }

    // MARK: events

    /// New settings (a reconfiguration): a line that is registered, registering or waiting to
    /// retry registers again at once with them, so a new expiry, delta or backup reaches it;
    /// an idle or unregistering line keeps them for its next start. `restart` re-registers
    /// even when only what the owner builds the REGISTER from changed (transport, outbound
    /// proxy, NAT address).
    public mutating func reconfigure(_ new: Settings, restart: Bool = false) -> [Action] {
        guard new != settings || restart else { return [] }
        settings = new
        if !new.hasBackup, server == .backup { server = .primary }
        switch state {
        case .registered, .registering, .failed:
            return start()
        case .idle, .unregistering:
            expiresToAsk = new.expires
            return []
        }
    }

    /// Start (or restart, `register 1 N`) registering at the primary.
    public mutating func start() -> [Action] {
        server = .primary
        answeredNonce = nil
        retryDelay = settings.firstRetry
        expiresToAsk = settings.expires
        return [.cancel(.refresh), .cancel(.retry), .cancel(.probePrimary)] + attempt(.registering, "registering")
    }

    /// Remove the binding (`register 0 N`, shutdown).
    public mutating func unregister() -> [Action] {
        guard state != .idle else { return [] }
        answeredNonce = nil
        cseq += 1
        awaiting = cseq
        sentCredentials = false
        state = .unregistering
        return [.cancel(.refresh), .cancel(.retry), .cancel(.probePrimary),
                .stateChanged(.unregistering, reason: "unregistering"),
                .send(RegisterAttempt(server: server, cseq: cseq, expires: 0, challenge: nil, isProxyChallenge: false, isProbe: false))]
    }

    /// Gives up without retrying: a registrar the phone must not register with (its own
    /// address). The line stays failed until it is started again.
    public mutating func abandon(_ reason: String) -> [Action] {
        state = .failed
        granted = nil
        awaiting = nil
        awaitingProbe = nil
        return [.cancel(.refresh), .cancel(.retry), .cancel(.probePrimary), .stateChanged(.failed, reason: reason)]
    }

    public mutating func timerFired(_ timer: Timer) -> [Action] {
        switch timer {
        case .refresh, .retry:
            guard state == .registered || state == .failed else { return [] }
            answeredNonce = nil
            return attempt(.registering, timer == .refresh ? "refreshing" : "retrying")
        case .probePrimary:
            guard server == .backup, state == .registered else { return [] }
            cseq += 1
            awaitingProbe = cseq
            return [.send(RegisterAttempt(server: .primary, cseq: cseq, expires: settings.expires, challenge: nil,
                                          isProxyChallenge: false, isProbe: true))]
        }
    }

    /// The outcome of the transaction of the attempt with `cseq` (older ones are ignored).
    public mutating func outcome(_ outcome: Outcome, cseq answered: Int, probe: Bool = false) -> [Action] {
        if probe {
            guard answered == awaitingProbe else { return [] }
            awaitingProbe = nil
            return probeOutcome(outcome)
        }
        guard answered == awaiting else { return [] }
        awaiting = nil
        if state == .unregistering {
            // The registrar challenges the removal like any REGISTER: answer once.
            if case .response(let status, _, let challenge?, _) = outcome, status == 401 || status == 407,
               answeredNonce == nil || challenge.stale {
                answeredNonce = challenge.nonce
                cseq += 1
                awaiting = cseq
                sentCredentials = true
                return [.send(RegisterAttempt(server: server, cseq: cseq, expires: 0, challenge: challenge,
                                              isProxyChallenge: status == 407, isProbe: false))]
            }
            state = .idle
            granted = nil
            if case .response(let status, _, _, _) = outcome { lastStatus = status }
            return [.stateChanged(.idle, reason: "unregistered")]
        }
        switch outcome {
        case .noAnswer:
            lastStatus = nil
            if server == .primary && settings.hasBackup {
                server = .backup
                answeredNonce = nil
                return attempt(.registering, "primary proxy did not answer; trying the backup proxy")
            }
            return fail("\(server == .primary ? "proxy" : "backup proxy") did not answer")
        case .response(let status, let expires, let challenge, let minExpires):
            lastStatus = status
            switch status {
            case 200...299:
                let g = max(1, expires ?? expiresToAsk)
                granted = g
                retryDelay = settings.firstRetry
                state = .registered
                let refresh = g > settings.delta * 2 ? g - settings.delta : max(1, g / 2)
                var actions: [Action] = [.stateChanged(.registered, reason: "registered at the \(server.rawValue) proxy for \(g) s"),
                                         .arm(.refresh, .seconds(refresh))]
                // While on the backup, the primary is tried again every probe interval, or
                // twice per refresh interval when that is shorter.
                if server == .backup {
                    // halfway to the refresh, so the probe never meets the refresh itself
                    probeEvery = min(settings.primaryProbeInterval, .seconds(max(1, refresh / 2)))
                    actions.append(.arm(.probePrimary, probeEvery))
                }
                return actions
            case 401, 407:
                guard let challenge else { return fail("\(status) without a challenge") }
                if answeredNonce != nil && !challenge.stale {
                    return fail("\(status): credentials refused (check line authname/password)")
                }
                answeredNonce = challenge.nonce
                return attempt(.registering, "answering the \(status) challenge", challenge: challenge, proxy: status == 407)
            case 423:
                guard let m = minExpires, m > expiresToAsk else { return fail("423 without a usable Min-Expires") }
                expiresToAsk = m
                return attempt(.registering, "423: asking for \(m) s")
            default:
                return fail("\(status) from the \(server.rawValue) proxy")
            }
        }
    }

    // MARK: helpers

    private mutating func probeOutcome(_ outcome: Outcome) -> [Action] {
        if case .response(let status, _, let challenge, _) = outcome {
            if status == 401 || status == 407, let challenge {
                cseq += 1
                awaitingProbe = cseq
                return [.send(RegisterAttempt(server: .primary, cseq: cseq, expires: settings.expires, challenge: challenge,
                                              isProxyChallenge: status == 407, isProbe: true))]
            }
            if (200...299).contains(status) {
                // The primary is back: register there for real (and let the backup binding lapse).
                server = .primary
                answeredNonce = nil
                return [.cancel(.probePrimary), .cancel(.refresh)] + attempt(.registering, "primary proxy answers again; returning to it")
            }
        }
        return [.arm(.probePrimary, probeEvery)]
    }

    private mutating func attempt(_ newState: State, _ reason: String, challenge: DigestAuthentication.Challenge? = nil,
                                  proxy: Bool = false) -> [Action] {
        cseq += 1
        awaiting = cseq
        awaitingProbe = nil
        state = newState
        sentCredentials = challenge != nil
        return [.stateChanged(newState, reason: reason),
                .send(RegisterAttempt(server: server, cseq: cseq, expires: expiresToAsk, challenge: challenge,
                                      isProxyChallenge: proxy, isProbe: false))]
    }

    private mutating func fail(_ reason: String) -> [Action] {
        state = .failed
        granted = nil
        answeredNonce = nil
        let delay = retryDelay
        retryDelay = min(retryDelay * 2, settings.maxRetry)
        return [.cancel(.refresh), .stateChanged(.failed, reason: reason), .arm(.retry, delay)]
    }
}
