import Console

/// `show sessions`: the CLI sessions logged in now, on telnet, SSH and the serial console.
enum SessionCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["show", "sessions"], help: "The CLI sessions logged in: telnet, SSH and the console") { inv in
                let list = inv.session.configuration.sessions
                let mine = await inv.session.listing
                for line in Self.lines(list?.entries ?? [], mine: mine) { inv.print(line) }
            },
        ]
    }

    static func lines(_ entries: [SessionList.Entry], mine: Int?, now: ContinuousClock.Instant = .now) -> [String] {
        guard !entries.isEmpty else { return ["No sessions are listed"] }
        var out = ["Transport  From                                     Level           Logged in"]
        for e in entries {
            let seconds = max(0, (now - e.since).components.seconds)
            let age = seconds >= 3600 ? "\(seconds / 3600) h \(seconds % 3600 / 60) min"
                : seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds) s"
            out.append(pad(e.transport, 10) + " " + pad(e.peer, 40) + " " + pad(e.privilege.description, 15) + " "
                       + age + " ago" + (e.id == mine ? "  (this session)" : ""))
        }
        return out
    }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }
}
