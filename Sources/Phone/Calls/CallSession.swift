import Diagnostics
import Logging
import NIOCore
import Scheduling
import SDP
import SIPMessage
import SIPStack

/// One call: its state machine (`CallMachine`), its SIP signalling (the INVITE transaction,
/// the dialog, the requests in it) and its RTP stream, glued together. The machine decides;
/// this performs its actions and turns SIP and timer events into machine events.
@PhoneLoop
final class CallSession {
    /// A number `show calls` and `debug cc` know the call by.
    let id: Int
    let line: Int
    private(set) var machine: CallMachine
    let context: CallContext
    /// Told when the call is over (the owner forgets it) and after every change (`test show`).
    var ended: ((CallSession) -> Void)?
    var changed: ((CallSession) -> Void)?

    var stream: (any CallStream)?
    var offerAnswer: OfferAnswer?
    var dialog: Dialog?
    /// The far end as shown (`From …` / the number dialled).
    var remoteParty = ""
    let callID: String
    let localTag = SIPIdentifiers.tag()
    var connectedAt: Duration?
    var lastFinal: Int?

    // Outgoing
    var invite: SIPMessage?
    var inviteBranch: String?
    var inviteDestination: (address: SocketAddress, transport: ServerLocation.Transport)?
    var cseq = 1
    var answeredChallenge = false
    var redirected = false
    /// The user hung up before the answer: a late 2xx is ACKed and BYEd at once.
    var abandoned = false

    // Incoming
    var incoming: ServerRequest?
    /// The SDP answer ready for the 200, and what it negotiated.
    var pendingAnswer: ([UInt8], NegotiatedMedia)?
    var answerWhenReady = false
    /// The user hung up before the ACK of the phone's 200 arrived: BYE once it does.
    var byeAfterAck = false
    var answerRetransmission: TimerHandle?
    var digitTimer: TimerHandle?
    /// `finish()` ran: a stream that arrives after it is closed at once.
    private(set) var finished = false

    let log = Logger.category(.cc)
    let lsmLog = Logger.category(.lsm)
    let ccMsgLog = Logger.category(.ccMsg)
    let dialplanLog = Logger.category(.dialplan)
    private var reportedState: CallState?

    init(id: Int, line: Int, machine: CallMachine, context: CallContext, callID: String? = nil) {
        self.id = id
        self.line = line
        self.machine = machine
        self.context = context
        self.callID = callID ?? SIPIdentifiers.callID(host: "deskphone")
    }

    var state: CallState { machine.state }
    var account: SIPAccount? { context.accounts[line] }

    // MARK: performing the machine's actions

    func perform(_ actions: [CallMachine.Action]) {
        if state != reportedState {
            // `debug lsm`: the line's state machine (GUIDE.md §4.3).
            lsmLog.debug("LSM: line \(line) call \(id): \(reportedState?.rawValue ?? "IDLE") -> \(state.rawValue)")
            reportedState = state
        }
        for action in actions {
            log.debug("call \(id) line \(line): \(action)")
            switch action {
            case .tone(let tone): context.audio.play(tone)
            case .ring(let on): context.audio.ring(on)
            case .armDigitTimer(let seconds):
                digitTimer?.cancel()
                digitTimer = context.timers.schedule(after: .seconds(seconds)) { [weak self] in
                    guard let self else { return }
                    self.digitTimer = nil
                    self.perform(self.machine.digitTimerFired())
                }
            case .cancelDigitTimer:
                digitTimer?.cancel()
                digitTimer = nil
            case .invite(let step): placeCall(step)
            case .cancelInvite: cancelInvite()
            case .hangUp: sendBye()
            case .answer: answerIncoming()
            case .reject(let status): rejectIncoming(status)
            case .sendDigit(let digit): stream?.sendDigit(digit)
            case .status: break
            case .ended: finish()
            }
        }
        changed?(self)
    }

    func signal(_ event: CallMachine.SignalEvent) {
        // `debug cc-msg`: the events the signalling hands the call control.
        ccMsgLog.debug("CC-MSG: call \(id) line \(line): \(event) in \(state.rawValue)")
        perform(machine.signal(event))
    }

    // MARK: the user

    func press(_ digit: Character) {
        let actions = machine.digit(digit)
        dialplanLog.debug("DIALPLAN: line \(line) '\(machine.digits)': \(actions.filter(Self.isDialPlanAction))")
        perform(actions)
    }

    static func isDialPlanAction(_ a: CallMachine.Action) -> Bool {
        switch a {
        case .armDigitTimer, .invite, .tone: true
        default: false
        }
    }
    func backspace() { perform(machine.backspace()) }
    func dialKey() { perform(machine.dialKey()) }
    func hangUp() { perform(machine.hangUp()) }
    func answer() { perform(machine.answer()) }

    /// Stream closed, handlers removed, timers stopped; the owner forgets the call.
    func finish() {
        finished = true
        digitTimer?.cancel()
        if byeAfterAck, let dialog {
            // RFC 3261 §15: no BYE before the ACK of our 2xx. The call lingers, held by its
            // dialog's handler, its 200 still retransmitted, until the ACK (or 64·T1) comes.
            context.endpoint.handle(dialog: dialog.id) { request in self.inDialog(request) }
        } else {
            answerRetransmission?.cancel()
            stream?.close()
            if let dialog { context.endpoint.removeHandler(dialog: dialog.id) }
        }
        let done = ended
        ended = nil
        done?(self)
    }

    /// The BYE held back for the ACK goes now (the ACK came, or 64·T1 passed without it).
    func byeHeldForAck() {
        guard byeAfterAck else { return }
        byeAfterAck = false
        answerRetransmission?.cancel()
        answerRetransmission = nil
        sendBye()
        if finished, let dialog { context.endpoint.removeHandler(dialog: dialog.id) }
    }

    // MARK: shared SIP pieces

    /// The stream of this call, opened on first use (its port goes in the SDP).
    func openStream() async -> (any CallStream)? {
        if let stream { return stream }
        do {
            let s = try await context.audio.openStream()
            if finished { s.close(); return nil }         // the call ended meanwhile
            if let stream { s.close(); return stream }   // opened meanwhile
            stream = s
            if offerAnswer == nil { offerAnswer = context.offerAnswer(local: s.local) }
            return s
        } catch {
            log.error("call \(id): no media: \(error)")
            return nil
        }
    }

    /// Sends a request built by the dialog to its next hop: as a client transaction, or for
    /// an ACK (no `events`) as it is, outside any transaction (§13.2.2.4).
    func sendInDialog(_ built: DialogRequest, body: [UInt8] = [], contentType: String? = nil,
                      extra: [(String, String)] = [], events: (@PhoneLoop (TransactionLayer.ClientEvent) -> Void)? = nil) {
        var request = built
        let hop = built.nextHop
        let transport: ServerLocation.Transport = hop.transport.lowercased() == "tcp" ? .tcp : .udp
        context.locator.locateFirst(host: hop.host, port: hop.port, transport: transport) { [weak self] result in
            guard let self, case .success(let target) = result,
                  let destination = try? SocketAddress(ipAddress: target.address, port: target.port) else {
                events?(.transportError)
                return
            }
            let contact = self.context.registrations.contact(toward: destination)
            let branch = SIPIdentifiers.branch()
            request.addVia("SIP/2.0/\(target.transport.rawValue.uppercased()) \(contact.host):\(contact.port);branch=\(branch);rport")
            if built.method != "ACK" {
                request.message.add("Contact", "<sip:\(self.account?.user ?? "deskphone")@\(contact.host):\(contact.port)>")
            }
            for (name, value) in extra { request.message.add(name, value) }
            request.message.add("User-Agent", self.context.userAgent)
            if let contentType { request.message.add("Content-Type", contentType) }
            request.message.body = body
            let bytes = request.message.serialize()
            if let events {
                self.context.endpoint.request(bytes, branch: branch, to: destination, over: target.transport, events: events)
            } else {
                self.context.endpoint.transactions.sendStateless(bytes, to: destination, over: target.transport)
            }
        }
    }

    /// The statistics headers of GUIDE.md §9.9 when `call_stats` is 1.
    var statisticsHeaders: [(String, String)] {
        guard context.media.callStatistics, let s = stream?.statistics else { return [] }
        return [("RTP-RxStat", s.rxStat), ("RTP-TxStat", s.txStat)]
    }

    /// BYE the established call (the user hung up). The stream stays open until the BYE is
    /// answered: a far end still sending would otherwise meet a closed port (ICMP) and end
    /// the call on its own before the BYE arrives.
    func sendBye() {
        if incoming != nil, answerRetransmission != nil {
            byeAfterAck = true   // our 200 is not ACKed yet: the BYE waits for it (§15)
            return
        }
        guard var d = dialog, let bye = try? d.bye() else { return }
        dialog = d
        let headers = statisticsHeaders
        let closing = stream
        stream = nil
        sendInDialog(bye, extra: headers) { [id, log] event in
            switch event {
            case .provisional: return
            case .final(let r): log.debug("call \(id): BYE answered \(r.statusCode ?? 0)")
            case .timedOut, .transportError: log.debug("call \(id): BYE not answered")
            }
            closing?.close()
        }
    }
}
