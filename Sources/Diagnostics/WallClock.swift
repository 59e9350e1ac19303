#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Host wall-clock stamps for log lines only (protocol timers use injected clocks).
enum WallClock {
    private static func now() -> (tm, Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        localtime_r(&t, &parts)
        return (parts, Int(ts.tv_nsec / 1000))
    }

    /// `HH:MM:SS:uuuuuu`, the debug stamp of GUIDE.md §4.3.
    static func debugStamp() -> String {
        let (t, us) = now()
        return "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)):\(pad(us, 6))"
    }

    /// `YYYY-MM-DD HH:MM:SS.mmm` for the daemon's own log.
    static func logStamp() -> String {
        let (t, us) = now()
        return "\(t.tm_year + 1900)-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2)) "
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(us / 1000, 3))"
    }

    static func pad(_ v: some BinaryInteger, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
