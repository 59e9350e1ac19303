/// Where the boot sequence fetches configuration files from: a TFTP server, or (development
/// and tests) a local folder served in its place.
public protocol ProvisioningSource: Sendable, CustomStringConvertible {
    /// The bytes of `path` (relative to the source's root).
    func fetch(_ path: String) async throws(FetchFailure) -> [UInt8]
    /// The bytes of a file that may be larger than a configuration file (a firmware image).
    func fetch(_ path: String, maxSize: Int) async throws(FetchFailure) -> [UInt8]
    /// The same kind of source at another server (`dyn_tftp_addr`), when that makes sense.
    func redirected(to host: String) -> (any ProvisioningSource)?
}

extension ProvisioningSource {
    public func fetch(_ path: String, maxSize: Int) async throws(FetchFailure) -> [UInt8] { try await fetch(path) }
    public func redirected(to host: String) -> (any ProvisioningSource)? { nil }
}

/// Why a file could not be fetched.
public enum FetchFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source answered that the file does not exist (TFTP error 1).
    case notFound(String)
    /// The source did not answer at all: the remaining files are not tried there.
    case unreachable(String)
    /// Any other failure (a TFTP error packet, a size cap, a protocol violation, an I/O error).
    case failed(String)

    public var description: String {
        switch self {
        case .notFound(let s), .unreachable(let s), .failed(let s): return s
        }
    }
}
