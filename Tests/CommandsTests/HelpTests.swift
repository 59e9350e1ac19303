import Commands
import Console
import Testing

/// `help`, `help show` and `show ?` list the phone's commands in one order, in aligned columns.
@Suite struct HelpTests {
    /// The columns where the commands' help texts start in `lines` (each found by its first words).
    static func helpColumns(_ lines: [String]) -> Set<Int> {
        Set(PhoneCommands.all.compactMap { spec -> Int? in
            let start = spec.help.split(separator: " ").prefix(3).joined(separator: " ")
            for line in lines {
                if let r = line.range(of: "  " + start) {
                    return line.distance(from: line.startIndex, to: r.lowerBound) + 2
                }
            }
            return nil
        })
    }

    @Test func helpShowAndShowQuestionMarkListTheKeywordsInOneOrder() async throws {
        let bench = try await Bench()
        let helpShow = try #require(await bench.run(["help show"]).first).split(separator: "\n").map(String.init)
        let questionMark = PhoneCommands.tree.help("show ", privilege: .privileged)
        let fromHelp = helpShow.filter { $0.hasPrefix("  show ") }.map { $0.split(separator: " ")[1] }
        let fromQuestionMark = questionMark.filter { !$0.hasPrefix("    ") }.map { $0.split(separator: " ")[0] }
        #expect(fromHelp == fromQuestionMark, "help show: \(fromHelp); show ?: \(fromQuestionMark)")
        #expect(fromHelp == fromHelp.sorted())
        #expect(Self.helpColumns(helpShow).count == 1, "help show aligns its help column: \(helpShow)")
        #expect(Self.helpColumns(questionMark).count == 1)
    }

    @Test func helpAlignsItsColumns() async throws {
        let bench = try await Bench()
        let lines = try #require(await bench.run(["help"]).first).split(separator: "\n").map(String.init)
        #expect(lines.count >= 15)
        #expect(Self.helpColumns(lines).count == 1, "\(lines)")
        #expect(lines.allSatisfy { $0.count < 80 }, "a terminal would wrap: \(lines.filter { $0.count >= 80 })")
        for spec in PhoneCommands.all { #expect(lines.contains("  " + spec.synopsis) || lines.contains { $0.hasPrefix("  " + spec.synopsis + " ") }) }
    }
}
