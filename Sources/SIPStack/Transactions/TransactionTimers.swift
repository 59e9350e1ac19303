/// The timer values of RFC 3261 §17 (Table 4), from the phone's parameters: `timer_t1`,
/// `timer_t2` (GUIDE.md §2.2.3), and the retransmission caps `sip_retx` / `sip_invite_retx`.
public struct TransactionTimers: Sendable, Equatable {
    public var t1: Duration
    public var t2: Duration
    /// T4: how long the network keeps a message (5 s, RFC 3261).
    public var t4: Duration
    /// `sip_retx`: retransmissions of a non-INVITE request before it is left to time out.
    public var maxRetransmissions: Int
    /// `sip_invite_retx`: retransmissions of an INVITE.
    public var maxInviteRetransmissions: Int

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5),
                maxRetransmissions: Int = 10, maxInviteRetransmissions: Int = 6) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
        self.maxRetransmissions = maxRetransmissions
        self.maxInviteRetransmissions = maxInviteRetransmissions
    }

    /// Timers B, F, H, J, L and M: 64·T1.
    public var transactionTimeout: Duration { t1 * 64 }
}

/// The timers a transaction arms (RFC 3261 §17, Table 4).
public enum TransactionTimer: String, Sendable, Hashable {
    /// INVITE client: retransmit (A), give up (B), absorb retransmitted finals (D).
    case a = "A", b = "B", d = "D"
    /// INVITE client in Accepted (RFC 6026): absorb retransmitted 2xx for the TU (M).
    case m = "M"
    /// non-INVITE client: retransmit (E), give up (F), absorb retransmitted finals (K).
    case e = "E", f = "F", k = "K"
    /// INVITE server: retransmit the final (G), wait for ACK (H), absorb ACKs (I).
    case g = "G", h = "H", i = "I"
    /// INVITE server in Accepted (RFC 6026): keep the transaction for the TU's 2xx retransmissions (L).
    case l = "L"
    /// non-INVITE server: absorb retransmitted requests (J).
    case j = "J"
}

/// What a transaction asks its owner to do. `Message` is the message type the adapter uses.
public enum TransactionAction<Message: Sendable>: Sendable {
    /// Send (or send again) the transaction's request, or its last response.
    case send(Message)
    /// Send an ACK for this non-2xx final response (INVITE client, §17.1.1.3).
    case sendAck(for: Message)
    case arm(TransactionTimer, Duration)
    case cancel(TransactionTimer)
    /// A response for the transaction user (client) / a request for it (server).
    case deliver(Message)
    /// No final answer in time (timer B, F or H).
    case timedOut
    /// The transport could not send (§17.1.4).
    case transportError
    /// The transaction is over: forget it.
    case terminated
}
