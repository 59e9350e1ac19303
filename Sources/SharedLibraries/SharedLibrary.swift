#if canImport(Glibc)
import Glibc
#endif

/// A C library the phone opens when it first needs it (dlopen), not at exec: ALSA with the first
/// sound card, bcg729 at the first call, libedit with the serial console. A library linked at
/// exec is mapped, relocated and partly resident in every phone (issue 16: start-up time and
/// idle memory); these are not needed by most. `bind` is the library's shim (`calsa_bind_library`,
/// `cbcg729_bind_library`, `cedit_bind_library`): it fills a table of the functions with their header's
/// prototypes, or names the first one missing.
public enum SharedLibrary {
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func load<Table>(_ file: String,
                            bind: (UnsafeMutableRawPointer, UnsafeMutablePointer<Table>) -> UnsafePointer<CChar>?) -> Result<Table, LoadError> {
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(LoadError(description: dlerror().map { String(cString: $0) } ?? "\(file): cannot be loaded"))
        }
        let table = UnsafeMutablePointer<Table>.allocate(capacity: 1)
        defer { table.deallocate() }
        if let missing = bind(handle, table) {
            dlclose(handle)
            return .failure(LoadError(description: "\(file) has no \(String(cString: missing))"))
        }
        // The library stays open for the life of the process (the table points into it).
        return .success(table.pointee)
    }
}
