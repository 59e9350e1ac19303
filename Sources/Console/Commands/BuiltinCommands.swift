/// Commands every CLI has, whatever it controls: `help` and `exit`/`quit`.
public enum BuiltinCommands {
    public static let all: [CommandSpec] = [
        CommandSpec(["exit"], help: "Close this session") { inv in
            await inv.session.finish()
        },
        // `quit` is (unverified) on the reference phone; pjsua/baresip users type it.
        CommandSpec(["quit"], help: "Close this session (same as exit)") { inv in
            await inv.session.finish()
        },
        CommandSpec(["help"], arguments: [
            ArgumentSpec("command", .rest(placeholder: "command"), help: "a command to describe", optional: true),
        ], help: "Describe the commands, or one command") { inv in
            let tree = await inv.session.commands
            let level = await inv.session.privilege
            if let what = inv.value("command") {
                switch tree.parse(what, privilege: .privileged) {
                case .success(let m):
                    inv.print("  \(m.spec.synopsis)")
                    inv.print("    \(m.spec.help)")
                    if let d = m.spec.discussion { inv.print("    \(d)") }
                    for a in m.spec.arguments {
                        inv.print("    \(a.keyword.map { "\($0) " } ?? "")\(a.placeholder): \(a.help)")
                    }
                    return
                case .failure:
                    let matching = tree.commands.filter { $0.words.joined(separator: " ").hasPrefix(what.lowercased()) }
                    guard !matching.isEmpty else { throw CommandFailure("no command '\(what)'") }
                    for line in listing(matching) { inv.print(line) }
                    return
                }
            }
            inv.print("Commands (a word may be shortened to a unique prefix; '?' lists what follows):")
            for line in listing(tree.commands.filter { $0.privilege <= level }) { inv.print(line) }
        },
    ]

    /// Commands in the order `?` lists keywords (alphabetical), help in one aligned column.
    static func listing(_ commands: [CommandSpec]) -> [String] {
        CommandTree.columns(commands.sorted { $0.words.lexicographicallyPrecedes($1.words) }.map { ($0.synopsis, $0.help) })
    }
}
