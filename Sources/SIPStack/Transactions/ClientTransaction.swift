/// A client transaction (RFC 3261 §17.1): one request, its retransmissions over an unreliable
/// transport, and the responses that match it. One state machine serves both kinds: the
/// INVITE rules of §17.1.1 as RFC 6026 amends them (timers A, B, D, M; ACK for non-2xx finals;
/// the Accepted state, in which every retransmitted or forked 2xx still reaches the TU so that
/// the dialog layer can ACK it) and the non-INVITE rules of §17.1.2 (timers E, F, K).
/// Sans-I/O: the owner performs the actions and fires the timers.
public struct ClientTransaction<Message: Sendable>: Sendable {
    public enum State: String, Sendable { case calling, trying, proceeding, completed, accepted, terminated }

    public let isInvite: Bool
    public let reliable: Bool
    public let timers: TransactionTimers
    public let request: Message
    public private(set) var state: State
    /// Retransmissions sent so far.
    public private(set) var retransmissions = 0
    private var interval: Duration
    private var lastFinal: Message?

    public init(request: Message, isInvite: Bool, reliable: Bool, timers: TransactionTimers) {
        self.request = request
        self.isInvite = isInvite
        self.reliable = reliable
        self.timers = timers
        self.state = isInvite ? .calling : .trying
        self.interval = timers.t1
    }

    /// Sends the request and arms the timers.
    public mutating func start() -> [TransactionAction<Message>] {
        var actions: [TransactionAction<Message>] = [.send(request)]
        if !reliable { actions.append(.arm(isInvite ? .a : .e, timers.t1)) }
        actions.append(.arm(isInvite ? .b : .f, timers.transactionTimeout))
        return actions
    }

    /// A response whose branch and CSeq method matched this transaction (§17.1.3).
    public mutating func receive(_ response: Message, status: Int) -> [TransactionAction<Message>] {
        switch status {
        case 100...199:
            guard state == .calling || state == .trying || state == .proceeding else { return [] }
            var actions: [TransactionAction<Message>] = [.deliver(response)]
            if state != .proceeding {
                if isInvite { actions.append(.cancel(.a)) }   // no INVITE retransmissions once provisional
                state = .proceeding
            }
            return actions
        case 200...699 where isInvite:
            return receiveInviteFinal(response, status: status)
        case 200...699:
            guard state == .trying || state == .proceeding else { return [] }   // §17.1.2.2: absorbed
            var actions: [TransactionAction<Message>] = [.cancel(.e), .cancel(.f), .deliver(response)]
            if reliable {
                state = .terminated
                actions.append(.terminated)
            } else {
                state = .completed
                actions.append(.arm(.k, timers.t4))
            }
            return actions
        default:
            return []
        }
    }

    private mutating func receiveInviteFinal(_ response: Message, status: Int) -> [TransactionAction<Message>] {
        switch state {
        case .calling, .proceeding:
            if status < 300 {
                // RFC 6026 §8.4: a 2xx moves the transaction to Accepted for 64·T1 (timer M);
                // the TU ACKs it, and every further 2xx is passed up to be ACKed again.
                state = .accepted
                return [.cancel(.a), .cancel(.b), .deliver(response), .arm(.m, timers.transactionTimeout)]
            }
            var actions: [TransactionAction<Message>] = [.cancel(.a), .cancel(.b), .sendAck(for: response), .deliver(response)]
            if reliable {
                state = .terminated
                actions.append(.terminated)
            } else {
                state = .completed
                actions.append(.arm(.d, .seconds(32)))
            }
            return actions
        case .completed where status >= 300:
            return [.sendAck(for: response)]   // a retransmitted final: ACK again, do not deliver
        case .accepted where status < 300:
            return [.deliver(response)]        // RFC 6026 §8.4: a retransmitted or forked 2xx
        default:
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction<Message>] {
        switch (timer, state) {
        case (.a, .calling):
            guard retransmissions < timers.maxInviteRetransmissions else { return [] }
            retransmissions += 1
            interval = interval * 2   // §17.1.1.2: A doubles, no cap
            return [.send(request), .arm(.a, interval)]
        case (.e, .trying), (.e, .proceeding):
            guard retransmissions < timers.maxRetransmissions else { return [] }
            retransmissions += 1
            // §17.1.2.2: E doubles up to T2 while Trying; T2 once Proceeding.
            interval = state == .proceeding ? timers.t2 : min(interval * 2, timers.t2)
            return [.send(request), .arm(.e, interval)]
        case (.b, .calling), (.f, .trying), (.f, .proceeding):
            state = .terminated
            return [.cancel(.a), .cancel(.e), .timedOut, .terminated]
        case (.b, .proceeding):
            // RFC 3261 leaves a proceeding INVITE to the TU (timer C is a proxy's): keep waiting.
            return []
        case (.d, .completed), (.k, .completed), (.m, .accepted):
            state = .terminated
            return [.terminated]
        default:
            return []
        }
    }

    /// The transport failed to send the request (§17.1.4).
    public mutating func transportFailed() -> [TransactionAction<Message>] {
        guard state != .terminated else { return [] }
        state = .terminated
        return [.cancel(.a), .cancel(.b), .cancel(.e), .cancel(.f), .cancel(.m), .transportError, .terminated]
    }
}
