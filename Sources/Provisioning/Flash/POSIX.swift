#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on the flash store: what was attempted, on which path, and errno's text.
public struct FlashError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let errno: Int32

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}

/// The few POSIX calls the flash store needs, each turning -1 into a `FlashError`.
enum POSIX {
    static func check(_ r: Int32, _ op: String, _ path: String) throws(FlashError) -> Int32 {
        if r < 0 { throw FlashError(operation: op, path: path, errno: errno) }
        return r
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(FlashError) -> Int32 {
        var fd: Int32
        repeat { fd = Glibc.open(path, flags | O_CLOEXEC, mode) } while fd < 0 && errno == EINTR
        return try check(fd, "open", path)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(FlashError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { p in
                Glibc.write(fd, p.baseAddress.map { $0 + off }, p.count - off)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FlashError(operation: "write", path: path, errno: errno)
            }
            off += n
        }
    }

    static func readAll(_ path: String, limit: Int) throws(FlashError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FlashError(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return out }
            out += chunk[0..<n]
            if out.count > limit { throw FlashError(operation: "read", path: path, errno: EFBIG) }
        }
    }

    static func fsyncPath(_ path: String, directory: Bool) throws(FlashError) {
        let fd = try open(path, directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY)
        defer { close(fd) }
        _ = try check(fsync(fd), "fsync", path)
    }

    /// Creates the missing folders of `path`. A folder created is fsynced into its parent:
    /// without that, a power loss can take the new folder away with the files already
    /// written and fsynced into it (the first `config/` copy, a slot's first image); not
    /// with `sync` false (a store that is not `durable`).
    static func mkdirs(_ path: String, sync: Bool = true) throws(FlashError) {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            let parent = built.isEmpty ? "/" : built
            built += "/" + part
            if mkdir(built, 0o755) == 0 {
                if sync { try fsyncPath(parent, directory: true) }
            } else if errno != EEXIST {
                throw FlashError(operation: "mkdir", path: built, errno: errno)
            }
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory, without `.` and `..`; empty when it does not exist.
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
