import ArgumentParser

/// `deskphone man NAME`: prints a man page in roff, generated from the code's declarations
/// (the .deb build installs its output; `deskphone man deskphone.1 | man -l -` reads one).
struct ManCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "man",
        abstract: "Print a man page (roff) generated from the code's declarations.",
        discussion: "NAME is deskphoned.8, deskphone.1, deskphone.cnf.5 or deskphone-ssh.8 (the section may be left out).")

    @Argument(help: ArgumentHelp("The page to print.", valueName: "name"))
    var name: String?

    @Flag(help: "List the page names, one per line.")
    var list = false

    func validate() throws {
        if !list && name == nil { throw ValidationError("give a page name, or --list") }
        if let name, ManPages.render(name) == nil {
            throw ValidationError("\(name): no such page (valid: \(ManPages.pages.map(\.name).joined(separator: ", ")))")
        }
    }

    func run() {
        if list {
            for p in ManPages.pages { print(p.name) }
            return
        }
        if let name, let text = ManPages.render(name) { print(text, terminator: "") }
    }
}
