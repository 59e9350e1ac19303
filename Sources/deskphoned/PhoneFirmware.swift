import DaemonOptions
import Diagnostics
import Firmware
import Logging
import Phone
import Provisioning
import Scheduling
import SIPStack
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The firmware side of the running phone (issue 15), wired from the pieces in Firmware: the
/// upgrade check after every boot, the health report of an image on trial, and check-sync.
final class PhoneFirmware: Sendable {
    let slots: FirmwareSlots
    let image: RunningImage
    let settings: DaemonSettings
    let arguments: [String]
    let verifier: ImageVerifier
    let source: (any ProvisioningSource)?
    private let checkSync: NIOLockedValueBox<CheckSyncMachine>
    /// A check-sync re-read is under way: its boot must not upgrade by itself (§7.4: only a
    /// reboot the sync value asks for upgrades).
    private let inCheckSync = NIOLockedValueBox(false)
    /// One upgrade at a time: a `reset` during a download must not start a second writer of
    /// the inactive slot.
    private let upgrading = NIOLockedValueBox(false)
    private let log = Logger.category(.image)

    init(flash: FlashStore, image: RunningImage, settings: DaemonSettings, arguments: [String],
         source: (any ProvisioningSource)?) {
        self.slots = FirmwareSlots(flash: flash, running: image.name)
        self.image = image
        self.settings = settings
        self.arguments = arguments
        self.source = source
        let keys = Self.loadKeys(settings.imageKeys, log: log)
        self.verifier = ImageVerifier(trustedKeys: keys, model: settings.model)
        self.checkSync = NIOLockedValueBox(CheckSyncMachine(delay: .seconds(settings.checkSyncDelay)))
    }

    /// Every `*.pub` in the folder; a bad file is reported and skipped.
    static func loadKeys(_ dir: String, log: Logger) -> [ImagePublicKey] {
        guard let d = opendir(dir) else {
            log.warning("image keys: \(dir): \(String(cString: strerror(errno))); no image can be installed")
            return []
        }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".pub") && !name.hasPrefix(".") { names.append(name) }
        }
        var keys: [ImagePublicKey] = []
        for name in names.sorted() {
            let path = dir + "/" + name
            do {
                guard let bytes = Self.readSmall(path) else {
                    throw ImageError.badKeyFile(reason: "cannot read: \(String(cString: strerror(errno)))")
                }
                let key = try ImagePublicKey(file: String(decoding: bytes, as: UTF8.self))
                keys.append(key)
                log.info("image keys: trusting \(key.keyIDText) (\(path))")
            } catch {
                log.error("image keys: \(path): \(error); not trusted")
            }
        }
        if keys.isEmpty { log.warning("image keys: no public key in \(dir); no image can be installed") }
        return keys
    }

    /// A key file: one short line (nil when it cannot be read).
    static func readSmall(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buf, 1, buf.count, f)
        return Array(buf.prefix(n))
    }

    func restart() throws {
        try ImageLoader.restart(loader: image.loader, arguments: arguments)
    }

    // MARK: Upgrade

    /// After a boot: the upgrade check of GUIDE.md §1.1 step 5 (a restart does not return),
    /// off the boot's path; not after the re-read of check-sync (asked here, inside the boot).
    func afterBoot(_ report: BootReport) {
        if inCheckSync.withLockedValue({ $0 }) { return }
        Task { await upgrade(report) }
    }

    func upgrade(_ report: BootReport) async {
        let busy = upgrading.withLockedValue { u in
            defer { u = true }
            return u
        }
        if busy {
            log.info("upgrade: a check is under way already; image_version \(report.configuration.text("image_version") ?? "unset") waits for the next boot")
            return
        }
        defer { upgrading.withLockedValue { $0 = false } }
        let source = self.source
        let log = self.log
        let driver = UpgradeDriver(
            slots: slots, verifier: verifier,
            fetch: { (file: String) async throws(FetchFailure) -> [UInt8] in
                guard let source else { throw FetchFailure.unreachable("no TFTP server configured") }
                return try await source.fetch(file, maxSize: FirmwareImage.maximumImageSize)
            },
            restart: { [self] in try self.restart() },
            report: { level, text in
                switch level {
                case .debug: log.debug("\(text)")
                case .info: log.info("\(text)")
                case .warning: log.warning("\(text)")
                case .error: log.error("\(text)")
                }
            })
        let outcome = await driver.run(imageVersion: report.configuration.text("image_version"),
                                       dualBootImage: report.dualBootImage)
        log.debug("upgrade check: \(outcome)")
    }

    // MARK: Trial

    /// An image on trial reports what it lacks until it is healthy, then confirms itself;
    /// the watchdog started by the loader rolls it back otherwise.
    func watchHealth(phone: PhoneRuntime, telnet: TelnetListener) {
        guard image.onTrial else { return }
        let slots = self.slots, log = self.log, name = image.name ?? "?"
        Task {
            var lastMissing: String?
            while slots.trial() != nil {
                let config = await phone.configuration()
                let level = ConsoleSettings(config).telnetLevel
                let cliUp = level == 0 ? true : await telnet.isListening
                var lines: [(line: Int, registered: Bool)] = []
                if SIPSettings(config).registerAtBoot, let reg = phone.registrations {
                    lines = await reg.table().filter { $0.line != RegistrationManager.backupLine }
                        .map { ($0.line, $0.state == .registered) }
                }
                if let missing = TrialHealth.missing(cliUp: cliUp, lines: lines) {
                    if missing != lastMissing {
                        log.info("trial: \(name) not yet healthy: \(missing)")
                        slots.noteTrialHealth(missing)
                        lastMissing = missing
                    }
                } else {
                    let how = lines.isEmpty ? "CLI up" : "CLI up, \(lines.count) line\(lines.count == 1 ? "" : "s") registered"
                    do {
                        try slots.confirmTrial(how)
                        log.info("trial: \(name) is healthy (\(how)); it stays")
                    } catch {
                        log.error("trial: cannot confirm \(name): \(error)")
                    }
                    await Self.reapWatchdog()
                    return
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// The watchdog, our child since the loader's exec, exits once the trial is confirmed:
    /// wait for it so that it does not stay a zombie.
    static func reapWatchdog() async {
        guard let text = ImageLoader.environment(ImageLoader.watchdogPIDVariable), let pid = pid_t(text) else { return }
        unsetenv(ImageLoader.watchdogPIDVariable)
        var status: Int32 = 0
        for _ in 0..<100 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: check-sync (GUIDE.md §7.4)

    /// A check-sync NOTIFY was answered 200.
    func checkSyncArrived(from sender: String, busy: Bool, phone: PhoneRuntime) {
        let armed = checkSync.withLockedValue { m in
            let was = m.isArmed
            m.notified(now: .now, busy: busy)
            return was
        }
        if armed {
            log.info("check-sync from \(sender): a check is pending already")
            return
        }
        log.info("check-sync from \(sender): re-reading the configuration and syncinfo.xml after \(settings.checkSyncDelay) s idle\(busy ? " (waiting for the call to end)" : "")")
        Task { await self.waitAndCheck(phone: phone) }
    }

    private func waitAndCheck(phone: PhoneRuntime) async {
        var waitingLogged = false
        while true {
            let busy: Bool
            if let sip = phone.sip { busy = await MainActorFree.isBusy(sip) } else { busy = false }
            if busy && !waitingLogged {
                log.info("check-sync: a call is in progress; waiting until the phone is idle")
                waitingLogged = true
            }
            if checkSync.withLockedValue({ $0.tick(now: .now, busy: busy) }) { break }
            try? await Task.sleep(for: .milliseconds(200))
        }
        defer { checkSync.withLockedValue { $0.finished() } }
        inCheckSync.withLockedValue { $0 = true }
        let report = await phone.softReset()
        inCheckSync.withLockedValue { $0 = false }
        let sync = report.configuration.text("sync") ?? SyncInfo.defaultSync
        let running = image.name ?? FirmwareSlots.builtInName
        let bytes: [UInt8]
        do {
            guard let source else { throw FetchFailure.unreachable("no TFTP server configured") }
            bytes = try await source.fetch("syncinfo.xml")
        } catch {
            log.warning("check-sync: syncinfo.xml: \(error); no reboot")
            return
        }
        let info: SyncInfo
        do { info = try SyncInfo.parse(bytes) } catch {
            log.error("check-sync: syncinfo.xml:\(error); no reboot")
            return
        }
        switch info.decision(runningImage: running, currentSync: sync) {
        case .noEntry:
            log.info("check-sync: syncinfo.xml lists neither \(running) nor *; no reboot")
        case .noReboot:
            log.info("check-sync: sync \(sync) is current for \(running); no reboot (the new dial plan applies)")
        case .reboot(let wanted):
            log.info("check-sync: syncinfo.xml says sync \(wanted) for \(running), the phone has \(sync); rebooting")
            // The reboot is a restart through the loader; the boot after it upgrades when
            // image_version differs (§7.4 step 4c).
            do { try restart() } catch { log.error("check-sync: \(error)") }
        }
    }
}

/// Reads PhoneSIP's call state from outside the loop.
enum MainActorFree {
    static func isBusy(_ sip: PhoneSIP) async -> Bool { await sip.isBusy }
}
