/// A server transaction (RFC 3261 §17.2): one received request, the responses the TU sends,
/// and their retransmissions. INVITE rules (§17.2.1: timers G, H, I; ACK absorbed) as RFC 6026
/// amends them (a 2xx moves to Accepted for timer L: retransmitted INVITEs are absorbed, the
/// TU's retransmitted 2xx pass through, ACKs for the 2xx go to the TU) and non-INVITE rules
/// (§17.2.2: timer J). Sans-I/O.
public struct ServerTransaction<Message: Sendable>: Sendable {
    public enum State: String, Sendable { case trying, proceeding, completed, confirmed, accepted, terminated }

    public let isInvite: Bool
    public let reliable: Bool
    public let timers: TransactionTimers
    public private(set) var state: State
    private var lastResponse: Message?
    private var interval: Duration

    public init(isInvite: Bool, reliable: Bool, timers: TransactionTimers) {
        self.isInvite = isInvite
        self.reliable = reliable
        self.timers = timers
        self.state = isInvite ? .proceeding : .trying
        self.interval = timers.t1
    }

    /// The request arrived again (a retransmission): answer with the last response, if any.
    public mutating func requestRetransmitted() -> [TransactionAction<Message>] {
        switch state {
        case .proceeding, .completed: return lastResponse.map { [.send($0)] } ?? []
        default: return []
        }
    }

    /// The TU answers with `response` of `status`.
    public mutating func respond(_ response: Message, status: Int) -> [TransactionAction<Message>] {
        switch (state, status) {
        case (.trying, 100...199), (.proceeding, 100...199):
            state = .proceeding
            lastResponse = response
            return [.send(response)]
        case (.proceeding, 200...299) where isInvite:
            // RFC 6026 §7.1: Accepted for 64·T1 (timer L); the TU retransmits the 2xx until
            // its ACK arrives, and those retransmissions are sent from here.
            state = .accepted
            return [.send(response), .arm(.l, timers.transactionTimeout)]
        case (.accepted, 200...299):
            return [.send(response)]
        case (.proceeding, 300...699) where isInvite:
            state = .completed
            lastResponse = response
            var actions: [TransactionAction<Message>] = [.send(response)]
            if !reliable { actions.append(.arm(.g, timers.t1)) }
            actions.append(.arm(.h, timers.transactionTimeout))
            return actions
        case (.trying, 200...699), (.proceeding, 200...699):
            state = .completed
            lastResponse = response
            if reliable {
                state = .terminated
                return [.send(response), .terminated]
            }
            return [.send(response), .arm(.j, timers.transactionTimeout)]
        default:
            return []
        }
    }

    /// An ACK for a non-2xx final response (INVITE only).
    public mutating func ackReceived() -> [TransactionAction<Message>] {
        guard isInvite, state == .completed else { return [] }
        state = .confirmed
        if reliable {
            state = .terminated
            return [.cancel(.g), .cancel(.h), .terminated]
        }
        return [.cancel(.g), .cancel(.h), .arm(.i, timers.t4)]
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction<Message>] {
        switch (timer, state) {
        case (.g, .completed):
            guard let r = lastResponse else { return [] }
            interval = min(interval * 2, timers.t2)
            return [.send(r), .arm(.g, interval)]
        case (.h, .completed):
            state = .terminated
            return [.cancel(.g), .timedOut, .terminated]
        case (.i, .confirmed), (.j, .completed), (.l, .accepted):
            state = .terminated
            return [.terminated]
        default:
            return []
        }
    }
}
