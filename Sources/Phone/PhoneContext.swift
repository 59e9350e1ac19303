import PhoneClock
import SIPStack
import Provisioning

/// What the CLI commands may see and do of the running phone. deskphoned implements it; the
/// tests implement it with a real flash store and configuration.
public protocol PhoneContext: Sendable {
    /// The configuration in force.
    func configuration() async -> Configuration
    /// The report of the last boot sequence (nil while the first one runs).
    func lastBoot() async -> BootReport?
    /// When the last boot sequence finished (seconds since the epoch).
    func lastBootTime() async -> Int?
    var flash: FlashStore { get }
    var identity: PhoneIdentity { get }
    /// Time since the daemon started.
    func uptime() -> Duration
    /// `reset soft`: run the boot sequence again and apply its configuration.
    func softReset() async -> BootReport
    /// `reset hard`: restart the whole process (does not return when it works).
    func hardReset() async throws
    /// The phone's own clock (SNTP time, zone and DST, display format).
    var clock: PhoneClock { get }
    /// The SNTP client's state, nil when the phone runs no SNTP client (tests).
    func sntpStatus() -> SNTPStatus?
    /// The lines' registrations, nil when the phone runs no SIP stack (tests).
    var registrations: RegistrationManager? { get }
    /// The lines' calls, nil when the phone runs no SIP stack.
    var calls: PhoneCalls? { get }
}

extension PhoneContext {
    public var calls: PhoneCalls? { nil }
}

/// Who the phone is.
public struct PhoneIdentity: Sendable {
    public let mac: MACAddress
    /// Where the MAC came from (`option`, `flash`, `interface eth0`).
    public let macOrigin: String
    public let model: PhoneModel
    /// The provisioning source as configured (`tftp://…`, `folder …`, or nil for flash only).
    public let source: String?
    /// The firmware image this process runs (`P0S3-…`, started from a flash slot by the
    /// loader); nil for the built-in (installed) executable.
    public let image: String?

    public init(mac: MACAddress, macOrigin: String, model: PhoneModel, source: String?, image: String? = nil) {
        self.image = image
        self.mac = mac
        self.macOrigin = macOrigin
        self.model = model
        self.source = source
    }
}
