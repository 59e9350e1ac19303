#if canImport(Glibc)
import Glibc
#endif

/// A serial line opened and set up with termios: the speed given, 8 data bits, no parity,
/// one stop bit, no flow control, raw mode (GUIDE.md §4.1: 9600 8-N-1, (unverified)).
public enum SerialPort {
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The termios speed constant for a baud rate.
    static func speedConstant(_ baud: Int) -> speed_t? {
        switch baud {
        case 1200: return speed_t(B1200)
        case 2400: return speed_t(B2400)
        case 4800: return speed_t(B4800)
        case 9600: return speed_t(B9600)
        case 19200: return speed_t(B19200)
        case 38400: return speed_t(B38400)
        case 57600: return speed_t(B57600)
        case 115200: return speed_t(B115200)
        default: return nil
        }
    }

    public static let speeds = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]

    /// Opens `path` read-write and configures it; returns the descriptor.
    public static func open(_ path: String, speed: Int) throws -> Int32 {
        guard let constant = speedConstant(speed) else {
            throw SetupError(description: "\(speed): not a serial speed (valid: \(speeds.map(String.init).joined(separator: ", ")))")
        }
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw SetupError(description: "\(path): \(String(cString: strerror(errno)))") }
        do {
            try configure(fd, speed: constant, path: path)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    static func configure(_ fd: Int32, speed: speed_t, path: String) throws {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            throw SetupError(description: "\(path): not a terminal (\(String(cString: strerror(errno))))")
        }
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD) | tcflag_t(CS8)
        t.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(PARENB) | tcflag_t(CRTSCTS))
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &t) == 0 else {
            throw SetupError(description: "\(path): tcsetattr: \(String(cString: strerror(errno)))")
        }
    }
}
