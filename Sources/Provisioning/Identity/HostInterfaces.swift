/// The host's network interfaces as Linux lists them under /sys/class/net.
import TextUtilities

public enum HostInterfaces {
    public struct Interface: Sendable, Equatable {
        public let name: String
        public let index: Int
        public let mac: MACAddress?
    }

    public static func list(sysfs: String = "/sys/class/net") -> [Interface] {
        POSIX.list(sysfs).compactMap { name in
            let dir = sysfs + "/" + name
            guard let idx = read(dir + "/ifindex").flatMap({ Int($0) }) else { return nil }
            let mac = read(dir + "/address").flatMap { MACAddress($0) }
            return Interface(name: name, index: idx, mac: mac)
        }.sorted { $0.index < $1.index }
    }

    /// The MAC of the first interface (by index) that is not loopback and has a non-zero MAC.
    public static func firstMAC(sysfs: String = "/sys/class/net") -> (interface: String, mac: MACAddress)? {
        for i in list(sysfs: sysfs) where i.name != "lo" {
            if let m = i.mac, m.octets.contains(where: { $0 != 0 }) { return (i.name, m) }
        }
        return nil
    }

    static func read(_ path: String) -> String? {
        guard let bytes = try? POSIX.readAll(path, limit: 4096) else { return nil }
        return String(String(decoding: bytes, as: UTF8.self).trimmingASCIIBlanks())
    }
}
