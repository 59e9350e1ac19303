#if canImport(Glibc)
import Glibc
#endif

/// Reading the small text files of /proc, /sys and /etc without Foundation.
enum SystemFiles {
    /// The whole file as UTF-8 text, or nil when it cannot be opened or read (a /sys
    /// attribute of a virtual link answers EINVAL to read).
    static func text(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Most of these files are a few bytes: read into one buffer, growing it only when full.
        var bytes = [UInt8](repeating: 0, count: 512)
        var used = 0
        while true {
            if used == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + used }, $0.count - used) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            used += count
        }
        return String(decoding: bytes[0..<used], as: UTF8.self)
    }

    /// The first line of the file, trimmed of surrounding white space.
    static func line(_ path: String) -> String? {
        guard let text = text(path) else { return nil }
        let first = text.utf8.prefix { $0 != 0x0A && $0 != 0x0D }
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        let trimmed = first.drop(while: isBlank)
        let end = trimmed.lastIndex { !isBlank($0) }.map { trimmed.index(after: $0) } ?? trimmed.startIndex
        return String(decoding: trimmed[..<end], as: UTF8.self)
    }

    static func integer(_ path: String) -> Int64? { line(path).flatMap { Int64($0) } }
}

extension Substring {
    func trimmingPrefix(while skip: (Character) -> Bool) -> Substring { drop(while: skip) }
}
