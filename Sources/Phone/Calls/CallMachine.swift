/// One call as a pure state machine (GUIDE.md §10.1, §10.4, §10.17, §11.3): key events from the
/// user (`test key`, `test offhook`), SIP events from the call's signalling, and its digit
/// timer in; what to play, send and show out. The owner (`PhoneCalls`) performs the actions
/// and feeds back the events; no clock or I/O here, so every transition is a unit test.
public struct CallMachine: Sendable {
    public enum Direction: String, Sendable { case outgoing, incoming }

    /// The tones of the call states (the owner maps them to Media's tone plan).
    public enum CallTone: Sendable, Equatable {
        case dial, secondaryDial(String), ringback, busy, reorder
    }

    public enum Action: Sendable, Equatable {
        /// Play `tone` into the handset (nil: stop the tone).
        case tone(CallTone?)
        /// Start or stop the ringer.
        case ring(Bool)
        case armDigitTimer(seconds: Int)
        case cancelDigitTimer
        /// Send the INVITE for this number.
        case invite(DialStep)
        /// Cancel the INVITE in progress (§9.1): the call is gone for the user, the
        /// signalling waits for the 487 (or ends on its own).
        case cancelInvite
        /// BYE the established call.
        case hangUp
        /// Answer the incoming call (200 with SDP).
        case answer
        /// Decline the incoming call with this status.
        case reject(Int)
        /// A digit keyed during the call (RFC 4733 or in-band).
        case sendDigit(Character)
        /// The status line.
        case status(String)
        /// The call is over: forget it.
        case ended
    }

    /// The SIP events the signalling reports.
    public enum SignalEvent: Sendable, Equatable {
        /// 1xx: `earlyMedia` when it carried SDP (183).
        case provisional(status: Int, earlyMedia: Bool)
        case answered
        /// A final failure (4xx–6xx, or no answer: 408) with its reason phrase.
        case failed(status: Int, reason: String)
        /// BYE from the far end.
        case remoteHangUp
        /// CANCEL of the incoming INVITE.
        case remoteCancel
    }

    public let direction: Direction
    public private(set) var state: CallState
    /// Digits keyed so far (outgoing, before the INVITE).
    public private(set) var digits = ""
    /// What was dialled (after the dial plan's rewrite).
    public private(set) var dialed: DialStep?
    public private(set) var statusLine = ""
    private let plan: DialPlanning

    /// A call that starts off hook: dial tone.
    public static func offHook(plan: DialPlanning) -> (CallMachine, [Action]) {
        var m = CallMachine(direction: .outgoing, state: .offHook, plan: plan)
        let actions = [.tone(.dial)] + m.show("Enter number")
        return (m, actions)
    }

    /// An incoming call alerting: the ringer.
    public static func incoming(from caller: String, plan: DialPlanning) -> (CallMachine, [Action]) {
        var m = CallMachine(direction: .incoming, state: .ringing, plan: plan)
        let actions = [.ring(true)] + m.show("From \(caller)")
        return (m, actions)
    }

    /// Straight to the INVITE (Redial, a speed dial): off hook and dialled at once.
    public static func dialing(_ step: DialStep, plan: DialPlanning) -> (CallMachine, [Action]) {
        var m = CallMachine(direction: .outgoing, state: .offHook, plan: plan)
        let actions = m.place(step)
        return (m, actions)
    }

    private init(direction: Direction, state: CallState, plan: DialPlanning) {
        self.direction = direction
        self.state = state
        self.plan = plan
    }

    // MARK: the user

    public mutating func digit(_ c: Character) -> [Action] {
        switch state {
        case .offHook, .dialing:
            let first = state == .offHook
            state = .dialing
            digits.append(c)
            return (first ? [.tone(nil)] : []) + follow(plan.decide(digits))
        case .connected:
            return [.sendDigit(c)]
        default:
            return []
        }
    }

    /// `<<`: the last digit off again.
    public mutating func backspace() -> [Action] {
        guard state == .dialing, !digits.isEmpty else { return [] }
        digits.removeLast()
        if digits.isEmpty {
            state = .offHook
            return [.cancelDigitTimer, .tone(.dial)] + show("Enter number")
        }
        return follow(plan.decide(digits))
    }

    /// The Dial soft key: what the plan makes of the digits now, as if the timer had run out.
    public mutating func dialKey() -> [Action] {
        guard state == .dialing else { return [] }
        return follow(plan.timedOut(digits), forced: true)
    }

    public mutating func digitTimerFired() -> [Action] {
        guard state == .dialing else { return [] }
        return follow(plan.timedOut(digits), forced: true)
    }

    /// On hook or EndCall: whatever the call is doing ends for the user.
    public mutating func hangUp() -> [Action] {
        let before = state
        state = .released
        switch before {
        case .offHook, .dialing, .released:
            return [.cancelDigitTimer, .tone(nil), .ended]
        case .proceeding, .ringback, .earlyMedia:
            return [.tone(nil), .cancelInvite, .ended]
        case .connected:
            return [.tone(nil), .hangUp, .ended]
        case .ringing:
            return [.ring(false), .reject(486), .ended]
        }
    }

    /// Off hook or Answer while ringing.
    public mutating func answer() -> [Action] {
        guard state == .ringing else { return [] }
        state = .connected
        return [.ring(false), .answer] + show("Connected")
    }

    // MARK: the signalling

    public mutating func signal(_ event: SignalEvent) -> [Action] {
        switch (event, state) {
        case (.provisional(let status, let early), .proceeding), (.provisional(let status, let early), .ringback),
             (.provisional(let status, let early), .earlyMedia):
            if early {
                // 183 with SDP: the far end's audio is played instead of local ring-back.
                guard state != .earlyMedia else { return [] }
                state = .earlyMedia
                return [.tone(nil)] + show("Ring out")
            }
            guard status == 180, state == .proceeding else { return [] }
            state = .ringback
            return [.tone(.ringback)] + show("Ring out")
        case (.answered, .proceeding), (.answered, .ringback), (.answered, .earlyMedia):
            state = .connected
            return [.tone(nil)] + show("Connected")
        case (.failed(let status, let reason), .proceeding), (.failed(let status, let reason), .ringback),
             (.failed(let status, let reason), .earlyMedia):
            state = .released
            // 486, 600 and 603 are busy (GUIDE.md §9.3); every other failure is reorder.
            let busy = status == 486 || status == 600 || status == 603
            return [.tone(busy ? .busy : .reorder)] + show(busy ? "Busy" : "\(status) \(reason)")
        // A CANCEL after the user answered but before the 200 went (the stream was still being
        // opened): the INVITE got its 487, the call is over.
        case (.remoteHangUp, .connected), (.remoteHangUp, .earlyMedia), (.remoteHangUp, .ringback), (.remoteHangUp, .proceeding),
             (.remoteCancel, .connected):
            state = .released
            return [.tone(nil)] + show("Call ended") + [.ended]
        case (.remoteCancel, .ringing), (.remoteHangUp, .ringing):
            state = .released
            return [.ring(false)] + show("Missed call") + [.ended]
        default:
            return []
        }
    }

    // MARK: helpers

    private mutating func follow(_ step: DialStep, forced: Bool = false) -> [Action] {
        switch step.action {
        case .collect(let timeout):
            if forced { return place(step) }
            return [.cancelDigitTimer] + (timeout.map { [.armDigitTimer(seconds: $0)] } ?? []) + show(digits)
        case .secondaryTone(let name, let timeout):
            return [.cancelDigitTimer, .tone(.secondaryDial(name))] + (timeout.map { [.armDigitTimer(seconds: $0)] } ?? [])
                + show(digits)
        case .dial:
            return place(step)
        case .noMatch:
            state = .released
            return [.cancelDigitTimer, .tone(.reorder)] + show("Unknown number")
        }
    }

    private mutating func place(_ step: DialStep) -> [Action] {
        guard !step.number.isEmpty else {
            state = .released
            return [.cancelDigitTimer, .tone(.reorder)] + show("Unknown number")
        }
        state = .proceeding
        dialed = step
        return [.cancelDigitTimer, .tone(nil), .invite(step)] + show("Calling \(step.number)")
    }

    private mutating func show(_ text: String) -> [Action] {
        statusLine = text
        return [.status(text)]
    }
}
