// Test fixture: rewrites a few files of a flash store, generation after generation, until it
// is killed. Every file is self-verifying (see FlashAtomicityTests): a header naming the
// generation, a payload whose length varies, and a trailer with the payload's length and
// FNV-1a sum. Usage: flash-writer FLASH_DIR FIRST_GENERATION
import Provisioning
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count == 3, let first = Int(args[2]) else {
    print("usage: flash-writer FLASH_DIR FIRST_GENERATION")
    exit(2)
}

func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

do {
    let store = try FlashStore(root: args[1])
    print("started")
    fflush(nil)
    var generation = first
    while true {
        for name in ["config/SIPDefault.cnf", "config/SIP0011AABBCC42.cnf", "network.cnf"] {
            let length = (generation * 7919 + name.utf8.count * 104_729) % 20_000
            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: generation), count: length)
            let file = Array("gen=\(generation) file=\(name)\n".utf8) + payload
                + Array("\nend len=\(length) sum=\(fnv1a(payload))\n".utf8)
            try store.write(file, to: name)
        }
        generation += 1
    }
} catch {
    print("flash-writer: \(error)")
    exit(1)
}
