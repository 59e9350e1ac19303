import Scheduling
import SDP
import SIPMessage
import SIPStack

/// Requests within the call's dialog (RFC 3261 §12.2.2): the ACK of our 2xx, BYE (answered 200
/// with the statistics headers of GUIDE.md §9.9), re-INVITE and UPDATE (session and target
/// refresh, hold: a sendonly offer is answered recvonly and the phone stops sending).
extension CallSession {
    func inDialog(_ request: ServerRequest) {
        guard var d = dialog else { return request.respond(code: 481, reason: "Call/Transaction Does Not Exist") }
        if case .reject(let status, let reason) = d.receive(request: request.message) {
            dialog = d
            if request.method != "ACK" { request.respond(code: status, reason: reason) }
            return
        }
        dialog = d
        switch request.method {
        case "ACK":
            answerRetransmission?.cancel()
            answerRetransmission = nil
            defer { byeHeldForAck() }
            // The answer to an offer the phone put in its 200.
            if !request.message.body.isEmpty, var oa = offerAnswer, oa.pendingOffer != nil,
               let sdp = try? SDPSession(parsing: request.message.body), let negotiated = try? oa.accept(answer: sdp) {
                offerAnswer = oa
                stream?.apply(negotiated)
            }
        case "BYE":
            var ok = request.response(code: 200)
            for (name, value) in statisticsHeaders { ok.add(name, value) }
            ok.add("User-Agent", context.userAgent)
            request.respond(ok)
            stream?.close()
            signal(.remoteHangUp)
        case "INVITE", "UPDATE":
            refresh(request)
        case "INFO", "NOTIFY", "OPTIONS":
            request.respond(code: 200)
        default:
            request.respond(code: 501, reason: "Not Implemented", headers: [("Allow", context.endpoint.allowed)])
        }
    }

    /// A re-INVITE or UPDATE: a new offer is answered (a malformed one 400, an unusable one
    /// 488 and the call goes on as it was); without a body the last description is offered.
    private func refresh(_ request: ServerRequest) {
        guard var oa = offerAnswer else { return request.respond(code: 488, reason: "Not Acceptable Here") }
        var ok = request.response(code: 200)
        addContact(&ok, toward: request.source)
        if request.message.body.isEmpty {
            ok.add("Content-Type", "application/sdp")
            ok.body = oa.makeOffer().bytes
        } else {
            do {
                let offer = try SDPSession(parsing: request.message.body)
                let (answer, negotiated) = try oa.answer(offer: offer)
                ok.add("Content-Type", "application/sdp")
                ok.body = answer.bytes
                stream?.apply(negotiated)
            } catch let error as OfferAnswerError {
                return request.respond(code: error.statusCode, reason: error.reasonPhrase,
                                       headers: [("Warning", error.warningValue(agent: "deskphone"))])
            } catch {
                return request.respond(code: 400, reason: "Bad Request")
            }
        }
        offerAnswer = oa
        if var d = dialog {
            d.responded(with: 200, to: request.message)
            dialog = d
        }
        request.respond(ok)
    }
}
