/// What one run of the boot sequence fetched, kept, and applied.
public struct BootReport: Sendable {
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// Fetched from the source, valid, and saved to flash as the new last good copy.
        case fetched(bytes: Int, from: String)
        /// Not taken from the source (the reason says why); the flash copy is in force.
        case flashCopy(reason: String)
        /// Neither the source nor the flash had a usable copy.
        case absent(reason: String)

        public var description: String {
            switch self {
            case .fetched(let n, let from): return "fetched \(n) bytes from \(from)"
            case .flashCopy(let why): return "\(why); using the last good copy from flash"
            case .absent(let why): return "\(why); no copy in flash"
            }
        }
    }

    public struct FileRecord: Sendable, Equatable {
        public let name: String
        public let outcome: Outcome
    }

    public var configuration: Configuration
    public var dialTemplate: DialTemplate?
    public var ringList: RingList?
    /// The image named by OS79XX.TXT, when the source or flash has one.
    public var dualBootImage: String?
    /// Every file the sequence asked for, in order.
    public var files: [FileRecord] = []
    /// Every line of every configuration file that was not applied as written.
    public var diagnostics: [Diagnostic] = []
    /// The source the sequence used last (after any `dyn_tftp_addr` redirection).
    public var sourceDescription: String?

    public func record(_ name: String) -> FileRecord? { files.first { $0.name == name } }
}
