import CEditLine
import SharedLibraries

/// libedit, opened when the first serial console starts and kept (`SharedLibrary`): a phone
/// without a console never loads it, nor libtinfo, libbsd and libmd that it pulls in.
enum EditLineLibrary {
    /// Debian's libedit2 (the .deb depends on it by name, since it is not linked).
    static let file = "libedit.so.2"

    /// The table, written once here and only read after (libedit's callbacks read it too).
    struct Table: @unchecked Sendable {
        let functions: UnsafePointer<cedit_library>
    }

    static let loaded: Result<Table, SharedLibrary.LoadError> = SharedLibrary.load(file) { cedit_bind_library($0, $1) }.map { table in
        let stored = UnsafeMutablePointer<cedit_library>.allocate(capacity: 1)
        stored.initialize(to: table)
        return Table(functions: UnsafePointer(stored))
    }

    /// The functions, nil when libedit could not be loaded (`loaded` says why).
    static var functions: UnsafePointer<cedit_library>? { try? loaded.get().functions }
}
