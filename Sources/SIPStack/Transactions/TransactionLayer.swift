import Diagnostics
import Logging
import NIOCore
import Scheduling
import SIPMessage

/// The transaction layer (RFC 3261 §17): the client and server transaction tables, matching of
/// responses (§17.1.3) and requests (§17.2.3) to them, and their timers through the injected
/// `Timers`. It runs the sans-I/O `ClientTransaction` / `ServerTransaction` machines, sends
/// through a `SIPTransportSink`, reports every response of a client transaction to its user
/// (provisional, final, the retransmitted 2xx of RFC 6026) and hands each new request to the
/// transaction user (`onRequest`), which answers through `ServerRequest.respond`.
@PhoneLoop
public final class TransactionLayer {
    public typealias Transport = ServerLocation.Transport

    /// What a client transaction reports to its user.
    public enum ClientEvent {
        /// A 1xx.
        case provisional(SIPMessage)
        /// A final response. For an INVITE a 2xx may come more than once (retransmitted, or
        /// from another fork, RFC 6026): each must be ACKed by the TU.
        case final(SIPMessage)
        /// No final response in time (timer B or F).
        case timedOut
        /// The transport could not send the request (§17.1.4).
        case transportError
    }

    final class Client {
        var machine: ClientTransaction<[UInt8]>
        let request: SIPMessage
        let destination: SocketAddress
        let transport: Transport
        let method: String
        let events: @PhoneLoop (ClientEvent) -> Void
        var timers: [TransactionTimer: TimerHandle] = [:]
        /// CANCEL asked for before any provisional response: sent when one arrives (§9.1).
        var cancelPending = false
        var finalSeen = false

        init(machine: ClientTransaction<[UInt8]>, request: SIPMessage, destination: SocketAddress, transport: Transport,
             method: String, events: @escaping @PhoneLoop (ClientEvent) -> Void) {
            self.machine = machine
            self.request = request
            self.destination = destination
            self.transport = transport
            self.method = method
            self.events = events
        }
    }

    final class Server {
        var machine: ServerTransaction<[UInt8]>
        let request: ServerRequest
        var timers: [TransactionTimer: TimerHandle] = [:]
        init(machine: ServerTransaction<[UInt8]>, request: ServerRequest) {
            self.machine = machine
            self.request = request
        }
    }

    public let sink: any SIPTransportSink
    public let timers: any Timers
    /// T1, T2, T4 and the retransmission caps for transactions started from now on.
    public var settings: TransactionTimers
    /// The transaction user: every request that starts a new server transaction. Until it is
    /// set, requests are answered 501.
    public var onRequest: ((ServerRequest) -> Void)?
    /// `User-Agent` of the answers this layer makes itself (malformed requests).
    public var userAgent = "Deskphone"

    private var clients: [String: Client] = [:]
    private var servers: [ServerTransactionKey: Server] = [:]
    /// `debug sip-trx`: transaction states; `debug sip-state`: what happens to each request.
    private let log = Logger.category(.sipTrx)
    private let stateLog = Logger.category(.sipState)

    public init(sink: any SIPTransportSink, timers: any Timers, settings: TransactionTimers = TransactionTimers()) {
        self.sink = sink
        self.timers = timers
        self.settings = settings
    }

    /// Client transactions in progress (tests, `show`).
    public var clientTransactionCount: Int { clients.count }
    /// Server transactions in progress.
    public var serverTransactionCount: Int { servers.count }

    // MARK: client transactions

    /// Starts a client transaction for `request` (its top Via carries `branch`) toward
    /// `destination`; `events` hears every response and the end. Returns false when the
    /// request cannot be parsed back (a bug in its builder) or the branch is in use.
    @discardableResult
    public func start(_ request: [UInt8], branch: String, to destination: SocketAddress, over transport: Transport,
                      events: @escaping @PhoneLoop (ClientEvent) -> Void) -> Bool {
        guard let parsed = try? SIPMessage(parsing: request), let method = parsed.method else { return false }
        let key = Self.clientKey(branch, method)
        guard clients[key] == nil else { return false }
        let machine = ClientTransaction(request: request, isInvite: method == "INVITE", reliable: transport == .tcp, timers: settings)
        let client = Client(machine: machine, request: parsed, destination: destination, transport: transport, method: method,
                            events: events)
        clients[key] = client
        perform(client.machine.start(), client: client, key: key)
        return true
    }

    /// CANCEL for the INVITE client transaction with `branch` (RFC 3261 §9.1): sent at once
    /// when a provisional response has arrived, else as soon as one does; nothing when a final
    /// response has. `events` hears the CANCEL's own answer. False when there is no such INVITE.
    @discardableResult
    public func cancel(inviteBranch branch: String) -> Bool {
        guard let invite = clients[Self.clientKey(branch, "INVITE")], !invite.finalSeen else { return false }
        if invite.machine.state == .proceeding {
            sendCancel(for: invite, branch: branch)
        } else {
            invite.cancelPending = true
        }
        return true
    }

    private func sendCancel(for invite: Client, branch: String) {
        invite.cancelPending = false
        guard let cancel = CancelRequest.build(invite: invite.request) else { return }
        stateLog.debug("CANCEL \(branch)")
        start(cancel, branch: branch, to: invite.destination, over: invite.transport) { _ in }
    }

    /// Sends bytes outside any transaction: the ACK for a 2xx (§13.2.2.4), which belongs to
    /// the dialog, not to the INVITE's transaction.
    public func sendStateless(_ bytes: [UInt8], to destination: SocketAddress, over transport: Transport) {
        sink.send(bytes, to: destination, over: transport) {}
    }

    private func perform(_ actions: [TransactionAction<[UInt8]>], client: Client, key: String) {
        for action in actions {
            switch action {
            case .send(let bytes):
                sink.send(bytes, to: client.destination, over: client.transport) { [weak self, weak client] in
                    guard let self, let client else { return }
                    self.perform(client.machine.transportFailed(), client: client, key: key)
                }
            case .sendAck(let responseBytes):
                guard let response = try? SIPMessage(parsing: responseBytes),
                      let ack = FailureAck.build(invite: client.request, response: response) else { continue }
                sink.send(ack, to: client.destination, over: client.transport) {}
            case .arm(let timer, let after):
                client.timers[timer]?.cancel()
                client.timers[timer] = timers.schedule(after: after) { [weak self, weak client] in
                    guard let self, let client, self.clients[key] === client else { return }
                    client.timers[timer] = nil
                    self.perform(client.machine.timerFired(timer), client: client, key: key)
                }
            case .cancel(let timer):
                client.timers[timer]?.cancel()
                client.timers[timer] = nil
            case .deliver(let bytes):
                guard let response = try? SIPMessage(parsing: bytes), let status = response.statusCode else { continue }
                if status < 200 {
                    client.events(.provisional(response))
                    if client.cancelPending, let branch = key.split(separator: "|").first { sendCancel(for: client, branch: String(branch)) }
                } else {
                    client.finalSeen = true
                    client.events(.final(response))
                }
            case .timedOut:
                log.debug("\(client.method) \(key): no final response")
                client.events(.timedOut)
            case .transportError:
                client.events(.transportError)
            case .terminated:
                client.timers.values.forEach { $0.cancel() }
                client.timers.removeAll()
                if clients[key] === client { clients[key] = nil }
                if clients.isEmpty { clients = [:] }   // give back the capacity of a burst
            }
        }
    }

    static func clientKey(_ branch: String, _ method: String) -> String { branch + "|" + method }

    // MARK: receiving

    /// Every message from the transports, in the order they were read.
    public func received(_ bytes: [UInt8], from source: SocketAddress, over transport: Transport) {
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes, transport: transport == .tcp ? .stream : .datagram)
        } catch {
            reject(bytes, error: error, from: source, transport: transport)
            return
        }
        if message.isResponse {
            receiveResponse(message, bytes: bytes, from: source)
        } else {
            receiveRequest(message, from: source, transport: transport)
        }
    }

    private func receiveResponse(_ message: SIPMessage, bytes: [UInt8], from source: SocketAddress) {
        guard let typed = try? message.parseAll(), let branch = typed.vias.first?.branch, let method = typed.cseq?.method,
              let client = clients[Self.clientKey(branch, method)], let status = message.statusCode else {
            log.debug("a response matching no transaction from \(source)")
            return
        }
        let before = client.machine.state
        let actions = client.machine.receive(bytes, status: status)
        if before != client.machine.state {
            log.debug("client transaction \(branch) \(method): \(before.rawValue) -> \(client.machine.state.rawValue) on \(status)")
        }
        perform(actions, client: client, key: Self.clientKey(branch, method))
    }

    /// A request: validated, matched to its server transaction (§17.2.3), handed to the TU
    /// once and, when retransmitted, answered again from the transaction.
    private func receiveRequest(_ message: SIPMessage, from source: SocketAddress, transport: Transport) {
        let headers: SIPTypedHeaders
        do {
            headers = try message.validate()
        } catch {
            reject(message.bytes, error: error, from: source, transport: transport)
            return
        }
        guard let key = ServerTransactionKey(message, headers: headers), let method = message.method else { return }
        let callID = headers.callID ?? "?"
        if let server = servers[key] {
            if method == "ACK" {
                // An ACK for a non-2xx final ends the INVITE transaction (§17.2.1); an ACK for
                // a 2xx of an Accepted transaction (RFC 6026 §7.1) goes on to the TU.
                if server.machine.state == .accepted {
                    deliver(ServerRequest(message: message, headers: headers, source: source, transport: transport, layer: self))
                    return
                }
                stateLog.debug("ACK \(callID): server transaction \(key) confirmed")
                performServer(server.machine.ackReceived(), server: server, key: key)
            } else {
                performServer(server.machine.requestRetransmitted(), server: server, key: key)
            }
            return
        }
        let request = ServerRequest(message: message, headers: headers, source: source, transport: transport, layer: self)
        if method != "ACK" {
            // An ACK matching no transaction (the ACK of a 2xx, §17.2.3) has none of its own.
            let machine = ServerTransaction<[UInt8]>(isInvite: method == "INVITE", reliable: transport == .tcp, timers: settings)
            request.key = key
            servers[key] = Server(machine: machine, request: request)
        }
        stateLog.debug("\(method) \(callID) from \(source.ipAddress ?? "?"):\(source.port ?? 0)")
        deliver(request)
    }

    private func deliver(_ request: ServerRequest) {
        if let onRequest {
            onRequest(request)
        } else if request.method != "ACK" {
            request.respond(code: 501)
        }
    }

    /// The INVITE server transaction a CANCEL names (§9.2: same branch and sent-by, method INVITE).
    public func invite(cancelledBy cancel: ServerRequest) -> ServerRequest? {
        guard let key = ServerTransactionKey(cancel.message, headers: cancel.headers, method: "INVITE") else { return nil }
        return servers[key]?.request
    }

    /// Sends a response of `request`'s server transaction (called by `ServerRequest.respond`).
    func respond(_ request: ServerRequest, _ response: SIPMessageBuilder) {
        var response = response
        let destination = ResponseRouting.destination(&response, from: request.source, transport: request.transport)
            ?? ResponseDestination(address: request.source)
        let status: Int
        if case .response(let code, _) = response.start { status = code } else { return }
        let bytes = response.serialize()
        guard let key = request.key, let server = servers[key] else {
            // No transaction (it ended, or an ACK): send as it is.
            sink.sendResponse(bytes, to: destination, over: request.transport)
            return
        }
        request.destination = destination
        let before = server.machine.state
        let actions = server.machine.respond(bytes, status: status)
        if before != server.machine.state {
            log.debug("server transaction \(key): \(before.rawValue) -> \(server.machine.state.rawValue) on \(status)")
        }
        performServer(actions, server: server, key: key)
    }

    private func performServer(_ actions: [TransactionAction<[UInt8]>], server: Server, key: ServerTransactionKey) {
        for action in actions {
            switch action {
            case .send(let bytes):
                sink.sendResponse(bytes, to: server.request.destination ?? ResponseDestination(address: server.request.source),
                                  over: server.request.transport)
            case .arm(let timer, let after):
                server.timers[timer]?.cancel()
                server.timers[timer] = timers.schedule(after: after) { [weak self, weak server] in
                    guard let self, let server, self.servers[key] === server else { return }
                    server.timers[timer] = nil
                    self.performServer(server.machine.timerFired(timer), server: server, key: key)
                }
            case .cancel(let timer):
                server.timers[timer]?.cancel()
                server.timers[timer] = nil
            case .timedOut:
                log.debug("server transaction \(key): no ACK (timer H)")
            case .terminated:
                server.timers.values.forEach { $0.cancel() }
                server.timers.removeAll()
                if servers[key] === server { servers[key] = nil }
                if servers.isEmpty { servers = [:] }
            case .deliver, .sendAck, .transportError:
                break
            }
        }
    }

    /// A request that failed to parse is answered (400, 505, 513 …) when its Via, From, To,
    /// Call-ID and CSeq can be found; a malformed response is dropped (RFC 4475 §3.1.2).
    private func reject(_ bytes: [UInt8], error: SIPParseError, from source: SocketAddress, transport: Transport) {
        stateLog.debug("malformed message from \(source): \(error)")
        guard var answer = SIPMessageBuilder.rejection(of: bytes, error: error, toTag: SIPIdentifiers.tag()) else { return }
        answer.add("User-Agent", userAgent)
        let destination = ResponseRouting.destination(&answer, from: source, transport: transport)
            ?? ResponseDestination(address: source)
        sink.sendResponse(answer.serialize(), to: destination, over: transport)
    }

    /// Ends every transaction without an answer (the transports are going away).
    public func reset() {
        for client in clients.values { client.timers.values.forEach { $0.cancel() } }
        for server in servers.values { server.timers.values.forEach { $0.cancel() } }
        let pending = clients.values
        clients.removeAll()
        servers.removeAll()
        for client in pending where !client.finalSeen { client.events(.transportError) }
    }
}
