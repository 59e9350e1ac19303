import NIOCore
import Scheduling
import SDP
import SIPMessage
import SIPStack

/// The outgoing side of a call (GUIDE.md §10.4, §10.17): the INVITE with the SDP offer through
/// the line's proxy (or `proxy_emergency`, or `outbound_proxy` as next hop), every response
/// of its transaction, one digest answer, one redirect, CANCEL, and the ACK of the 2xx.
extension CallSession {
    func placeCall(_ step: DialStep) {
        guard let account else { return signal(.failed(status: 404, reason: "No line configured")) }
        remoteParty = step.number
        let proxy: ProxyAddress
        if step.emergency, let e = context.sip.emergencyProxy {
            proxy = ProxyAddress(host: e.host, port: e.port)
        } else {
            proxy = account.registrar
        }
        let uri = InviteRequest.uri(number: step.number, proxy: proxy, userParameter: step.userParameter)
        let hop = context.sip.outboundProxy.map { ProxyAddress(host: $0.host, port: $0.port) } ?? proxy
        Task { @PhoneLoop [weak self] in
            guard let self else { return }
            guard await self.openStream() != nil else { return self.signal(.failed(status: 500, reason: "No media port")) }
            guard !self.abandoned else { self.stream?.close(); return }
            self.send(to: uri, hop: hop, challenge: nil)
        }
    }

    /// Locates `hop` and sends the INVITE for `uri` there.
    func send(to uri: String, hop: ProxyAddress, challenge: (DigestAuthentication.Challenge, Bool)?) {
        guard stream != nil, var offerAnswer else {
            return signal(.failed(status: 500, reason: "No media port"))
        }
        // The retry after a challenge or a redirect carries the same offer.
        let offer = (offerAnswer.pendingOffer ?? offerAnswer.makeOffer()).bytes
        self.offerAnswer = offerAnswer
        context.locator.locateFirst(host: hop.host, port: hop.port, transport: context.transport) { [weak self] result in
            guard let self, !self.abandoned || challenge != nil else { return }
            switch result {
            case .failure(let error):
                self.log.warning("call \(self.id): \(hop.host): \(error)")
                self.signal(.failed(status: 503, reason: "Service Unavailable"))
            case .success(let target):
                guard let destination = try? SocketAddress(ipAddress: target.address, port: target.port),
                      let account = self.account else { return self.signal(.failed(status: 503, reason: "Service Unavailable")) }
                let request = InviteRequest(
                    requestURI: uri, to: self.toURI(uri), account: account, callID: self.callID, fromTag: self.localTag,
                    cseq: self.cseq, contact: self.context.registrations.contact(toward: destination),
                    transport: target.transport, maxForwards: self.context.sip.maxForwards,
                    expires: self.context.sip.inviteExpires, sdp: offer, challenge: challenge?.0,
                    isProxyChallenge: challenge?.1 ?? false, userAgent: self.context.userAgent, allow: self.context.endpoint.allowed)
                let bytes = request.message.serialize()
                self.invite = try? SIPMessage(parsing: bytes)
                self.inviteBranch = request.branch
                self.inviteDestination = (destination, target.transport)
                // The transaction holds the call until it ends: a 2xx that crosses the user's
                // CANCEL still finds it, to be ACKed and BYEd (RFC 3261 §9.1, §15).
                self.context.endpoint.request(bytes, branch: request.branch, to: destination, over: target.transport) {
                    self.inviteEvent($0, uri: uri, hop: hop)
                }
            }
        }
    }

    /// The To of an INVITE: the callee's URI as dialled.
    func toURI(_ uri: String) -> String { uri }

    func inviteEvent(_ event: TransactionLayer.ClientEvent, uri: String, hop: ProxyAddress) {
        switch event {
        case .provisional(let response):
            let status = response.statusCode ?? 100
            guard status > 100 else { return }
            // A provisional with SDP (183) answers the offer: early media (GUIDE.md §9.3).
            var early = false
            if !response.body.isEmpty, var oa = offerAnswer, oa.pendingOffer != nil,
               let sdp = try? SDPSession(parsing: response.body), let negotiated = try? oa.accept(answer: sdp) {
                offerAnswer = oa
                stream?.apply(negotiated)
                early = true
            }
            signal(.provisional(status: status, earlyMedia: early))
        case .final(let response):
            finalResponse(response, uri: uri, hop: hop)
        case .timedOut:
            signal(.failed(status: 408, reason: "Request Timeout"))
        case .transportError:
            signal(.failed(status: 503, reason: "Service Unavailable"))
        }
    }

    func finalResponse(_ response: SIPMessage, uri: String, hop: ProxyAddress) {
        guard let status = response.statusCode, let invite else { return }
        lastFinal = status
        switch status {
        case 200...299:
            accepted(response, invite: invite)
        case 401, 407:
            guard !answeredChallenge, !abandoned, let challenge = DigestAuthentication.Challenge(response: response) else {
                return signal(.failed(status: status, reason: response.reasonPhrase ?? "Unauthorized"))
            }
            // The transaction ACKed the challenge; the INVITE goes again with credentials, the
            // same Call-ID and From tag, the next CSeq (§22.2).
            answeredChallenge = true
            cseq += 1
            send(to: uri, hop: hop, challenge: (challenge, status == 407))
        case 300...399:
            // GUIDE.md §9.3: a new INVITE to the (first) Contact of the redirect.
            guard !redirected, !abandoned, let contact = try? response.parseAll().contacts.first, let host = contact.uri.host else {
                return signal(.failed(status: status, reason: response.reasonPhrase ?? "Redirected"))
            }
            redirected = true
            cseq += 1
            let target = contact.uri.text
            remoteParty = contact.uri.user ?? remoteParty
            send(to: target, hop: ProxyAddress(host: host, port: contact.uri.port), challenge: nil)
        default:
            if status == 487, abandoned { return }
            signal(.failed(status: status, reason: response.reasonPhrase ?? ""))
        }
    }

    /// A 2xx (the first, or a retransmission or another fork's, RFC 6026): the dialog, its ACK,
    /// the answer's SDP; a call the user already left is ended with a BYE.
    func accepted(_ response: SIPMessage, invite: SIPMessage) {
        if dialog == nil, let d = try? Dialog(sentRequest: invite, response: response) {
            dialog = d
            context.endpoint.handle(dialog: d.id) { [weak self] in self?.inDialog($0) }
        }
        guard let d = dialog, (try? DialogID(receivedResponse: response)) == d.id, let ack = try? d.ack(to: response) else {
            return
        }
        sendInDialog(ack)
        if connectedAt != nil || state == .connected { return }   // a retransmitted 2xx: ACKed again
        if !response.body.isEmpty, var oa = offerAnswer, oa.pendingOffer != nil,
           let sdp = try? SDPSession(parsing: response.body), let negotiated = try? oa.accept(answer: sdp) {
            offerAnswer = oa
            stream?.apply(negotiated)
        }
        if abandoned {
            sendBye()
            // The call already finished: its dialog has nothing left to take.
            context.endpoint.removeHandler(dialog: d.id)
            return
        }
        connectedAt = context.timers.now
        signal(.answered)
    }

    func cancelInvite() {
        abandoned = true
        if let branch = inviteBranch {
            context.endpoint.transactions.cancel(inviteBranch: branch)
        }
        stream?.close()
    }
}
