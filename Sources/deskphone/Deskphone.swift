import ArgumentParser

@main
struct Deskphone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deskphone",
        abstract: "Operator tool for Deskphone phones.",
        subcommands: [CheckConfig.self, CLICommand.self, Parameters.self])
}
