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
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first line of the file, trimmed of surrounding white space.
    static func line(_ path: String) -> String? {
        guard let text = text(path) else { return nil }
        let first = text.split(whereSeparator: \.isNewline).first ?? ""
        return String(first.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    static func integer(_ path: String) -> Int64? { line(path).flatMap { Int64($0) } }
}
