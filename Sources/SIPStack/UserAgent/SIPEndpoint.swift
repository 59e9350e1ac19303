import Diagnostics
import Logging
import NIOCore
import SIPMessage

/// The phone's SIP endpoint: the UDP and TCP transports on `voip_control_port`, the client
/// transactions in flight (matched by the top Via branch and the CSeq method, RFC 3261
/// §17.1.3), and the answers to requests nobody else handles. Transactions run their sans-I/O
/// state machines; this actor performs their actions and runs their timers.
public actor SIPEndpoint {
    public typealias Transport = ServerLocation.Transport

    public struct Outcome: Sendable {
        /// The final response, or nil when the transaction timed out or could not be sent.
        public let response: SIPMessage?
    }

    struct Pending {
        var transaction: ClientTransaction<[UInt8]>
        let destination: SocketAddress
        let transport: Transport
        let method: String
        var continuation: CheckedContinuation<Outcome, Never>?
        var timers: [TransactionTimer: Task<Void, Never>] = [:]
    }

    /// A request being answered: its server transaction and where its responses go.
    struct Serving {
        var transaction: ServerTransaction<[UInt8]>
        let destination: SocketAddress
        let transport: Transport
        var timers: [TransactionTimer: Task<Void, Never>] = [:]
    }

    public private(set) var timers: TransactionTimers
    private var serving: [ServerTransactionKey: Serving] = [:]
    private var udp: UDPTransport?
    private var tcp: TCPTransport?
    private var group: (any EventLoopGroup)?
    private var pending: [String: Pending] = [:]
    /// `debug sip-trx`: transaction states; `debug sip-state`: what happens to each request.
    private let log = Logger.category(.sipTrx)
    private let stateLog = Logger.category(.sipState)
    private let userAgent = "Deskphone"

    public init(timers: TransactionTimers) {
        self.timers = timers
    }

    /// Binds UDP and TCP on `host:port` (`voip_control_port`). UDP is required; a TCP port
    /// already taken is reported and the phone runs on UDP alone.
    public func start(group: any EventLoopGroup, host: String, port: Int, timers: TransactionTimers? = nil) async throws {
        if let timers { self.timers = timers }
        self.group = group
        let u = try await UDPTransport.bind(group: group, host: host, port: port) { [weak self] bytes, from in
            guard let self else { return }
            Task { await self.received(bytes, from: from, transport: .udp) }
        }
        udp = u
        do {
            tcp = try await TCPTransport.bind(group: group, host: host, port: u.localAddress.port ?? port) { [weak self] bytes, from in
                guard let self else { return }
                Task { await self.received(bytes, from: from, transport: .tcp) }
            }
        } catch {
            Logger.category(.sipTask).error("SIP cannot listen on tcp \(host):\(port): \(error); UDP only")
        }
    }

    /// Moves the transports to a new address or port (`voip_control_port` changed at a reset).
    /// Transactions in flight end without an answer.
    public func rebind(host: String, port: Int) async throws {
        guard let group else { throw ChannelError.ioOnClosedChannel }
        await stop()
        try await start(group: group, host: host, port: port)
    }

    /// New timer values (a reset) for the transactions started from now on.
    public func setTimers(_ timers: TransactionTimers) { self.timers = timers }

    public var localAddress: SocketAddress? { udp?.localAddress }

    public func stop() async {
        for (_, p) in pending { p.timers.values.forEach { $0.cancel() }; p.continuation?.resume(returning: Outcome(response: nil)) }
        pending.removeAll()
        for (_, s) in serving { s.timers.values.forEach { $0.cancel() } }
        serving.removeAll()
        await udp?.close()
        await tcp?.close()
        udp = nil
        tcp = nil
    }

    /// Sends `request` (already carrying its Via branch) and waits for the final response.
    public func request(_ request: [UInt8], branch: String, method: String, to destination: SocketAddress,
                        transport: Transport = .udp) async -> Outcome {
        await withCheckedContinuation { continuation in
            var tx = ClientTransaction(request: request, isInvite: method == "INVITE", reliable: transport == .tcp, timers: timers)
            let actions = tx.start()
            pending[branch] = Pending(transaction: tx, destination: destination, transport: transport, method: method,
                                      continuation: continuation)
            perform(actions, branch: branch)
        }
    }

    // MARK: actions and timers

    private func send(_ bytes: [UInt8], to destination: SocketAddress, over transport: Transport, branch: String?) {
        switch transport {
        case .udp:
            udp?.send(bytes, to: destination)
        case .tcp:
            guard let tcp else {
                if let branch { Task { self.transportFailed(branch: branch) } }
                return
            }
            tcp.send(bytes, to: destination) { [weak self] _ in
                guard let self, let branch else { return }
                Task { await self.transportFailed(branch: branch) }
            }
        }
    }

    private func transportFailed(branch: String) {
        guard var p = pending[branch] else { return }
        let actions = p.transaction.transportFailed()
        pending[branch] = p
        perform(actions, branch: branch)
    }

    private func perform(_ actions: [TransactionAction<[UInt8]>], branch: String) {
        for action in actions {
            guard var p = pending[branch] else { return }
            switch action {
            case .send(let bytes):
                send(bytes, to: p.destination, over: p.transport, branch: branch)
            case .sendAck(let responseBytes):
                guard let invite = try? SIPMessage(parsing: p.transaction.request),
                      let response = try? SIPMessage(parsing: responseBytes),
                      let ack = FailureAck.build(invite: invite, response: response) else { continue }
                send(ack, to: p.destination, over: p.transport, branch: nil)
            case .arm(let timer, let after):
                p.timers[timer]?.cancel()
                p.timers[timer] = later(after) { $0.fire(timer, branch: branch) }
                pending[branch] = p
            case .cancel(let timer):
                p.timers[timer]?.cancel()
                p.timers[timer] = nil
                pending[branch] = p
            case .deliver(let bytes):
                guard let response = try? SIPMessage(parsing: bytes), let status = response.statusCode, status >= 200 else { continue }
                p.continuation?.resume(returning: Outcome(response: response))
                p.continuation = nil
                pending[branch] = p
            case .timedOut, .transportError:
                log.debug("\(p.method) \(branch): no final response")
                p.continuation?.resume(returning: Outcome(response: nil))
                p.continuation = nil
                pending[branch] = p
            case .terminated:
                p.timers.values.forEach { $0.cancel() }
                p.continuation?.resume(returning: Outcome(response: nil))
                pending[branch] = nil
                if pending.isEmpty { pending = [:] }   // give back the capacity of a burst
            }
        }
    }

    /// A transaction timer: runs `body` on this actor after `delay` unless cancelled first.
    private func later(_ delay: Duration, _ body: @escaping @Sendable (isolated SIPEndpoint) -> Void) -> Task<Void, Never> {
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled, let self else { return }
            await self.run(body)
        }
    }

    private func run(_ body: @Sendable (isolated SIPEndpoint) -> Void) { body(self) }

    private func fire(_ timer: TransactionTimer, branch: String) {
        guard var p = pending[branch] else { return }
        let actions = p.transaction.timerFired(timer)
        pending[branch] = p
        perform(actions, branch: branch)
    }

    // MARK: receiving

    private func received(_ bytes: [UInt8], from: SocketAddress, transport: Transport) {
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes, transport: transport == .tcp ? .stream : .datagram)
        } catch {
            reject(bytes, error: error, from: from, transport: transport)
            return
        }
        if message.isResponse {
            guard let typed = try? message.parseAll(), let branch = typed.vias.first?.branch,
                  var p = pending[branch], typed.cseq?.method == p.method, let status = message.statusCode else {
                log.debug("a response matching no transaction from \(from)")
                return
            }
            let before = p.transaction.state
            let actions = p.transaction.receive(bytes, status: status)
            pending[branch] = p
            if before != p.transaction.state {
                log.debug("client transaction \(branch) \(p.method): \(before.rawValue) -> \(p.transaction.state.rawValue) on \(status)")
            }
            perform(actions, branch: branch)
        } else {
            serve(message, from: from, transport: transport)
        }
    }

    /// A request: validated, matched to its server transaction (§17.2.3), answered once by the
    /// TU and, when retransmitted, answered again from the transaction.
    private func serve(_ request: SIPMessage, from: SocketAddress, transport: Transport) {
        let headers: SIPTypedHeaders
        do {
            headers = try request.validate()
        } catch {
            reject(request.bytes, error: error, from: from, transport: transport)
            return
        }
        guard let key = ServerTransactionKey(request, headers: headers) else { return }
        let callID = headers.callID ?? "?"
        if request.method == "ACK" {
            // An ACK for a non-2xx final ends the INVITE transaction; an ACK for a 2xx
            // belongs to a dialog (the call layer), and without one there is nothing to do.
            guard var s = serving[key] else {
                stateLog.debug("ACK \(callID) matches no transaction: dropped")
                return
            }
            stateLog.debug("ACK \(callID): server transaction \(key) confirmed")
            let actions = s.transaction.ackReceived()
            serving[key] = s
            performServer(actions, key: key)
            return
        }
        if var s = serving[key] {
            let actions = s.transaction.requestRetransmitted()
            serving[key] = s
            performServer(actions, key: key)
            return
        }
        var response = answer(request)
        var destination = from
        route(&response, from: from, transport: transport, destination: &destination)
        let status: Int
        if case .response(let code, _) = response.start { status = code } else { status = 500 }
        serving[key] = Serving(transaction: ServerTransaction(isInvite: request.method == "INVITE", reliable: transport == .tcp,
                                                               timers: timers),
                               destination: destination, transport: transport)
        guard var s = serving[key] else { return }
        stateLog.debug("\(request.method ?? "?") \(callID) from \(from.ipAddress ?? "?"):\(from.port ?? 0): answered \(status)")
        let actions = s.transaction.respond(response.serialize(), status: status)
        serving[key] = s
        performServer(actions, key: key)
    }

    private func performServer(_ actions: [TransactionAction<[UInt8]>], key: ServerTransactionKey) {
        for action in actions {
            guard var s = serving[key] else { return }
            switch action {
            case .send(let bytes):
                send(bytes, to: s.destination, over: s.transport, branch: nil)
            case .arm(let timer, let after):
                s.timers[timer]?.cancel()
                s.timers[timer] = later(after) { $0.fireServer(timer, key: key) }
                serving[key] = s
            case .cancel(let timer):
                s.timers[timer]?.cancel()
                s.timers[timer] = nil
                serving[key] = s
            case .timedOut:
                log.debug("server transaction \(key): no ACK (timer H)")
            case .terminated:
                s.timers.values.forEach { $0.cancel() }
                serving[key] = nil
                if serving.isEmpty { serving = [:] }
            case .deliver, .sendAck, .transportError:
                break
            }
        }
    }

    private func fireServer(_ timer: TransactionTimer, key: ServerTransactionKey) {
        guard var s = serving[key] else { return }
        let actions = s.transaction.timerFired(timer)
        serving[key] = s
        performServer(actions, key: key)
    }

    /// Server transactions in progress (tests, `show`).
    public var serverTransactionCount: Int { serving.count }

    /// A request that failed to parse is answered (400, 505, 513 …) when its Via, From, To,
    /// Call-ID and CSeq can be found; a malformed response is dropped (RFC 4475 §3.1.2).
    private func reject(_ bytes: [UInt8], error: SIPParseError, from: SocketAddress, transport: Transport) {
        stateLog.debug("malformed message from \(from): \(error)")
        guard var answer = SIPMessageBuilder.rejection(of: bytes, error: error, toTag: SIPIdentifiers.tag()) else { return }
        answer.add("User-Agent", userAgent)
        sendResponse(answer, viaFrom: bytes, from: from, transport: transport)
    }

    /// The transaction user's answer. Requests the phone does not handle yet get a clean one
    /// (OPTIONS: 200 with Allow; anything else 501).
    private func answer(_ request: SIPMessage) -> SIPMessageBuilder {
        let (code, reason): (Int, String?) = request.method == "OPTIONS" ? (200, nil) : (501, "Not Implemented")
        var response = SIPMessageBuilder.response(to: request, code: code, reason: reason, toTag: SIPIdentifiers.tag())
        response.add("Allow", "REGISTER, OPTIONS")
        response.add("User-Agent", userAgent)
        return response
    }

    /// Sends a response outside any transaction (a rejected request).
    private func sendResponse(_ response: SIPMessageBuilder, viaFrom request: [UInt8], from: SocketAddress, transport: Transport) {
        var response = response
        var destination = from
        route(&response, from: from, transport: transport, destination: &destination)
        send(response.serialize(), to: destination, over: transport, branch: nil)
    }

    /// Where a response goes per RFC 3261 §18.2.2 / RFC 3581, with received/rport filled in.
    private func route(_ response: inout SIPMessageBuilder, from: SocketAddress, transport: Transport, destination: inout SocketAddress) {
        if let first = response.headers.firstIndex(where: { $0.name == "Via" }),
           let (top, rest) = Self.splitTopVia(response.headers[first].value),
           let via = try? SIPMessage(parsing: "OPTIONS sip:x SIP/2.0\r\nVia: \(top)\r\n\r\n").topVia(),
           let ip = from.ipAddress, let port = from.port {
            let route = ResponseRouting.route(viaText: top, via: via, sourceHost: ip, sourcePort: port, transport: transport)
            response.headers[first].value = route.topVia + rest
            if let to = try? SocketAddress(ipAddress: route.host, port: route.port) { destination = to }
        }
    }

    /// The first Via of a header value that may hold a comma list, and the rest (", …").
    static func splitTopVia(_ value: String) -> (String, String)? {
        var inQuotes = false
        for i in value.indices {
            let c = value[i]
            if c == "\"" { inQuotes.toggle() }
            if c == ",", !inQuotes { return (String(value[..<i]), String(value[i...])) }
        }
        return value.isEmpty ? nil : (value, "")
    }
}

/// Random identifiers: branches with the RFC 3261 magic cookie, tags, Call-IDs.
public enum SIPIdentifiers {
    static func random(_ n: Int) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in chars[Int.random(in: 0..<chars.count, using: &g)] })
    }

    public static func branch() -> String { "z9hG4bK" + random(16) }
    public static func tag() -> String { random(10) }
    public static func callID(host: String) -> String { random(20) + "@" + host }
}
