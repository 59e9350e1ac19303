// Test fixture: the phone's upgrade over and over, until it is killed (UpgradeKillTests). Each
// round is one boot: the loader's decision on the flash (BootLoader.resolve, a trial confirmed
// as a healthy image would), then the upgrade to the image that is not running, fetched by
// TFTP from the tftpd-hpa on 127.0.0.1:PORT, verified, written to the inactive slot, switched
// to; the "restart" is the next round. Every step's log line goes to standard output at once,
// so the test knows in which step the kill landed. Usage:
// upgrade-runner FLASH_DIR PUBLIC_KEY_FILE TFTP_PORT IMAGE_NAME...
import Firmware
import NIOPosix
import Provisioning
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count >= 5, let port = Int(args[3]) else {
    print("usage: upgrade-runner FLASH_DIR PUBLIC_KEY_FILE TFTP_PORT IMAGE_NAME...")
    exit(2)
}
let names = Array(args[4...])

@Sendable func say(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

do {
    var buffer = [UInt8](repeating: 0, count: 4096)
    guard let f = fopen(args[2], "r") else { say("upgrade-runner: cannot open \(args[2])"); exit(1) }
    let count = fread(&buffer, 1, buffer.count, f)
    fclose(f)
    let key = try ImagePublicKey(file: String(decoding: buffer.prefix(count), as: UTF8.self))
    let verifier = ImageVerifier(trustedKeys: [key], model: .cp7960)
    let source = try TFTPSource(client: TFTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton),
                                spec: "127.0.0.1:\(port)")
    say("started")
    var round = 0
    while true {
        let store = try FlashStore(root: args[1])
        let probe = FirmwareSlots(flash: store)
        var running: String?
        switch BootLoader.resolve(probe, note: { say($0) }) {
        case .start(let slot, let trial):
            if case .installed(let m) = probe.state(slot) { running = m.name }
            if trial {
                _ = try probe.noteTrialStart()
                say("boot: trial of slot \(slot)")
                try FirmwareSlots(flash: store, running: running).confirmTrial("fixture")
            }
        default:
            running = nil
        }
        let slots = FirmwareSlots(flash: store, running: running)
        say("boot: running \(running ?? "built-in")")
        // Another image than the running one, and not one rolled back (never retried).
        let heldBack = slots.lastUpgrade().flatMap { $0.result == .rolledBack ? $0.from : nil }
        // Preferably one neither slot holds, so that every round downloads and writes.
        let inSlots = SlotName.allCases.compactMap { s -> String? in
            if case .installed(let m) = slots.state(s) { m.name } else { nil }
        }
        let candidates = names.filter { $0 != running && $0 != heldBack }
        let fresh = candidates.filter { !inSlots.contains($0) }
        let pool = fresh.isEmpty ? candidates : fresh
        let wanted = pool[round % pool.count]
        let driver = UpgradeDriver(
            slots: slots, verifier: verifier,
            fetch: { (file: String) async throws(FetchFailure) -> [UInt8] in
                try await source.fetch(file, maxSize: FirmwareImage.maximumImageSize)
            },
            restart: {}, report: { _, text in say(text) })
        let outcome = await driver.run(imageVersion: wanted, dualBootImage: nil)
        say("outcome: \(outcome)")
        round += 1
    }
} catch {
    say("upgrade-runner: \(error)")
    exit(1)
}
