import Diagnostics
import Logging
import NIOCore
import Scheduling
import SIPMessage

/// The phone's SIP endpoint, the transaction user's side of the stack (RFC 3261 §8): it owns
/// the transports and the transaction layer and hands each received request to the handler
/// registered for its dialog (in-dialog requests) or its method. What nobody handles gets the
/// defaults of a UA: OPTIONS 200 with Allow, an in-dialog request for an unknown dialog 481
/// (§12.2.2), a CANCEL 200/481 and its INVITE 487 (§9.2), anything else 501.
///
/// Layers, as libre stacks sip → sipsess → sipreg: transports (`SIPTransports`, the NIO
/// adapter) → transactions (`TransactionLayer`) → this endpoint → dialogs, registrations and
/// the call layer above, all on the phone's one loop.
@PhoneLoop
public final class SIPEndpoint {
    public typealias Transport = ServerLocation.Transport
    public typealias Handler = @PhoneLoop (ServerRequest) -> Void

    public let transactions: TransactionLayer
    private let sink: EndpointSink
    private var transports: SIPTransports?
    private var methodHandlers: [String: Handler] = [:]
    private var dialogHandlers: [DialogID: Handler] = [:]
    public var userAgent = "Deskphone"
    private let stateLog = Logger.category(.sipState)

    /// An endpoint whose transport is set by `start` (the phone) or `attach` (tests).
    public init(timers: any Timers = LoopTimers(loop: PhoneLoop.loop), settings: TransactionTimers = TransactionTimers()) {
        sink = EndpointSink()
        transactions = TransactionLayer(sink: sink, timers: timers, settings: settings)
        transactions.onRequest = { [unowned self] in self.dispatch($0) }
    }

    /// The largest SIP datagram read whole (any, by default); a phone farm's phones read less,
    /// since NIO keeps a receive buffer this large for each UDP socket (`PhoneFarm`).
    public var datagramCapacity = UDPTransport.maximumDatagram

    /// Binds UDP and TCP on `host:port` (`voip_control_port`) on the phone's loop.
    public func start(host: String, port: Int) async throws {
        let t = try await SIPTransports.bind(host: host, port: port, datagramCapacity: datagramCapacity) { [weak self] bytes, from, transport in
            self?.transactions.received(bytes, from: from, over: transport)
        }
        transports = t
        sink.target = t
    }

    /// Sends through `sink` instead of sockets (tests feed `received` by hand).
    public func attach(_ target: any SIPTransportSink) { sink.target = target }

    /// Moves the transports to a new address or port (`voip_control_port` changed at a reset).
    /// Transactions in flight end without an answer.
    public func rebind(host: String, port: Int) async throws {
        await stop()
        try await start(host: host, port: port)
    }

    public func stop() async {
        transactions.reset()
        sink.target = nil
        await transports?.close()
        transports = nil
    }

    public var localAddress: SocketAddress? { sink.localAddress }

    /// New timer values (a reset) for the transactions started from now on.
    public func setTimers(_ timers: TransactionTimers) { transactions.settings = timers }

    /// Feeds a message as if the transports had read it (tests, the farm mode).
    public func received(_ bytes: [UInt8], from source: SocketAddress, over transport: Transport) {
        transactions.received(bytes, from: source, over: transport)
    }

    // MARK: handlers

    /// Takes every new request of `method` outside a dialog (INVITE, NOTIFY, REFER …).
    public func handle(_ method: String, _ handler: @escaping Handler) { methodHandlers[method] = handler }
    public func removeHandler(_ method: String) { methodHandlers[method] = nil }

    /// Takes every request within `dialog` (BYE, re-INVITE, UPDATE, INFO, ACK for a 2xx …).
    public func handle(dialog: DialogID, _ handler: @escaping Handler) { dialogHandlers[dialog] = handler }
    public func removeHandler(dialog: DialogID) { dialogHandlers[dialog] = nil }

    /// The methods the phone takes (the Allow header): OPTIONS, ACK and CANCEL always, every
    /// method with a handler, and with INVITE the requests its dialogs take.
    public var allowed: String {
        var methods: Set<String> = ["OPTIONS", "ACK", "CANCEL"]
        methods.formUnion(methodHandlers.keys)
        if methods.contains("INVITE") { methods.formUnion(["BYE", "UPDATE", "INFO"]) }
        let order = ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "UPDATE", "INFO", "NOTIFY", "REFER", "MESSAGE"]
        return (order.filter { methods.contains($0) } + methods.subtracting(order).sorted()).joined(separator: ", ")
    }

    private func dispatch(_ request: ServerRequest) {
        if request.headers.to?.tag != nil, let id = try? DialogID(receivedRequest: request.message) {
            if let handler = dialogHandlers[id] { return handler(request) }
            if request.method == "ACK" {
                stateLog.debug("ACK \(request.headers.callID ?? "?") matches no dialog: dropped")
                return
            }
            if request.method != "CANCEL" && request.method != "OPTIONS" {
                // §12.2.2: a request within a dialog the phone does not have.
                return request.respond(code: 481, reason: "Call/Transaction Does Not Exist")
            }
        }
        switch request.method {
        case "CANCEL": return cancel(request)
        case "ACK": return   // the ACK of a 2xx outside any dialog: nothing to do
        default: break
        }
        if let handler = methodHandlers[request.method] { return handler(request) }
        if request.method == "OPTIONS" {
            return request.respond(code: 200, headers: [("Allow", allowed), ("Accept", "application/sdp"), ("User-Agent", userAgent)])
        }
        request.respond(code: 501, reason: "Not Implemented", headers: [("Allow", allowed), ("User-Agent", userAgent)])
    }

    /// §9.2: a CANCEL for an INVITE still unanswered gets 200 and the INVITE 487 (its handler
    /// hears it through `onCancel` and answers); one matching nothing gets 481.
    private func cancel(_ request: ServerRequest) {
        guard let invite = transactions.invite(cancelledBy: request) else {
            return request.respond(code: 481, reason: "Call/Transaction Does Not Exist")
        }
        request.respond(code: 200)
        guard !invite.isFinallyAnswered else { return }
        if let onCancel = invite.onCancel {
            onCancel()
        } else {
            invite.respond(code: 487, reason: "Request Terminated")
        }
    }

    // MARK: client side

    /// Starts a client transaction; `events` hears every response.
    @discardableResult
    public func request(_ bytes: [UInt8], branch: String, to destination: SocketAddress, over transport: Transport = .udp,
                        events: @escaping @PhoneLoop (TransactionLayer.ClientEvent) -> Void) -> Bool {
        transactions.start(bytes, branch: branch, to: destination, over: transport, events: events)
    }

    /// Sends a request and waits for its final response (nil: timed out or not sent).
    public func request(_ bytes: [UInt8], branch: String, to destination: SocketAddress,
                        over transport: Transport = .udp) async -> SIPMessage? {
        await withCheckedContinuation { (continuation: CheckedContinuation<SIPMessage?, Never>) in
            var resumed = false
            let started = request(bytes, branch: branch, to: destination, over: transport) { event in
                guard !resumed else { return }
                switch event {
                case .provisional: return
                case .final(let response): resumed = true; continuation.resume(returning: response)
                case .timedOut, .transportError: resumed = true; continuation.resume(returning: nil)
                }
            }
            if !started, !resumed { resumed = true; continuation.resume(returning: nil) }
        }
    }

    public var serverTransactionCount: Int { transactions.serverTransactionCount }
    public var clientTransactionCount: Int { transactions.clientTransactionCount }
}

/// The endpoint's transport as the transaction layer sees it: whatever is attached now, so
/// the endpoint can rebind without rebuilding its layers. Sends to nowhere while detached.
@PhoneLoop
final class EndpointSink: SIPTransportSink {
    var target: (any SIPTransportSink)?
    var localAddress: SocketAddress? { target?.localAddress }
    func send(_ bytes: [UInt8], to destination: SocketAddress, over transport: ServerLocation.Transport,
              failed: @escaping @PhoneLoop () -> Void) {
        guard let target else { return failed() }
        target.send(bytes, to: destination, over: transport, failed: failed)
    }
    func sendResponse(_ bytes: [UInt8], to destination: ResponseDestination, over transport: ServerLocation.Transport) {
        target?.sendResponse(bytes, to: destination, over: transport)
    }
}
