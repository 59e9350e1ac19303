import NIOCore
import Scheduling
import SIPMessage

/// A request received by the phone, as the transaction user sees it: the message, where it
/// came from, and the way to answer it through its server transaction. An ACK has no server
/// transaction of its own; responding to one does nothing useful.
@PhoneLoop
public final class ServerRequest {
    public let message: SIPMessage
    /// The validated headers (`SIPMessage.validate()`).
    public let headers: SIPTypedHeaders
    public let source: SocketAddress
    public let transport: ServerLocation.Transport
    /// Where responses go (RFC 3261 §18.2.2), known after the first response.
    var destination: ResponseDestination?
    var key: ServerTransactionKey?
    private weak var layer: TransactionLayer?
    /// The To tag of this side's answers: one per request, so that a provisional and the
    /// final of an INVITE carry the same tag (§8.2.6.2).
    public let localTag = SIPIdentifiers.tag()
    /// The highest status answered so far (0: none).
    public private(set) var answered = 0
    /// Set by the INVITE's handler to hear a matching CANCEL (§9.2) before it answers finally;
    /// without one the endpoint answers 487 itself.
    public var onCancel: (() -> Void)?

    init(message: SIPMessage, headers: SIPTypedHeaders, source: SocketAddress, transport: ServerLocation.Transport,
         layer: TransactionLayer) {
        self.message = message
        self.headers = headers
        self.source = source
        self.transport = transport
        self.layer = layer
    }

    public var method: String { message.method ?? "" }
    public var isFinallyAnswered: Bool { answered >= 200 }

    /// A response to this request with its To tag (added unless the request had one: in-dialog).
    public func response(code: Int, reason: String? = nil) -> SIPMessageBuilder {
        SIPMessageBuilder.response(to: message, code: code, reason: reason, toTag: localTag)
    }

    /// Sends `response` through the request's server transaction.
    public func respond(_ response: SIPMessageBuilder) {
        if case .response(let code, _) = response.start { answered = max(answered, code) }
        layer?.respond(self, response)
    }

    /// Answers with `code`, the usual headers and no body.
    public func respond(code: Int, reason: String? = nil, headers extra: [(String, String)] = []) {
        var r = response(code: code, reason: reason)
        for (name, value) in extra { r.add(name, value) }
        r.add("Content-Length", "0")
        respond(r)
    }
}
