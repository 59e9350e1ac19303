import NIOCore
import Scheduling

/// Where the transaction layer sends bytes: the NIO transports in the phone
/// (`SIPTransports`), a recorder in tests. Used on the phone's loop only.
@PhoneLoop
public protocol SIPTransportSink: AnyObject {
    /// The address the phone listens on (Via and Contact are built from it).
    var localAddress: SocketAddress? { get }
    /// Sends `bytes`; `failed` runs (on the loop) when a stream transport cannot deliver them.
    func send(_ bytes: [UInt8], to destination: SocketAddress, over transport: ServerLocation.Transport,
              failed: @escaping @PhoneLoop () -> Void)
    /// Sends a response (RFC 3261 §18.2.2): over a stream transport on the open connection
    /// to `destination.address`, else on a new connection to `destination.sentBy`.
    func sendResponse(_ bytes: [UInt8], to destination: ResponseDestination, over transport: ServerLocation.Transport)
}

extension SIPTransportSink {
    /// A sink without connections of its own sends to the address.
    public func sendResponse(_ bytes: [UInt8], to destination: ResponseDestination, over transport: ServerLocation.Transport) {
        send(bytes, to: destination.address, over: transport) {}
    }
}
