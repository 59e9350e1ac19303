import NIOCore

/// A TFTP server as the provisioning source.
public struct TFTPSource: ProvisioningSource {
    public let client: TFTPClient
    public let server: SocketAddress
    /// The server as the operator wrote it (`host[:port]`).
    public let spec: String
    public let options: TFTPOptions

    public init(client: TFTPClient, spec: String, options: TFTPOptions = .init()) throws {
        self.client = client
        self.spec = spec
        self.server = try TFTPClient.serverAddress(spec)
        self.options = options
    }

    public var description: String { "tftp://\(spec)" }

    public func fetch(_ path: String) async throws(FetchFailure) -> [UInt8] {
        do {
            return try await client.read(path, from: server, options: options)
        } catch let error as TFTPError {
            switch error {
            case .server(code: 1, _): throw .notFound("\(path): \(error)")
            case .timedOut: throw .unreachable("\(error)")
            default: throw .failed("\(error)")
            }
        } catch {
            throw .unreachable("\(error)")
        }
    }

    /// `dyn_tftp_addr` names an IPv4 address only; the port stays the one in use.
    public func redirected(to host: String) -> (any ProvisioningSource)? {
        let port = server.port ?? 69
        return try? TFTPSource(client: client, spec: "\(host):\(port)", options: options)
    }
}
