import ArgumentParser
import DaemonOptions
import Diagnostics
import Firmware
import Logging
import Provisioning
import Scheduling
import ServiceLifecycle

@main
struct Deskphoned: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deskphoned",
        abstract: DaemonArguments.abstract,
        discussion: DaemonArguments.discussion,
        version: DeskphoneVersion.version)

    @OptionGroup var options: DaemonArguments

    /// An event loop of the daemon's runs every task, so that libdispatch's worker pool (and
    /// its once-a-second monitor) never starts (issue 16; `PhoneLoop.becomeGlobalExecutor`).
    /// A plain command line is read without swift-argument-parser's reflection (a few ms of
    /// the start); anything else — help, version, a mistake — goes to it.
    static func main() async {
        PhoneLoop.singleMallocArena()
        PhoneLoop.becomeGlobalExecutor()
        guard let options = DaemonArguments.parsePlain(Array(CommandLine.arguments.dropFirst())) else {
            await main(nil)
            return
        }
        do {
            try await run(options)
        } catch {
            exit(withError: error)
        }
    }

    func run() async throws {
        try await Self.run(options)
    }

    static func run(_ options: DaemonArguments) async throws {
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
