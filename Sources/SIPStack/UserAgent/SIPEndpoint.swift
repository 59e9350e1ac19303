import Diagnostics
import Logging
import NIOCore
import SIPMessage

/// The phone's SIP endpoint: one UDP transport, the client transactions in flight (matched by
/// the top Via branch and the CSeq method, RFC 3261 §17.1.3), and the answers to requests
/// nobody else handles. Transactions run their sans-I/O state machines; this actor performs
/// their actions and runs their timers.
public actor SIPEndpoint {
    public struct Outcome: Sendable {
        /// The final response, or nil when the transaction timed out or could not be sent.
        public let response: SIPMessage?
    }

    struct Pending {
        var transaction: ClientTransaction<[UInt8]>
        let destination: SocketAddress
        let method: String
        var continuation: CheckedContinuation<Outcome, Never>?
        var timers: [TransactionTimer: Task<Void, Never>] = [:]
    }

    public private(set) var timers: TransactionTimers
    private var transport: UDPTransport?
    private var pending: [String: Pending] = [:]
    private let log = Logger.category(.sipTrx)
    private let userAgent = "Deskphone"

    public init(timers: TransactionTimers) {
        self.timers = timers
    }

    /// Binds the UDP transport on `host:port` (`voip_control_port`).
    public func start(group: any EventLoopGroup, host: String, port: Int, timers: TransactionTimers? = nil) async throws {
        if let timers { self.timers = timers }
        let t = try await UDPTransport.bind(group: group, host: host, port: port) { [weak self] bytes, from in
            guard let self else { return }
            Task { await self.received(bytes, from: from) }
        }
        transport = t
    }

    public var localAddress: SocketAddress? { transport?.localAddress }

    public func stop() async {
        for (_, p) in pending { p.timers.values.forEach { $0.cancel() }; p.continuation?.resume(returning: Outcome(response: nil)) }
        pending.removeAll()
        await transport?.close()
        transport = nil
    }

    /// Sends `request` (already carrying its Via branch) and waits for the final response.
    public func request(_ request: [UInt8], branch: String, method: String, to destination: SocketAddress) async -> Outcome {
        await withCheckedContinuation { continuation in
            var tx = ClientTransaction(request: request, isInvite: method == "INVITE", reliable: false, timers: timers)
            let actions = tx.start()
            pending[branch] = Pending(transaction: tx, destination: destination, method: method, continuation: continuation)
            perform(actions, branch: branch)
        }
    }

    // MARK: actions and timers

    private func perform(_ actions: [TransactionAction<[UInt8]>], branch: String) {
        for action in actions {
            guard var p = pending[branch] else { return }
            switch action {
            case .send(let bytes):
                transport?.send(bytes, to: p.destination)
            case .sendAck:
                break   // REGISTER and OPTIONS only so far; the INVITE dialog layer adds ACKs
            case .arm(let timer, let after):
                p.timers[timer]?.cancel()
                p.timers[timer] = Task { [weak self] in
                    try? await Task.sleep(for: after)
                    guard !Task.isCancelled else { return }
                    await self?.fire(timer, branch: branch)
                }
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
            }
        }
    }

    private func fire(_ timer: TransactionTimer, branch: String) {
        guard var p = pending[branch] else { return }
        let actions = p.transaction.timerFired(timer)
        pending[branch] = p
        perform(actions, branch: branch)
    }

    // MARK: receiving

    private func received(_ bytes: [UInt8], from: SocketAddress) {
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes)
        } catch {
            log.debug("dropped a malformed datagram from \(from): \(error)")
            return
        }
        if message.isResponse {
            guard let typed = try? message.parseAll(), let branch = typed.vias.first?.branch,
                  var p = pending[branch], typed.cseq?.method == p.method, let status = message.statusCode else {
                log.debug("a response matching no transaction from \(from)")
                return
            }
            let actions = p.transaction.receive(bytes, status: status)
            pending[branch] = p
            perform(actions, branch: branch)
        } else {
            answer(message, from: from)
        }
    }

    /// Requests the phone does not handle yet get a clean answer (OPTIONS: 200 with Allow).
    private func answer(_ request: SIPMessage, from: SocketAddress) {
        guard request.method != "ACK" else { return }
        let (code, reason): (Int, String?) = request.method == "OPTIONS" ? (200, nil) : (501, "Not Implemented")
        var response = SIPMessageBuilder.response(to: request, code: code, reason: reason, toTag: SIPIdentifiers.tag())
        response.add("Allow", "REGISTER, OPTIONS")
        response.add("User-Agent", userAgent)
        response.add("Content-Length", "0")
        transport?.send(response.serialize(), to: from)
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
