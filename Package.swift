// swift-tools-version:6.0
// Deskphone: a SIP desk-phone runtime for Linux. Layout: ../shared/ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "deskphone",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "deskphoned", targets: ["deskphoned"]),
        .executable(name: "deskphone", targets: ["deskphone"]),
        .executable(name: "deskphone-ssh", targets: ["deskphone-ssh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssh", from: "0.15.1"),
    ],
    targets: [
        // Debug categories (GUIDE.md §4.3) as swift-log loggers, switchable at run time.
        .target(
            name: "Diagnostics",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        // bytes <-> SIP messages: parser, serializer, typed headers, URIs. No I/O, no dependencies.
        // Trimming and the other small text helpers every parser shares (no dependencies).
        .target(name: "TextUtilities"),
        .target(name: "SIPMessage", dependencies: ["TextUtilities"]),
        // The parse benchmark (TARGETS.md): full parse of ../shared/bench/sip-corpus/.
        .executableTarget(name: "sip-parse-bench", dependencies: ["SIPMessage"], path: "Benchmarks/SIPParseBench"),
        // libFuzzer harnesses (issue 17), one per parser: `make fuzz SECONDS=N` builds them with
        // -sanitize=fuzzer,address -DFUZZING; the ordinary build replays seed files.
        .target(name: "FuzzSupport", path: "Fuzz/Support"),
        .executableTarget(name: "fuzz-sip", dependencies: ["SIPMessage", "FuzzSupport"], path: "Fuzz/sip",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-sdp", dependencies: ["SDP", "FuzzSupport"], path: "Fuzz/sdp",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-rtp", dependencies: ["RTP", "FuzzSupport"], path: "Fuzz/rtp",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-cnf", dependencies: ["Provisioning", "FuzzSupport"], path: "Fuzz/cnf",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-dialplan", dependencies: ["Provisioning", "FuzzSupport"], path: "Fuzz/dialplan",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-telnet", dependencies: ["Console", "FuzzSupport"], path: "Fuzz/telnet",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-tftp", dependencies: ["Provisioning", "FuzzSupport"], path: "Fuzz/tftp",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-xml", dependencies: ["Provisioning", "FuzzSupport"], path: "Fuzz/xml",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-syncinfo", dependencies: ["Firmware", "Provisioning", "FuzzSupport"],
                          path: "Fuzz/syncinfo", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-relay", dependencies: ["SSHRelay", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")],
                          path: "Fuzz/relay", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "fuzz-image", dependencies: ["Firmware", "FuzzSupport"], path: "Fuzz/image",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Registrations per second against Kamailio (scripts/bench-register.py starts it).
        .executableTarget(
            name: "register-bench",
            dependencies: ["SIPStack", "Scheduling", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/RegisterBench"
        ),
        // Time zones, DST rules, display formats, SNTP (GUIDE.md §6). The rules and the SNTP
        // client are sans-I/O; SNTPService is the thin NIO adapter.
        .target(
            name: "PhoneClock",
            dependencies: [
                "Diagnostics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Parameter table, .cnf parser, TFTP client, flash store, boot sequence (GUIDE.md §1–§2).
        .target(
            name: "Provisioning",
            dependencies: [
                "TextUtilities",
                "Diagnostics", "PhoneClock",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Facts about the host's network (interfaces, routes, DNS, link, counters) and the
        // ICMP tools (ping, traceroute) behind `show network`, `ping` and `traceroute`.
        .target(name: "HostNetwork"),
        // The phone's one event loop as a global actor, and the one clock protocol every
        // protocol timer is scheduled through (the loop's in the phone, a manual one in tests).
        .target(
            name: "Scheduling",
            dependencies: [
                "CRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The Swift runtime's global-executor hooks and glibc's malloc arenas (a header only).
        .systemLibrary(name: "CRuntime"),
        // c-ares (libc-ares-dev) for RFC 3263 server location through the phone's DNS servers.
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        // SIP transports, transactions, dialogs, digest authentication, server location.
        .target(
            name: "SIPStack",
            dependencies: [
                "TextUtilities",
                "CAres", "SIPMessage", "Diagnostics", "Scheduling",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libedit (libedit-dev) for the serial console's line editing.
        .systemLibrary(name: "CEditLine", providers: [.apt(["libedit-dev"])]),  // headers only: dlopen'd (SharedLibraries)
        // The CLI engine: sessions, login, command dispatch, telnet, serial console.
        // Knows nothing of phones (ARCHITECTURE.md).
        .target(
            name: "Console",
            dependencies: [
                "TextUtilities",
                "Diagnostics", "CEditLine", "SharedLibraries",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // What deskphoned and deskphone-ssh share without NIOSSH or Foundation (issue 16): the
        // relay protocol and its control socket, the login decisions, authorized_keys, the host
        // key, and the daemon's end of the relayed sessions.
        .target(
            name: "SSHRelay",
            dependencies: [
                "Console", "Diagnostics",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The CLI over SSH (issue 17): swift-nio-ssh's server, in deskphone-ssh only (issue 16:
        // NIOSSH brings full Foundation, 54 MB of the static daemon); it relays every login and
        // session to the daemon.
        .target(
            name: "SSHConsole",
            dependencies: [
                "Console", "Diagnostics", "SSHRelay",
                .product(name: "NIOSSH", package: "swift-nio-ssh"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The SSH server process deskphoned starts for `--ssh` (installed beside it).
        .executableTarget(
            name: "deskphone-ssh",
            dependencies: [
                "SSHConsole", "SSHRelay", "Diagnostics", "CRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Firmware images (manifest, payload, Ed25519 signature), the A/B slots in flash,
        // syncinfo.xml (GUIDE.md §7; issue 15).
        .target(
            name: "Firmware",
            dependencies: ["TextUtilities", "Provisioning", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The phone itself: it composes the subsystems (lines, calls and features come later).
        .target(
            name: "Phone",
            dependencies: [
                "TextUtilities",
                "Provisioning", "Diagnostics", "PhoneClock", "SIPStack", "Scheduling", "SDP", "SIPMessage", "RTP", "Media",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The CLI command families: the only place where the CLI meets the subsystems.
        .target(
            name: "Commands",
            dependencies: ["Console", "Phone", "PhoneClock", "Provisioning", "Diagnostics", "HostNetwork", "SIPStack", "Scheduling", "Firmware"],
            path: "Commands"
        ),
        // deskphoned's options and daemon config file, declared once: the daemon parses them and
        // `deskphone man deskphoned.8` documents them.
        .target(
            name: "DaemonOptions",
            dependencies: [
                "TextUtilities",
                "Provisioning", "Console", "Media",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "deskphoned",
            dependencies: [
                "Provisioning", "Diagnostics", "Console", "Commands", "Phone", "DaemonOptions", "Scheduling", "Media", "Firmware", "SIPStack",
                // (not SSHConsole: deskphone-ssh serves SSH, issue 16)
                "SSHRelay",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            // lld puts the symbol tables, relocations and Swift metadata in a read-only segment
            // of their own, which ColdCode can unmap once booted (gold puts them with the text);
            // packed relative relocations (DT_RELR, glibc 2.36) are 13 KB instead of 1.5 MB to read
            // at every start.
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])]
        ),
        .executableTarget(
            name: "deskphone",
            dependencies: [
                "TextUtilities",
                // The man pages (`deskphone man`) are generated from these modules' declarations.
                "Provisioning", "PhoneClock", "Commands", "Console", "Phone", "DaemonOptions", "SIPStack", "Firmware", "SSHRelay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Writes numbered generations to a flash store until killed, through FlashStore.write
        // or through the boot's TFTP fetch (BootSequence); the kill tests kill it at random
        // moments (Tests/ProvisioningTests/FlashStoreTests.swift, BootKillTests.swift).
        .executableTarget(
            name: "flash-writer",
            dependencies: ["Provisioning", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/Fixtures/flash-writer"
        ),
        // Installs image after image into a flash's inactive firmware slot and activates it,
        // until killed (Tests/FirmwareTests/SlotAtomicityTests.swift).
        .executableTarget(
            name: "slot-writer",
            dependencies: ["Firmware", "Provisioning"],
            path: "Tests/Fixtures/slot-writer"
        ),
        // The phone's upgrade round after round (loader, TFTP fetch, slot write, switch) until
        // killed (Tests/FirmwareTests/UpgradeKillTests.swift).
        .executableTarget(
            name: "upgrade-runner",
            dependencies: ["Firmware", "Provisioning", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/Fixtures/upgrade-runner"
        ),
        // Media (issue 12): session descriptions and RFC 3264 offer/answer; no I/O, stdlib only.
        .target(name: "SDP", dependencies: ["TextUtilities"]),
        // RTP/RTCP packets, the sans-I/O send and receive sides with RFC 3550 statistics,
        // RFC 4733 telephone-events; RTPSocketPair.swift holds the two POSIX sockets (no NIO: the media thread polls them).
        .target(
            name: "RTP",
            dependencies: ["CSocketBatch"]
        ),
        // recvmmsg(2) and struct mmsghdr, which Swift's Glibc module does not show (no _GNU_SOURCE).
        .systemLibrary(name: "CSocketBatch"),
        // ALSA (libasound2-dev) for the sound card; speexdsp (libspeexdsp-dev) for the resampler
        // between the device's rate and the codecs' 8 kHz, the jitter buffer and the echo
        // canceller; bcg729 (libbcg729-dev) for G.729a.
        .systemLibrary(name: "CALSA", providers: [.apt(["libasound2-dev"])]),  // headers only: dlopen'd
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        .systemLibrary(name: "CBcg729", providers: [.apt(["libbcg729-dev"])]),  // headers only: dlopen'd
        // G.711, G.729a, audio devices (ALSA, WAV file, null), jitter buffer, echo canceller,
        // resampler, DTMF detection, tones, frame pacing; no Foundation.
        .target(name: "Media", dependencies: ["CALSA", "CSpeexDSP", "CBcg729", "SharedLibraries"]),
        // dlopen of the C libraries most phones never need at start (ALSA, bcg729, libedit).
        .target(name: "SharedLibraries"),
        // Appends tone frames to a WAV file through Media's file device until killed; the WAV
        // validity test kills it at random moments (Tests/MediaTests/WAVFileTests.swift).
        .executableTarget(
            name: "wav-writer",
            dependencies: ["Media"],
            path: "Tests/Fixtures/wav-writer"
        ),
        // Helpers shared by the test targets: child processes, temporary folders, the daemon,
        // a SIP stack on a manual clock with a recording transport.
        .target(
            name: "TestKit",
            dependencies: ["SIPStack", "SIPMessage", "Scheduling", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/TestKit"
        ),
        .testTarget(
            name: "ConsoleTests",
            dependencies: [
                "Console", "TestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SSHConsoleTests",
            dependencies: [
                "SSHConsole", "SSHRelay", "Console", "TestKit",
                .product(name: "NIOSSH", package: "swift-nio-ssh"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SSHRelayTests",
            dependencies: [
                "SSHRelay", "Console", "TestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "HostNetworkTests", dependencies: ["HostNetwork", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        .testTarget(name: "SDPTests", dependencies: ["SDP"]),
        .testTarget(name: "TextUtilitiesTests", dependencies: ["TextUtilities"]),
        .testTarget(name: "FuzzReplayTests", dependencies: ["TestKit"]),
        .testTarget(
            name: "RTPTests",
            dependencies: ["RTP", "TestKit"]
        ),
        .testTarget(name: "MediaTests", dependencies: ["Media", "SharedLibraries", "CALSA", "TestKit"]),

        .testTarget(
            name: "SIPStackTests",
            dependencies: [
                "SIPStack", "TestKit", "Scheduling",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SIPMessageTests", dependencies: ["SIPMessage", "TestKit"]),
        // The call layer: the call machine, soft keys, key names, and calls over a manual stack.
        .testTarget(
            name: "PhoneTests",
            dependencies: [
                "Phone", "SIPStack", "SDP", "Scheduling", "Provisioning", "SIPMessage", "TestKit",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PhoneClockTests",
            dependencies: [
                // Provisioning only to read the guide's example .cnf text into settings.
                "PhoneClock", "Provisioning", "TestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The generated man pages cover every parameter and command, and man renders them cleanly.
        .testTarget(
            name: "ManPageTests",
            dependencies: ["deskphone", "Commands", "Console", "Phone", "Provisioning", "DaemonOptions", "TestKit"]
        ),
        .testTarget(
            name: "CLIAcceptanceTests",
            dependencies: ["TestKit", "Commands", "Console", "Phone", "Provisioning"]
        ),
        .testTarget(
            name: "CommandsTests",
            dependencies: ["Commands", "Console", "Phone", "PhoneClock", "Provisioning", "Diagnostics", "Firmware", "TestKit", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(
            name: "FirmwareTests",
            dependencies: ["Firmware", "Provisioning", "TestKit", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "DiagnosticsTests",
            dependencies: ["Diagnostics", .product(name: "Logging", package: "swift-log"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(
            name: "ProvisioningTests",
            dependencies: [
                "Provisioning", "Diagnostics", "PhoneClock", "TestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
