import NIOCore

/// A TFTP server as the provisioning source.
public struct TFTPSource: ProvisioningSource {
    public let client: TFTPClient
    public let server: SocketAddress
    /// The server as the operator wrote it (`host[:port]`).
    public let spec: String
    public let options: TFTPOptions

    /// The boot's retry policy: 1 s, then 2 s, then 4 s (three sends, 7 s in all) before the
    /// server counts as down and the phone boots on its flash copies. The reference phone's own
    /// TFTP time-outs are not documented; a phone that waits half a minute per boot for a dead
    /// server helps nobody.
    public static let bootOptions = TFTPOptions(timeoutSeconds: 1, maxRetransmissions: 2)

    public init(client: TFTPClient, spec: String, options: TFTPOptions = TFTPSource.bootOptions) throws {
        self.client = client
        self.spec = spec
        self.server = try TFTPClient.serverAddress(spec)
        self.options = options
    }

    public var description: String { "tftp://\(spec)" }

    public func fetch(_ path: String) async throws(FetchFailure) -> [UInt8] {
        try await fetch(path, options: options)
    }

    /// A firmware image: the size cap raised, larger blocks, more patience than the boot's.
    public func fetch(_ path: String, maxSize: Int) async throws(FetchFailure) -> [UInt8] {
        var o = options
        o.maxSize = maxSize
        o.blockSize = max(o.blockSize, 8192)
        o.maxRetransmissions = max(o.maxRetransmissions, 5)
        return try await fetch(path, options: o)
    }

    func fetch(_ path: String, options: TFTPOptions) async throws(FetchFailure) -> [UInt8] {
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
