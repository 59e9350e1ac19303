import Diagnostics
import Logging
import NIOCore
import NIOPosix
import Provisioning
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The running phone: flash, identity, the boot sequence; later the SIP stack, media and CLI.
final class PhoneDaemon: Service, Sendable {
    let settings: DaemonSettings
    let log = Logger.category(.plat)

    init(settings: DaemonSettings) {
        self.settings = settings
    }

    func run() async throws {
        // One event loop for the whole phone (ARCHITECTURE.md "One event loop").
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await run(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    func run(on group: MultiThreadedEventLoopGroup) async throws {
        let started = ContinuousClock.now

        let flash = try FlashStore(root: settings.flash)
        let (mac, macOrigin) = try identity(flash: flash)
        log.info("deskphoned starting: model \(settings.model.rawValue), MAC \(mac) (\(macOrigin)), flash \(flash.root)")

        let source = try provisioningSource(flash: flash, group: group)
        log.info("provisioning source: \(source.map { "\($0)" } ?? "none (flash only)")")
        let boot = BootSequence(flash: flash, source: source, mac: mac, model: settings.model)
        let report = await boot.run()

        let errors = report.diagnostics.errors.count, warnings = report.diagnostics.warnings.count
        let elapsed = ContinuousClock.now - started
        log.info("boot complete in \(elapsed.milliseconds) ms: \(report.files.count) files, \(errors) configuration errors, \(warnings) warnings")

        try? await gracefulShutdown()
        log.info("deskphoned stopping")
    }

    /// MAC: option, else flash (network.cnf mac_address), else the host's first interface.
    func identity(flash: FlashStore) throws -> (MACAddress, String) {
        if let text = settings.mac, let m = MACAddress(text) { return (m, "option") }
        if let bytes = try flash.read(BootSequence.networkFile) {
            var c = Configuration(model: settings.model)
            c.apply(bytes, file: BootSequence.networkFile, as: .flash)
            if let t = c.text("mac_address"), let m = MACAddress(t) { return (m, "flash") }
        }
        if let (name, m) = HostInterfaces.firstMAC() { return (m, "interface \(name)") }
        throw DaemonError("no MAC address: give --mac, or set mac_address in flash network.cnf")
    }

    /// --provision DIR, else --tftp, else the flash's tftp_server; none means flash only.
    func provisioningSource(flash: FlashStore, group: EventLoopGroup) throws -> (any ProvisioningSource)? {
        if let dir = settings.provision { return LocalFolderSource(root: dir) }
        var spec = settings.tftp
        if spec == nil, let bytes = try flash.read(BootSequence.networkFile) {
            var c = Configuration(model: settings.model)
            c.apply(bytes, file: BootSequence.networkFile, as: .flash)
            // No DHCP client runs here (the host OS owns the address), so the stored TFTP
            // server is used whether or not alternate_tftp is set.
            spec = c.text("tftp_server")
        }
        guard let spec else { return nil }
        do {
            return try TFTPSource(client: TFTPClient(eventLoopGroup: group), spec: spec)
        } catch {
            throw DaemonError("TFTP server \(spec): \(error)")
        }
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension Duration {
    /// Milliseconds with one decimal, for log lines.
    var milliseconds: String {
        let (s, atto) = components
        let tenths = (Double(s) * 10_000 + Double(atto) / 1e14).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
    }
}
