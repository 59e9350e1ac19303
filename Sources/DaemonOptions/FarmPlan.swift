import Provisioning

/// The phone-farm mode (`--farm N`, issue 16's scale target): N phones in one process, on the
/// one event loop. Phone n (1…N) has the MAC `--mac` + n − 1, the flash folder
/// FLASH/phone-<MAC>/ and the SIP port `--farm-sip-port` + n − 1 (in place of its
/// `voip_control_port`); every phone is provisioned from the same source, so it fetches
/// SIPDefault.cnf and its own SIP<MAC>.cnf. The plan is checked whole at start: a farm that
/// cannot be laid out (too many phones, MACs or ports past the last one) is an error then,
/// not a phone that fails later.
public struct FarmPlan: Sendable, Equatable, CustomStringConvertible {
    /// The most phones a farm has: each holds two sockets (SIP over UDP and TCP), and 4000
    /// phones stay within a hard RLIMIT_NOFILE of 8192 with room for calls and the CLI.
    public static let maxPhones = 4000
    /// The first phone's SIP port when `--farm-sip-port` is not given.
    public static let defaultFirstSIPPort = 5060

    public let size: Int
    public let firstMAC: MACAddress
    public let firstSIPPort: Int
    /// The farm's flash folder (`--flash`): each phone's own folder is inside it.
    public let flash: String

    /// One phone of the farm.
    public struct Phone: Sendable, Equatable {
        /// 1…N; phone 1 serves the CLI.
        public let number: Int
        public let mac: MACAddress
        public let sipPort: Int
        public let flash: String
    }

    public init(size: Int, firstMAC: MACAddress, firstSIPPort: Int = FarmPlan.defaultFirstSIPPort,
                flash: String) throws(Problem) {
        guard (1...Self.maxPhones).contains(size) else { throw .size(size) }
        guard (1...65535).contains(firstSIPPort), firstSIPPort <= 65535 - (size - 1) else {
            throw .ports(size: size, first: firstSIPPort)
        }
        guard Self.value(firstMAC) <= Self.lastMAC - UInt64(size - 1) else { throw .macs(size: size, first: firstMAC) }
        self.size = size
        self.firstMAC = firstMAC
        self.firstSIPPort = firstSIPPort
        self.flash = flash.hasSuffix("/") && flash.count > 1 ? String(flash.dropLast()) : flash
    }

    /// Phone `number` (1…size).
    public func phone(_ number: Int) -> Phone {
        let mac = Self.mac(Self.value(firstMAC) + UInt64(number - 1)) ?? firstMAC
        return Phone(number: number, mac: mac, sipPort: firstSIPPort + number - 1,
                     flash: flash + "/" + Self.folder(mac))
    }

    public var phones: [Phone] { (1...size).map(phone) }

    /// The folder of a phone's flash inside the farm's: `phone-0011AABBCC42`.
    public static func folder(_ mac: MACAddress) -> String { "phone-" + mac.fileNameForm }

    public var description: String {
        "\(size) phones from MAC \(firstMAC), SIP ports \(firstSIPPort)-\(firstSIPPort + size - 1), flash \(flash)/phone-<MAC>"
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case size(Int)
        case ports(size: Int, first: Int)
        case macs(size: Int, first: MACAddress)

        public var description: String {
            switch self {
            case .size(let n):
                "--farm \(n): a farm has 1 to \(FarmPlan.maxPhones) phones"
            case .ports(let n, let first):
                "--farm \(n) with --farm-sip-port \(first): the phones' SIP ports \(first)-\(first + n - 1) do not fit in 1-65535"
            case .macs(let n, let first):
                "--farm \(n) with --mac \(first): the phones' MACs run past FF:FF:FF:FF:FF:FF"
            }
        }
    }

    static let lastMAC: UInt64 = 0xFFFF_FFFF_FFFF

    static func value(_ mac: MACAddress) -> UInt64 { mac.octets.reduce(0) { $0 << 8 | UInt64($1) } }

    static func mac(_ value: UInt64) -> MACAddress? {
        // (six octets always: the initialiser does not fail; the fallback is never taken)
        MACAddress(octets: (0..<6).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }
}
