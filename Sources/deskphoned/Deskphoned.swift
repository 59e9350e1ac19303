import ArgumentParser
import DaemonOptions
import Diagnostics
import Firmware
import Logging
import Provisioning
import ServiceLifecycle

@main
struct Deskphoned: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deskphoned",
        abstract: DaemonArguments.abstract,
        discussion: DaemonArguments.discussion,
        version: DeskphoneVersion.version)

    @OptionGroup var options: DaemonArguments

    func run() async throws {
        let settings = try options.resolve()
        Loggers.bootstrap(level: settings.logLevel)
        // The loader first (it may exec a flash slot's image, or be a trial's watchdog).
        let image = try ImageLoader.prepare(settings: settings, arguments: CommandLine.arguments)
        let daemon = PhoneDaemon(settings: settings, arguments: CommandLine.arguments, image: image)
        let group = ServiceGroup(configuration: .init(
            services: [daemon],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger.category(.plat)))
        try await group.run()
    }
}
