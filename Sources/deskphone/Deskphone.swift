import ArgumentParser
import Provisioning

@main
struct Deskphone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deskphone",
        abstract: "Operator tool for Deskphone phones.",
        version: DeskphoneVersion.version,
        subcommands: [CheckConfig.self, CLICommand.self, ImageCommand.self, Parameters.self, ManCommand.self])
}
