#if canImport(Glibc)
import Glibc
#endif

/// Keeping the start-up's code cold (issue 16). The boot runs through code spread over most of
/// the executable's text (the Swift runtime's metadata and conformance lookups, the parsers,
/// the boot sequence), and the kernel maps it in 64 KB at a time: ~14 MB of the idle daemon's
/// ~20 MB VmRSS were the executable's text pages, most of them never touched again. Once the
/// boot is over, `release()` unmaps them from the process (MADV_DONTNEED on the executable's
/// read-only mappings); they stay in the page cache, and whatever runs later (a
/// call, a CLI command) maps its pages back in with a minor fault.
///
/// Only mappings that were never written (text, symbol tables, relocations, metadata): dropping
/// their pages loses nothing. Relocated data (RELRO, made read-only after it was written) and
/// the writable mappings are left alone.
enum ColdCode {
    /// Unmaps the executable's read-only mappings that hold no private copy of a page (smaps
    /// `Anonymous: 0 kB`: nothing in them was ever written, relocated data excluded); returns
    /// the kilobytes of those mappings, or nil when none was found (nothing is done then).
    @discardableResult
    static func release() -> Int? {
        guard let exe = realPath("/proc/self/exe"), let smaps = readFile("/proc/self/smaps") else { return nil }
        var candidates: [(start: UInt, end: UInt)] = []
        var current: (start: UInt, end: UInt)?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 5, fields[0].contains("-"), fields[1].count == 4 {
                // 55a0da1bb000-55a0db94c000 r-xp 00000000 fe:00 1234   /path/to/deskphoned
                current = nil
                let range = fields[0].split(separator: "-")
                guard fields.count >= 6, !fields[1].contains("w"), fields[5...].joined(separator: " ") == exe,
                      range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                      end > start else { continue }
                current = (start, end)
            } else if let c = current, fields.count >= 2, fields[0] == "Anonymous:" {
                if fields[1] == "0" { candidates.append(c) }
                current = nil
            }
        }
        var released = 0
        for c in candidates {
            guard let pointer = UnsafeMutableRawPointer(bitPattern: c.start) else { continue }
            if madvise(pointer, Int(c.end - c.start), MADV_DONTNEED) == 0 { released += Int(c.end - c.start) / 1024 }
        }
        return released > 0 ? released : nil
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
