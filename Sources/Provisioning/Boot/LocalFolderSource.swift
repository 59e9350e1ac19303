#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A local folder served instead of a TFTP server (`deskphoned --provision DIR`): the
/// embedded default of `make run` and a quick way to try configuration files.
public struct LocalFolderSource: ProvisioningSource {
    public let root: String
    /// The same size cap the TFTP client applies.
    public let maxSize: Int

    public init(root: String, maxSize: Int = 1 << 20) {
        self.root = root
        self.maxSize = maxSize
    }

    public var description: String { "folder \(root)" }

    public func fetch(_ path: String) async throws(FetchFailure) -> [UInt8] {
        try await fetch(path, maxSize: maxSize)
    }

    public func fetch(_ path: String, maxSize: Int) async throws(FetchFailure) -> [UInt8] {
        let parts = path.split(separator: "/")
        guard !parts.contains(".."), !path.contains("\0") else {
            throw .failed("\(path): outside the provisioning folder")
        }
        let full = root + "/" + parts.joined(separator: "/")
        guard POSIX.exists(root) else { throw .unreachable("\(root): no such folder") }
        guard POSIX.exists(full) else { throw .notFound("\(path): not found in \(root)") }
        do {
            return try POSIX.readAll(full, limit: maxSize)
        } catch {
            if error.errno == EFBIG { throw .failed("\(path): larger than the \(maxSize)-byte limit") }
            throw .failed(error.description)
        }
    }
}
