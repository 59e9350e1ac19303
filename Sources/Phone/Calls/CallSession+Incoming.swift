import NIOCore
import Scheduling
import SDP
import SIPMessage
import SIPStack

/// The incoming side of a call (GUIDE.md §10.1): 180 while the ringer plays, 200 with the SDP
/// answer when the user answers, retransmitted until its ACK (RFC 3261 §13.3.1.4, RFC 6026),
/// 487 on CANCEL, a rejection status when declined.
extension CallSession {
    /// Takes the INVITE: the dialog (early, with the 180's tag), the SDP answer prepared (a
    /// malformed offer is 400, no common codec 488, before the phone rings).
    /// False when the INVITE was answered with a failure here.
    func take(_ request: ServerRequest) -> Bool {
        incoming = request
        remoteParty = (try? request.message.from())?.uri.user ?? "unknown"
        var offer: SDPSession?
        if !request.message.body.isEmpty {
            do {
                let parsed = try SDPSession(parsing: request.message.body)
                // Checked against the phone's codecs before it rings: 488 when nothing fits.
                var probe = context.offerAnswer(local: LocalMediaAddress(address: "0.0.0.0", port: 0))
                _ = try probe.answer(offer: parsed)
                offer = parsed
            } catch let error as SDPError {
                request.respond(code: 400, reason: "Bad Request", headers: [("Warning", "399 deskphone \"SDP: \(error)\"")])
                return false
            } catch let error as OfferAnswerError {
                request.respond(code: error.statusCode, reason: error.reasonPhrase,
                                headers: [("Warning", error.warningValue(agent: "deskphone"))])
                return false
            } catch {
                request.respond(code: 500)
                return false
            }
        }
        guard let d = try? Dialog(receivedRequest: request.message, localTag: request.localTag) else {
            request.respond(code: 400, reason: "Bad Request")
            return false
        }
        dialog = d
        context.endpoint.handle(dialog: d.id) { [weak self] in self?.inDialog($0) }
        request.onCancel = { [weak self] in
            guard let self else { return }
            request.respond(code: 487, reason: "Request Terminated")
            self.signal(.remoteCancel)
        }
        var ringing = request.response(code: 180)
        addContact(&ringing, toward: request.source)
        request.respond(ringing)
        // The stream's port goes in the answer: bound while the phone rings.
        Task { @PhoneLoop [weak self] in
            guard let self, await self.openStream() != nil, var oa = self.offerAnswer else { return }
            if let offer, let (answer, negotiated) = try? oa.answer(offer: offer) {
                self.pendingAnswer = (answer.bytes, negotiated)
            }
            self.offerAnswer = oa
            if self.answerWhenReady { self.answerIncoming() }
        }
        return true
    }

    func addContact(_ response: inout SIPMessageBuilder, toward source: SocketAddress) {
        let contact = context.registrations.contact(toward: source)
        response.add("Contact", "<sip:\(account?.user ?? "deskphone")@\(contact.host):\(contact.port)>")
        response.add("User-Agent", context.userAgent)
    }

    /// 200 with the SDP answer (or an offer, when the INVITE had none), resent at T1, 2·T1 …
    /// T2 until the ACK; no ACK within 64·T1 ends the call with a BYE.
    func answerIncoming() {
        guard let request = incoming, !request.isFinallyAnswered else { return }
        guard stream != nil else {
            answerWhenReady = true   // the stream is still being bound
            return
        }
        answerWhenReady = false
        var ok = request.response(code: 200)
        addContact(&ok, toward: request.source)
        ok.add("Allow", context.endpoint.allowed)
        ok.add("Content-Type", "application/sdp")
        if let (answer, negotiated) = pendingAnswer {
            ok.body = answer
            stream?.apply(negotiated)
        } else if var oa = offerAnswer {
            ok.body = oa.makeOffer().bytes   // offer in the 200, answer in the ACK
            offerAnswer = oa
        }
        pendingAnswer = nil
        if var d = dialog {
            d.responded(with: 200, to: request.message)
            dialog = d
        }
        connectedAt = context.timers.now
        request.respond(ok)
        retransmit(ok, request: request, interval: context.transactionTimers.t1, started: context.timers.now)
    }

    private func retransmit(_ ok: SIPMessageBuilder, request: ServerRequest, interval: Duration, started: Duration) {
        // Never past 64·T1: the last wait is cut short so the call ends at 64·T1, not at the
        // next retransmission after it.
        let left = context.transactionTimers.transactionTimeout - (context.timers.now - started)
        answerRetransmission = context.timers.schedule(after: min(interval, left)) { [weak self] in
            guard let self, self.incoming === request else { return }
            if self.context.timers.now - started >= self.context.transactionTimers.transactionTimeout {
                self.log.warning("call \(self.id): no ACK for the 200 within 64·T1: ending the call")
                self.answerRetransmission = nil
                if self.byeAfterAck { return self.byeHeldForAck() }
                self.sendBye()
                self.signal(.remoteHangUp)
                return
            }
            request.respond(ok)
            self.retransmit(ok, request: request, interval: min(interval * 2, self.context.transactionTimers.t2), started: started)
        }
    }

    func rejectIncoming(_ status: Int) {
        incoming?.respond(code: status)
    }
}
