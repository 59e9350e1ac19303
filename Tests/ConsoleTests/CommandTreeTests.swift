import Testing
@testable import Console

/// A small command set shaped like the phone's.
enum SampleCommands {
    static let noop: @Sendable (Invocation) async throws -> Void = { _ in }
    static let specs: [CommandSpec] = [
        CommandSpec(["show", "network"], help: "Network settings", handler: noop),
        CommandSpec(["show", "config"], help: "Configuration parameters", handler: noop),
        CommandSpec(["show", "connections"], help: "Open sessions", handler: noop),
        CommandSpec(["show", "register"], help: "Registration table", privilege: .user, handler: noop),
        CommandSpec(["debug"], arguments: [
            ArgumentSpec("category", .choice(["sip-messages", "sip-state", "sip-reg-state", "tftp", "all"]),
                         help: "a debug category", optional: true, repeats: true),
        ], help: "Turn on debug output", privilege: .privileged, handler: noop),
        CommandSpec(["ping"], arguments: [
            ArgumentSpec("host", .word(placeholder: "ip-or-host"), help: "address or host name"),
            ArgumentSpec("count", .integer(1...100), help: "echo requests to send", keyword: "count", default: "5"),
            ArgumentSpec("size", .integer(1...1480), help: "payload bytes", keyword: "size", default: "100"),
            ArgumentSpec("timeout", .integer(1...60), help: "seconds to wait for each reply", keyword: "timeout", default: "2"),
        ], help: "Send ICMP echo requests", handler: noop),
        CommandSpec(["register"], arguments: [
            ArgumentSpec("option", .integer(0...1), help: "1 register, 0 unregister"),
            ArgumentSpec("line", .word(placeholder: "line"), help: "line number or backup"),
        ], help: "Register or unregister a line", privilege: .privileged, handler: noop),
        CommandSpec(["reset"], arguments: [
            ArgumentSpec("kind", .choice(["soft", "hard"]), help: "soft re-provisions, hard restarts", optional: true, default: "soft"),
        ], help: "Reboot the phone", privilege: .privileged, handler: noop),
        CommandSpec(["test", "key"], arguments: [ArgumentSpec("keys", .rest(placeholder: "keys"), help: "keys to press")],
                    help: "Press keys", privilege: .privileged, handler: noop),
    ]
    static let tree = CommandTree(specs, groupHelp: ["show": "Display information", "test": "Remote-control the phone"])
}

@Suite struct CommandTreeTests {
    let tree = SampleCommands.tree

    func parse(_ line: String, _ level: Privilege = .privileged) -> Result<CommandTree.Match, CLIError> {
        tree.parse(line, privilege: level)
    }

    @Test func uniquePrefixesOfEveryWord() throws {
        #expect(try parse("sh net").get().spec.words == ["show", "network"])
        #expect(try parse("SHOW Network").get().spec.words == ["show", "network"])
        #expect(try parse("  sh   reg  ").get().spec.words == ["show", "register"])
        #expect(try parse("deb sip-m sip-r").get().values["category"] == ["sip-messages", "sip-reg-state"])
    }

    @Test func ambiguousPrefixNamesTheCandidates() {
        guard case .failure(let e) = parse("sh con") else { Issue.record("parsed"); return }
        #expect(e.kind == .ambiguous(["config", "connections"]))
        #expect(e.column == 3)
        #expect(e.render(promptWidth: 11) == """
                          ^
            % Ambiguous command: 'con' could be config, connections

            """)
    }

    @Test func theCaretStandsUnderTheWordOnTheScreen() {
        // "ping" then a wide (2-column) word and a combining accent: the bad word begins at
        // character 9 but at screen column 11.
        let line = "ping 日本 e\u{301}x"
        guard case .failure(let e) = parse("show 日本 bad") else { Issue.record("parsed"); return }
        #expect(e.column == 5)
        #expect(CLIError.screenColumns(line, before: 9) == 11)
        #expect(CLIError.screenColumns("abc", before: 5) == 5)
        let wide = "show 日本 bad"
        #expect(e.render(promptWidth: 2, line: wide).hasPrefix(String(repeating: " ", count: 7) + "^\n"))
        let far = CLIError(kind: .invalid, column: 8, detail: "x")
        #expect(far.render(promptWidth: 0, line: wide).hasPrefix(String(repeating: " ", count: 10) + "^\n"))
        #expect(far.render(prompt: "日> ", line: wide) == "\r日> " + wide + "\n" + String(repeating: " ", count: 14) + "^\n" + far.message)
    }

    @Test func invalidWordIsPointedAt() {
        guard case .failure(let e) = parse("show netwrk") else { Issue.record("parsed"); return }
        #expect(e.kind == .invalid)
        #expect(e.column == 5)
        #expect(e.detail == "'netwrk' is not a show keyword (valid: config, connections, network, register)")
        guard case .failure(let e2) = parse("frobnicate") else { Issue.record("parsed"); return }
        #expect(e2.detail.hasPrefix("'frobnicate' is not a command (valid: debug, ping, register, reset, show, test)"))
    }

    @Test func incompleteCommands() {
        guard case .failure(let e) = parse("show") else { Issue.record("parsed"); return }
        #expect(e.kind == .incomplete)
        #expect(e.detail == "'show' needs one of: config, connections, network, register")
        guard case .failure(let e2) = parse("register 1") else { Issue.record("parsed"); return }
        #expect(e2.detail == "'register' needs LINE (line number or backup)")
        guard case .failure(let e3) = parse("ping 127.0.0.1 count") else { Issue.record("parsed"); return }
        #expect(e3.detail == "'count' needs a value <1-100>")
    }

    @Test func argumentsAreValidatedWithTheirRange() throws {
        guard case .failure(let e) = parse("ping 127.0.0.1 size 1481") else { Issue.record("parsed"); return }
        #expect(e.column == 20)
        #expect(e.detail == "'1481' is not a number in 1–1480 (payload bytes)")
        guard case .failure(let e2) = parse("register 2 1") else { Issue.record("parsed"); return }
        #expect(e2.column == 9)
        guard case .failure(let e3) = parse("ping 127.0.0.1 bogus 3") else { Issue.record("parsed"); return }
        #expect(e3.detail == "'bogus': expected one of: count, size, timeout")
    }

    @Test func optionsInAnyOrderWithDefaults() throws {
        let m = try parse("ping localhost tim 3 cou 2").get()
        #expect(m.values["host"] == ["localhost"])
        #expect(m.values["count"] == ["2"])
        #expect(m.values["timeout"] == ["3"])
        #expect(m.values["size"] == ["100"])
        #expect(try parse("reset").get().values["kind"] == ["soft"])
        #expect(try parse("reset h").get().values["kind"] == ["hard"])
    }

    @Test func restOfLineKeepsItsSpaces() throws {
        #expect(try parse("test key 12  *#").get().values["keys"] == ["12  *#"])
    }

    @Test func privilegedCommandsAreRefusedAtTheLowerLevel() {
        guard case .failure(let e) = parse("debug sip-state", .user) else { Issue.record("parsed"); return }
        #expect(e.kind == .notPermitted)
        #expect(e.detail == "'debug' needs privileged access (telnet_level 2)")
        guard case .failure(let e2) = parse("reset", .user) else { Issue.record("parsed"); return }
        #expect(e2.kind == .notPermitted)
        #expect((try? parse("show net", .user).get()) != nil)
    }

    @Test func helpListsWhatMayFollow() {
        #expect(tree.help("show ", privilege: .privileged) == [
            "  config       Configuration parameters",
            "  connections  Open sessions",
            "  network      Network settings",
            "  register     Registration table",
        ])
        #expect(tree.help("sh c", privilege: .privileged) == ["config  connections"])
        #expect(tree.help("", privilege: .user) == ["  ping  Send ICMP echo requests", "  show  Display information"])
        #expect(tree.help("ping 1.2.3.4 ", privilege: .user) == [
            "  count    echo requests to send",
            "  size     payload bytes",
            "  timeout  seconds to wait for each reply",
            "  <cr>",
        ])
        #expect(tree.help("ping ", privilege: .user) == ["  IP-OR-HOST  address or host name"])
        #expect(tree.help("ping 1.2.3.4 count ", privilege: .user) == ["  <1-100>  echo requests to send"])
        #expect(tree.help("reset ", privilege: .privileged).last == "  <cr>")
        #expect(tree.help("bogus ", privilege: .privileged) == ["% Unrecognized command"])
    }

    @Test func tabCompletes() {
        #expect(tree.complete("sh", privilege: .user) == .replace("show "))
        #expect(tree.complete("show n", privilege: .user) == .replace("show network "))
        #expect(tree.complete("show co", privilege: .user) == .replace("show con"))
        #expect(tree.complete("show con", privilege: .user) == .candidates(["config", "connections"]))
        #expect(tree.complete("deb sip-r", privilege: .privileged) == .replace("deb sip-reg-state "))
        #expect(tree.complete("deb", privilege: .user) == .none)
        #expect(tree.complete("show ", privilege: .user) == .none)
        #expect(tree.complete("ping 1.2.3.4 c", privilege: .user) == .replace("ping 1.2.3.4 count "))
    }

    @Test func synopsisIsDerivedFromTheDeclaration() {
        #expect(SampleCommands.specs[5].synopsis == "ping IP-OR-HOST [count <1-100>] [size <1-1480>] [timeout <1-60>]")
        #expect(SampleCommands.specs[4].synopsis == "debug [CHOICE ...]")
    }
}

