// Test fixture: writes to a flash store, generation after generation, until it is killed.
// Every file is self-verifying, so the test can tell a whole file from a torn one.
//
// flash-writer FLASH_DIR FIRST_GENERATION
//     FlashStore.write itself (FlashAtomicityTests): rewrites a few files; each has a header
//     naming the generation, a payload whose length varies, and a trailer with the payload's
//     length and FNV-1a sum.
// flash-writer boot FLASH_DIR TFTP_DIR TFTP_PORT FIRST_GENERATION
//     The configuration the phone fetches by TFTP and caches in flash (BootKillTests): puts
//     generation N of SIPDefault.cnf and SIP0011AABBCC42.cnf into the folder the tftpd-hpa on
//     127.0.0.1:TFTP_PORT serves (atomically: the server never serves half a file), then runs
//     the phone's BootSequence against that server, which fetches both, validates them and
//     keeps them in the flash as the last good copies. Says `serving N` before the boot and
//     `saved N` once the boot reported both files fetched (and so written). Each .cnf file:
//     `# generation N of NAME`, comment lines of a varying length, the one parameter line
//     (`messages_uri: dN` in SIPDefault.cnf, after `telnet_level: 2`; `phone_label: pN` in the
//     phone file), and
//     `# end len=L sum=S`, L and S the length and FNV-1a sum of everything before that line.
import NIOPosix
import Provisioning
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments

func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

@Sendable func say(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

/// Generation `generation` of a provisioning file, 10 to 160 kB (the .cnf limit is 256 kB).
func configFile(_ name: String, generation: Int) -> [UInt8] {
    let parameter = name == "SIPDefault.cnf" ? "messages_uri: d\(generation)" : "phone_label: p\(generation)"
    let padding = 10_000 + (generation * 7919 + name.utf8.count * 104_729) % 150_000
    var text = "# generation \(generation) of \(name)\n"
    // The CLI on, for the test's `show config` against deskphoned booted on this flash.
    if name == "SIPDefault.cnf" { text += "telnet_level: 2\n" }
    let line = "# " + String(repeating: String(generation % 10), count: 61) + "\n"
    while text.utf8.count < padding { text += line }
    text += parameter + "\n"
    let body = Array(text.utf8)
    return body + Array("# end len=\(body.count) sum=\(fnv1a(body))\n".utf8)
}

func bootLoop(flash: String, served: String, port: Int, first: Int) async throws {
    let store = try FlashStore(root: flash)
    // The server's folder, written through a store of its own for the atomic replace.
    let folder = try FlashStore(root: served)
    let mac = MACAddress("00:11:AA:BB:CC:42")
    guard let mac else { say("flash-writer: bad MAC"); exit(2) }
    let source = try TFTPSource(client: TFTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton),
                                spec: "127.0.0.1:\(port)")
    let files = ["SIPDefault.cnf", mac.configFileName]
    say("started")
    var generation = first
    while true {
        for name in files { try folder.write(configFile(name, generation: generation), to: name) }
        say("serving \(generation)")
        let report = await BootSequence(flash: store, source: source, mac: mac, model: .cp7960).run()
        for name in files {
            guard let file = report.files.first(where: { $0.name == name }), case .fetched = file.outcome else {
                say("flash-writer: \(name) not fetched: \(report.files)")
                exit(1)
            }
        }
        say("saved \(generation)")
        generation += 1
    }
}

func storeLoop(flash: String, first: Int) throws {
    let store = try FlashStore(root: flash)
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
}

do {
    if args.count == 6, args[1] == "boot", let port = Int(args[4]), let first = Int(args[5]) {
        try await bootLoop(flash: args[2], served: args[3], port: port, first: first)
    } else if args.count == 3, let first = Int(args[2]) {
        try storeLoop(flash: args[1], first: first)
    } else {
        print("usage: flash-writer FLASH_DIR FIRST_GENERATION | flash-writer boot FLASH_DIR TFTP_DIR TFTP_PORT FIRST_GENERATION")
        exit(2)
    }
} catch {
    say("flash-writer: \(error)")
    exit(1)
}
