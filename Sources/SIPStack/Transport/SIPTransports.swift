import Diagnostics
import Logging
import NIOCore
import Scheduling

/// The phone's SIP transports: UDP and TCP on `voip_control_port`, bound on the phone's one
/// event loop. Every message read is handed to `deliver` on that loop, synchronously and in
/// the order it was read (no task per datagram).
@PhoneLoop
public final class SIPTransports: SIPTransportSink {
    public typealias Deliver = @PhoneLoop ([UInt8], SocketAddress, ServerLocation.Transport) -> Void

    private let udp: UDPTransport
    private let tcp: TCPTransport?

    private init(udp: UDPTransport, tcp: TCPTransport?) {
        self.udp = udp
        self.tcp = tcp
    }

    /// Binds UDP and TCP on `host:port` (port 0: any). UDP is required; a TCP port already
    /// taken is reported and the phone runs on UDP alone. Datagrams are read up to
    /// `datagramCapacity` bytes.
    public static func bind(host: String, port: Int, datagramCapacity: Int = UDPTransport.maximumDatagram,
                            deliver: @escaping Deliver) async throws -> SIPTransports {
        let loop = PhoneLoop.loop
        let udp = try await UDPTransport.bind(group: loop, host: host, port: port, capacity: datagramCapacity) { bytes, from in
            PhoneLoop.assumeIsolated { deliver(bytes, from, .udp) }
        }
        var tcp: TCPTransport?
        do {
            tcp = try await TCPTransport.bind(group: loop, host: host, port: udp.localAddress.port ?? port) { bytes, from in
                PhoneLoop.assumeIsolated { deliver(bytes, from, .tcp) }
            }
        } catch {
            Logger.category(.sipTask).error("SIP cannot listen on tcp \(host):\(port): \(error); UDP only")
        }
        return SIPTransports(udp: udp, tcp: tcp)
    }

    public var localAddress: SocketAddress? { udp.localAddress }

    public func send(_ bytes: [UInt8], to destination: SocketAddress, over transport: ServerLocation.Transport,
                     failed: @escaping @PhoneLoop () -> Void) {
        switch transport {
        case .udp:
            udp.send(bytes, to: destination)
        case .tcp:
            guard let tcp else {
                PhoneLoop.loop.assumeIsolated().execute { failed() }
                return
            }
            tcp.send(bytes, to: destination) { _ in PhoneLoop.assumeIsolated { failed() } }
        }
    }

    public func sendResponse(_ bytes: [UInt8], to destination: ResponseDestination, over transport: ServerLocation.Transport) {
        switch transport {
        case .udp:
            udp.send(bytes, to: destination.address)
        case .tcp:
            tcp?.sendResponse(bytes, over: destination.address, orTo: destination.sentBy)
        }
    }

    public func close() async {
        await udp.close()
        await tcp?.close()
    }
}
