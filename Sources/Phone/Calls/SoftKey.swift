/// The soft keys of GUIDE.md §11.3, by call state, left to right (`soft1`…`soft4`).
///
/// The guide marks the off-hook order and the ringing keys unverified. The choice made here,
/// in this one place: off hook / dialling `Redial, EndCall, <<, Dial` (the guide's listed
/// order); incoming ringing `Answer, EndCall` (the reference phone's rejection key is not
/// known; EndCall rejects with 486 as a busy line would). `more` pages are not modelled yet:
/// only the first page is on the keys.
public enum SoftKey: String, Sendable, Hashable, CaseIterable {
    case redial = "Redial", newCall = "NewCall", cfwdAll = "CFwdAll", more = "more"
    case endCall = "EndCall", backspace = "<<", dial = "Dial", answer = "Answer"
    case hold = "Hold", transfer = "Transfer", resume = "Resume"

    /// The keys shown in `state`, left to right.
    public static func keys(for state: CallState?) -> [SoftKey] {
        switch state {
        case nil: [.redial, .newCall, .cfwdAll, .more]
        case .offHook, .dialing: [.redial, .endCall, .backspace, .dial]
        case .proceeding, .ringback, .earlyMedia: [.endCall]
        case .ringing: [.answer, .endCall]
        case .connected: [.hold, .endCall, .transfer, .more]
        case .released: [.endCall]
        }
    }
}

/// The states of one call (GUIDE.md §10.1, §10.4, §11.3).
public enum CallState: String, Sendable, Hashable {
    /// Off hook, dial tone, no digit yet.
    case offHook = "OFFHOOK"
    /// Digits being collected.
    case dialing = "DIALING"
    /// INVITE sent, no ringing yet.
    case proceeding = "PROCEEDING"
    /// 180: local ring-back tone.
    case ringback = "RINGOUT"
    /// 183 with SDP: the far end's early media is played.
    case earlyMedia = "EARLYMEDIA"
    /// An incoming call alerting.
    case ringing = "RINGIN"
    case connected = "CONNECTED"
    /// The call failed or the far end hung up: busy or reorder tone until on hook.
    case released = "RELEASED"
}
