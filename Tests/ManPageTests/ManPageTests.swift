import Commands
import Console
import DaemonOptions
import Foundation
import Provisioning
import TestKit
import Testing
@testable import deskphone

/// The man pages are generated from the declarations; these tests make sure every declaration
/// shows up, so a new parameter, command or option cannot be left out of the pages.
@Suite struct ManPageCoverageTests {
    let daemonPage = ManPages.deskphoned()
    let toolPage = ManPages.deskphone()
    let cnfPage = ManPages.deskphoneCnf()

    @Test func everyParameterIsInDeskphoneCnf5() {
        #expect(ParameterTable.all.count > 100)
        for p in ParameterTable.all {
            let entry = ".TP\n" + Roff.bold(ManPages.displayName(p)) + "\n" + Roff.escape(p.help)
            #expect(cnfPage.contains(entry), "\(p.pattern) is missing from deskphone.cnf(5)")
            #expect(cnfPage.contains(Roff.escape("Valid: \(p.type.validValues).")), "\(p.pattern): valid values")
            #expect(cnfPage.contains(Roff.escape("Default: \(ManPages.defaultText(p)).")), "\(p.pattern): default")
            #expect(cnfPage.contains(Roff.escape("Scope: \(p.scope.rawValue).")), "\(p.pattern): scope")
            if let note = p.note { #expect(cnfPage.contains(Roff.escape(note)), "\(p.pattern): note") }
        }
        for section in ParameterTable.sections { #expect(cnfPage.contains(".SS " + Roff.quoted(section.title))) }
    }

    @Test func everyCommandIsInDeskphoned8() {
        let commands = PhoneCommands.all
        #expect(commands.count >= 15)
        for c in commands {
            #expect(daemonPage.contains(".TP\n" + Roff.bold(c.synopsis) + "\n" + Roff.escape(c.help + ".")),
                    "\(c.synopsis) is missing from deskphoned(8)")
            for a in c.arguments { #expect(daemonPage.contains(Roff.escape(a.help)), "\(c.synopsis): \(a.name)") }
        }
        #expect(daemonPage.contains("Privilege: privileged"))
        #expect(daemonPage.contains("Privilege: non\\-privileged"))
    }

    @Test func everyDaemonOptionAndConfigKeyIsInDeskphoned8() {
        for key in DaemonSettings.fileKeys {
            #expect(daemonPage.contains(Roff.bold("--\(key)")), "option --\(key)")
            #expect(daemonPage.contains(Roff.bold(key)), "config key \(key)")
        }
        #expect(daemonPage.contains(Roff.bold("--config")))
        for section in ["OPTIONS", "CONFIGURATION FILE", "BOOT SEQUENCE", "SIGNALS", "FILES"] {
            #expect(daemonPage.contains(".SH \"\(section)\""), "section \(section)")
        }
    }

    @Test func everySubcommandIsInDeskphone1() {
        for sub in Deskphone.configuration.subcommands {
            let name = sub._commandName
            #expect(!name.isEmpty)
            #expect(toolPage.contains(".SS " + Roff.quoted("deskphone \(name)")), "deskphone \(name)")
        }
        #expect(toolPage.contains(Roff.bold("--password-file")))
        // A group's subcommands have their own entries and synopsis lines.
        for sub in ImageCommand.configuration.subcommands {
            let name = "deskphone image \(sub._commandName)"
            #expect(toolPage.contains(".SS " + Roff.quoted(name)), "\(name)")
            #expect(toolPage.contains(".B " + Roff.escape(name) + "\n"), "\(name) synopsis")
        }
        #expect(toolPage.contains(Roff.bold("--image-version")))
    }

    @Test func pagesByName() {
        #expect(ManPages.render("deskphoned.8") == daemonPage)
        #expect(ManPages.render("deskphoned") == daemonPage)
        #expect(ManPages.render("deskphone.cnf") == cnfPage)
        #expect(ManPages.render("deskphone") == toolPage)
        #expect(ManPages.render("nothing.1") == nil)
    }
}

@Suite struct RoffEscapeTests {
    @Test func controlCharactersAtLineStartAreNeutralised() {
        #expect(Roff.escape(".cnf files") == "\\&.cnf files")
        #expect(Roff.escape("'quoted'") == "\\&'quoted'")
        #expect(Roff.escape("a\n.b\n'c") == "a\n\\&.b\n\\&'c")
        #expect(Roff.escape("a.b 'c'") == "a.b 'c'")
    }

    @Test func backslashesAndHyphens() {
        #expect(Roff.escape("C:\\dir") == "C:\\edir")
        #expect(Roff.escape("--log-level") == "\\-\\-log\\-level")
        #expect(Roff.escape("\\fB") == "\\efB")
    }

    @Test func nonASCIIBecomesGlyphs() {
        #expect(Roff.escape("1–6") == "1\\(en6")
        #expect(Roff.escape("a…") == "a...")
        #expect(Roff.escape("→") == "\\[u2192]")
    }

    @Test func quotedArguments() {
        #expect(Roff.quoted("say \"hi\"") == "\"say \\(dqhi\\(dq\"")
    }
}

/// `man --warnings` renders each page without a complaint (groff and man-db, as installed).
@Suite struct ManRenderingTests {
    @Test(arguments: ManPages.pages.map(\.name))
    func manRendersWithoutWarnings(_ name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/man") else {
            Issue.record("man is not installed (scripts/install-deps.sh deb installs man-db)")
            return
        }
        let dir = NSTemporaryDirectory() + "manpage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/" + name
        try Data(try #require(ManPages.render(name)).utf8).write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/man")
        process.arguments = ["--warnings", "-l", file]
        process.environment = ["MANWIDTH": "80", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let rendered = out.fileHandleForReading.readDataToEndOfFile()
        let warnings = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(warnings.isEmpty, "man --warnings -l \(name):\n\(warnings)")
        #expect(rendered.count > 1000)
    }
}

/// `Man/` holds the pages as generated, for reading and review in the repository; it must be
/// what the declarations generate now (`make man` regenerates it).
@Suite struct ManFolderTests {
    @Test(arguments: ManPages.pages.map(\.name))
    func manFolderPageIsCurrent(_ name: String) throws {
        let path = TestSupport.repositoryRoot.path + "/Man/" + name
        let kept = try #require(try? String(contentsOfFile: path, encoding: .utf8), "\(path) is missing: run make man")
        let generated = ManPages.render(name) ?? ""
        guard kept != generated else { return }
        // Only the first line that differs, not two whole pages.
        let a = kept.split(separator: "\n", omittingEmptySubsequences: false)
        let b = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        Issue.record("""
            Man/\(name) differs from what the declarations generate (run make man); line \(i + 1):
              Man/:      \(i < a.count ? String(a[i]) : "(end)")
              generated: \(i < b.count ? String(b[i]) : "(end)")
            """)
    }
}
