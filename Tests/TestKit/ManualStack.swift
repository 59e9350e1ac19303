import NIOCore
import Scheduling
import SIPMessage
import SIPStack

// A SIP stack on a manual clock with a recording transport, shared by the test targets that
// drive an `SIPEndpoint` without sockets (SIPStackTests, PhoneTests). Public API of SIPStack
// only: TestKit is an ordinary target, built without testability in release.

/// The transport side of a stack under test: records what the transaction layer sends, and
/// plays the peer by feeding responses and requests straight into the endpoint.
@PhoneLoop
public final class RecordingSink: SIPTransportSink {
    public struct Sent {
        public let bytes: [UInt8]
        public let destination: SocketAddress
        public let transport: ServerLocation.Transport
        /// For a response over TCP: where it goes when the request's connection has closed.
        public var sentBy: SocketAddress? = nil
        public var message: SIPMessage? { try? SIPMessage(parsing: bytes) }
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    public var sent: [Sent] = []
    public let localAddress: SocketAddress?

    public init(local: String = "127.0.0.1", port: Int = 5060) {
        localAddress = try? SocketAddress(ipAddress: local, port: port)
    }

    public func send(_ bytes: [UInt8], to destination: SocketAddress, over transport: ServerLocation.Transport,
                     failed: @escaping @PhoneLoop () -> Void) {
        sent.append(Sent(bytes: bytes, destination: destination, transport: transport))
    }

    public func sendResponse(_ bytes: [UInt8], to destination: ResponseDestination, over transport: ServerLocation.Transport) {
        sent.append(Sent(bytes: bytes, destination: destination.address, transport: transport, sentBy: destination.sentBy))
    }

    /// Messages sent with this method (or responses with this status), in order.
    public func sent(_ method: String) -> [SIPMessage] { sent.compactMap(\.message).filter { $0.method == method } }
    public func responses(_ status: Int) -> [SIPMessage] { sent.compactMap(\.message).filter { $0.statusCode == status } }
    public var last: SIPMessage? { sent.last?.message }
}

/// A stack on a manual clock with a recording transport.
@PhoneLoop
public struct ManualStack {
    public let timers = ManualTimers()
    public let sink: RecordingSink
    public let endpoint: SIPEndpoint
    /// Where the peer's messages come from.
    public let peer: SocketAddress

    public init(settings: TransactionTimers = TransactionTimers(), local: String = "127.0.0.1", port: Int = 5060,
                peerPort: Int = 5070) throws {
        sink = RecordingSink(local: local, port: port)
        endpoint = SIPEndpoint(timers: timers, settings: settings)
        endpoint.attach(sink)
        peer = try SocketAddress(ipAddress: "127.0.0.1", port: peerPort)
    }

    /// The peer sends `text`.
    public func receive(_ text: String, from source: SocketAddress? = nil, over transport: ServerLocation.Transport = .udp) {
        endpoint.received(Array(text.utf8), from: source ?? peer, over: transport)
    }

    public func receive(_ builder: SIPMessageBuilder, from source: SocketAddress? = nil) {
        endpoint.received(builder.serialize(), from: source ?? peer, over: .udp)
    }

    /// A response from the peer to `request`.
    public func answer(_ request: SIPMessage, _ code: Int, toTag: String? = "peer", headers: [(String, String)] = []) {
        var r = SIPMessageBuilder.response(to: request, code: code, toTag: toTag)
        for (n, v) in headers { r.add(n, v) }
        r.add("Content-Length", "0")
        receive(r)
    }
}

/// A request as a peer at 127.0.0.1:5070 sends it.
public func peerRequest(_ method: String, branch: String, cseq: Int = 1, toTag: String? = nil, callID: String? = nil,
                        extra: String = "") -> String {
    "\(method) sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=\(branch);rport\r\n"
        + "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=ft\r\nTo: <sip:620@127.0.0.1>\(toTag.map { ";tag=\($0)" } ?? "")\r\n"
        + "Call-ID: \(callID ?? branch + "@test")\r\nCSeq: \(cseq) \(method)\r\n\(extra)Content-Length: 0\r\n\r\n"
}

/// A request the phone sends to the peer (its top Via is the phone's).
public func phoneRequest(_ method: String, branch: String, cseq: Int = 1) -> [UInt8] {
    Array(("\(method) sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=\(branch);rport\r\n"
        + "Max-Forwards: 70\r\nFrom: <sip:620@127.0.0.1>;tag=me\r\nTo: <sip:bob@127.0.0.1>\r\n"
        + "Call-ID: \(branch)@phone\r\nCSeq: \(cseq) \(method)\r\nContent-Length: 0\r\n\r\n").utf8)
}
