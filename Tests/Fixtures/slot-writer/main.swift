// Test fixture: builds, signs and verifies image after image, installs each into the flash's
// inactive firmware slot and activates it, until it is killed (SlotAtomicityTests). Usage:
// slot-writer FLASH_DIR PRIVATE_KEY_FILE FIRST_GENERATION
import Firmware
import Provisioning
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count == 4, let first = Int(args[3]) else {
    print("usage: slot-writer FLASH_DIR PRIVATE_KEY_FILE FIRST_GENERATION")
    exit(2)
}

do {
    var buffer = [UInt8](repeating: 0, count: 4096)
    guard let f = fopen(args[2], "r") else { print("slot-writer: cannot open \(args[2])"); exit(1) }
    let count = fread(&buffer, 1, buffer.count, f)
    fclose(f)
    let keyBytes = Array(buffer.prefix(count))
    let key = try ImageSigningKey(file: String(decoding: keyBytes, as: UTF8.self))
    let store = try FlashStore(root: args[1])
    let slots = FirmwareSlots(flash: store)
    let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)
    print("started")
    fflush(nil)
    var generation = first
    while true {
        // 50 to 450 kB: big enough that a kill often lands inside the slot write.
        let length = 50_000 + (generation * 7919) % 400_000
        let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: generation), count: length)
        guard let version = ImageVersion(major: generation / 10_000 % 100, minor: generation % 10_000 / 100,
                                          maintenance: generation % 100) else { exit(3) }
        let image = try FirmwareImage.build(payload: payload, version: version, models: [.cp7960]).signed(with: key)
        let verified = try verifier.verify(image.bytes)
        try slots.installInactive(verified)
        try slots.activate(verifier: verifier)
        generation += 1
    }
} catch {
    print("slot-writer: \(error)")
    exit(1)
}
