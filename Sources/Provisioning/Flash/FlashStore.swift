#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The phone's flash: one folder (/var/lib/deskphone when installed) that holds everything
/// persistent. Nothing else opens files under it.
///
/// Layout:
/// - `network.cnf`    network settings (GUIDE.md §2.2.9) in .cnf syntax
/// - `local.cnf`      parameters set on the phone itself (the flash layer of GUIDE.md §1.3)
/// - `config/`        the last good copy of every provisioning file (SIPDefault.cnf,
///                    SIP<MAC>.cnf, RINGLIST.DAT, the dial plan, ring files)
/// - `slots/`         firmware A/B slots (Firmware/FirmwareSlots.swift)
/// - later: call lists
///
/// Every write is atomic: the bytes go to a temporary file in the same folder, which is
/// fsynced, renamed over the target, and the folder is fsynced. A kill at any moment leaves
/// the old file or the new one, never a mix; stale temporary files are removed on open.
public final class FlashStore: Sendable {
    public let root: String
    /// Largest file the store reads back (firmware images will raise it).
    public let readLimit: Int
    /// Whether writes are fsynced (file and folder): a power loss then keeps them. Without it
    /// (a phone farm's many phones: six fsyncs each made most of a 1000-phone start) a write
    /// is still atomic against the process being killed, since it is still a rename.
    public let durable: Bool
    private let counter = Atomic<Int>(0)

    public init(root: String, readLimit: Int = 16 << 20, durable: Bool = true) throws(FlashError) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.readLimit = readLimit
        self.durable = durable
        try POSIX.mkdirs(self.root, sync: durable)
        removeStaleTemporaries(in: self.root)
    }

    /// A relative path inside the store: components of letters, digits, `.`, `-`, `_`, none
    /// starting with `.` (temporary files do), no `..`.
    public static func isValidPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { part in
            !part.isEmpty && part.first != "." && part.utf8.count <= 255
                && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-+".contains($0)) }
        }
    }

    private func absolute(_ path: String) throws(FlashError) -> String {
        guard Self.isValidPath(path) else { throw FlashError(operation: "use", path: path, errno: EINVAL) }
        return root + "/" + path
    }

    /// The bytes of a file, or nil when it does not exist.
    public func read(_ path: String) throws(FlashError) -> [UInt8]? {
        let p = try absolute(path)
        guard POSIX.exists(p) else { return nil }
        return try POSIX.readAll(p, limit: readLimit)
    }

    /// The bytes of a file larger than `readLimit` allows (firmware images), or nil when it
    /// does not exist.
    public func read(_ path: String, limit: Int) throws(FlashError) -> [UInt8]? {
        let p = try absolute(path)
        guard POSIX.exists(p) else { return nil }
        return try POSIX.readAll(p, limit: limit)
    }

    /// The absolute path of a file of the store, for `exec` of a firmware slot's executable
    /// (the one thing that is not read through the store); nil for an invalid path.
    public func absolutePath(_ path: String) -> String? { try? absolute(path) }

    /// Replaces (or creates) a file atomically; `mode` 0o755 for a firmware slot's executable.
    public func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FlashError) {
        let target = try absolute(path)
        let slash = target.lastIndex(of: "/") ?? target.startIndex
        let dir = String(target[..<slash])
        let base = String(target[target.index(after: slash)...])
        try POSIX.mkdirs(dir, sync: durable)
        let tmp = "\(dir)/.\(base).tmp.\(getpid()).\(counter.add(1, ordering: .relaxed).newValue)"
        let fd = try POSIX.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode)
        do {
            // The mode as asked, whatever the umask.
            if mode != 0o644 { _ = try POSIX.check(fchmod(fd, mode), "fchmod", tmp) }
            try POSIX.writeAll(fd, bytes, tmp)
            if durable { _ = try POSIX.check(fsync(fd), "fsync", tmp) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        // Closed once, whatever close says (Linux frees the descriptor even when it fails, and
        // a second close could close another thread's new file).
        if close(fd) != 0 {
            let failure = FlashError(operation: "close", path: tmp, errno: errno)
            unlink(tmp)
            throw failure
        }
        do {
            _ = try POSIX.check(rename(tmp, target), "rename", target)
        } catch {
            unlink(tmp)
            throw error
        }
        if durable { try POSIX.fsyncPath(dir, directory: true) }
    }

    /// Removes a file (no error when it does not exist).
    public func remove(_ path: String) throws(FlashError) {
        let p = try absolute(path)
        if unlink(p) != 0 && errno != ENOENT { throw FlashError(operation: "unlink", path: p, errno: errno) }
    }

    /// File names in a folder of the store (empty when it does not exist).
    public func list(_ folder: String) -> [String] {
        guard let p = try? absolute(folder) else { return [] }
        return POSIX.list(p).filter { !$0.hasPrefix(".") }
    }

    /// A file of the store, for `show flash`.
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let size: Int
        /// Seconds since the epoch of the last write.
        public let modified: Int
    }

    /// Every file of the store, depth first, in name order.
    public func entries() -> [Entry] {
        var out: [Entry] = []
        func walk(_ rel: String) {
            let dir = rel.isEmpty ? root : root + "/" + rel
            for name in POSIX.list(dir) where !name.hasPrefix(".") {
                let path = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard stat(root + "/" + path, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR { walk(path) }
                else { out.append(Entry(path: path, size: Int(st.st_size), modified: Int(st.st_mtim.tv_sec))) }
            }
        }
        walk("")
        return out
    }

    /// Bytes free and in total on the file system that holds the store.
    public func capacity() -> (free: Int, total: Int)? {
        var vfs = statvfs()
        guard statvfs(root, &vfs) == 0 else { return nil }
        return (Int(vfs.f_bavail) * Int(vfs.f_frsize), Int(vfs.f_blocks) * Int(vfs.f_frsize))
    }

    /// Removes every file of a folder (or of the whole store with `nil`).
    public func erase(_ folder: String? = nil) throws(FlashError) {
        let top = try folder.map { (f: String) throws(FlashError) -> String in try absolute(f) } ?? root
        try removeTree(top, keep: folder == nil)
        if folder == nil && durable { try POSIX.fsyncPath(root, directory: true) }
    }

    private func removeTree(_ path: String, keep: Bool) throws(FlashError) {
        for name in POSIX.list(path) {
            let p = path + "/" + name
            if POSIX.isDirectory(p) { try removeTree(p, keep: false) }
            else if unlink(p) != 0 { throw FlashError(operation: "unlink", path: p, errno: errno) }
        }
        if !keep && rmdir(path) != 0 && errno != ENOENT { throw FlashError(operation: "rmdir", path: path, errno: errno) }
    }

    /// `.NAME.tmp.PID.N` of another process that is still running: a firmware watchdog opens
    /// the store beside the running phone and must not remove its writes in flight. The same
    /// pid as ours is stale (a process that exec'd keeps its pid).
    static func belongsToAnotherLiveProcess(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard let t = parts.lastIndex(of: "tmp"), t + 1 < parts.count else { return false }
        guard let pid = Int32(parts[t + 1]), pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    private func removeStaleTemporaries(in dir: String) {
        for name in POSIX.list(dir) {
            let p = dir + "/" + name
            if name.hasPrefix(".") && name.contains(".tmp.") {
                if !Self.belongsToAnotherLiveProcess(name) { unlink(p) }
            }
            else if POSIX.isDirectory(p) { removeStaleTemporaries(in: p) }
        }
    }
}
