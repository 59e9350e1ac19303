import Console
import Phone
import Diagnostics

/// `debug`, `undebug`, `show debug` (GUIDE.md §4.2, §4.3): per-session debug categories whose
/// output streams live, timestamped, to the session that enabled them.
enum DebugCommands {
    static let categoryNames = DebugCategory.allCases.map(\.rawValue).sorted() + ["all"]

    static func categories(_ names: [String]) -> [DebugCategory] {
        names.contains("all") ? DebugCategory.allCases : names.compactMap(DebugCategory.init(name:))
    }

    static let all: [CommandSpec] = [
        CommandSpec(["debug"], arguments: [
            ArgumentSpec("category", .choice(categoryNames), help: "a debug category, or all", optional: true, repeats: true),
        ], help: "Turn on debug output for categories (none: list what is on)",
           discussion: "Several categories may be given at once: debug sip-state sip-reg-state.",
           privilege: .privileged) { inv in
            let wanted = categories(inv.all("category"))
            guard !wanted.isEmpty else {
                try await listEnabled(inv)
                return
            }
            let wasMonitoring = await inv.session.isMonitoring
            await inv.session.enableDebug(wanted)
            if !wasMonitoring {
                // The 8.0 transcript reads "Enabling bug logging …" — taken as a slip for "debug".
                inv.print("Enabling debug logging on this terminal - use 'tty mon 0' to disable")
            }
            for c in wanted.sorted() { inv.print("\(c.rawValue) debugging is on") }
        },
        CommandSpec(["undebug"], arguments: [
            ArgumentSpec("category", .choice(categoryNames), help: "a debug category, or all", repeats: true),
        ], help: "Turn off debug output for categories", privilege: .privileged) { inv in
            let off = categories(inv.all("category"))
            await inv.session.disableDebug(off)
            if inv.all("category").contains("all") { inv.print("All possible debugging has been turned off") }
            else { for c in off.sorted() { inv.print("\(c.rawValue) debugging is off") } }
        },
        CommandSpec(["show", "debug"], help: "The debug categories this session has on") { inv in
            try await listEnabled(inv)
        },
    ]

    static func listEnabled(_ inv: Invocation) async throws {
        let mine = await inv.session.debugCategories
        if mine.isEmpty {
            inv.print("No debugging is on for this session")
        } else {
            inv.print("Debugging on for this session: \(mine.sorted().map(\.rawValue).joined(separator: " "))")
        }
        let monitoring = await inv.session.isMonitoring
        inv.print("Terminal monitor: \(monitoring ? "on" : "off")")
    }
}

/// `tty monitor 0|1` (GUIDE.md §4.2): whether debug output reaches this session.
enum TtyCommands {
    static let all: [CommandSpec] = [
        CommandSpec(["tty", "monitor"], arguments: [
            ArgumentSpec("on", .integer(0...1), help: "1 shows debug output on this session, 0 hides it"),
        ], help: "Terminal monitoring of debug output") { inv in
            let on = inv.integer("on") == 1
            await inv.session.setMonitor(on)
            inv.print("Terminal monitor \(on ? "on" : "off")")
        },
    ]
}
