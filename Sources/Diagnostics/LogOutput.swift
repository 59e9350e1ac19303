#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers

/// Where the daemon's own log lines go: standard error, one line per event, written with a
/// single `write(2)` so lines from different threads never interleave.
public final class LogOutput: Sendable {
    private let fd: Int32
    private let lock = NIOLock()

    public init(fileDescriptor: Int32 = 2) { self.fd = fileDescriptor }

    public func write(level: Logger.Level, category: DebugCategory, text: String) {
        let line = "\(WallClock.logStamp()) \(level.rawValue.uppercased()) [\(category.rawValue)] \(text)\n"
        lock.withLock {
            var bytes = Array(line.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeMutableBytes { p in
                    #if canImport(Glibc) || canImport(Musl)
                    Glibc.write(fd, p.baseAddress! + off, p.count - off)
                    #else
                    Darwin.write(fd, p.baseAddress! + off, p.count - off)
                    #endif
                }
                if n <= 0 { break }
                off += n
            }
        }
    }
}
