import Logging
import NIOConcurrencyHelpers

/// Makes the per-category loggers. The daemon calls `bootstrap` once; libraries and tests ask
/// for `Logger.category(_:)` and get a handler bound to the shared registry.
public enum Loggers {
    /// Installs the category-aware handler as swift-log's factory. Labels that are category
    /// names map onto that category; any other label (a library's own) logs under `plat`.
    public static func bootstrap(level: Logger.Level, registry: DebugRegistry = .shared, output: LogOutput = LogOutput()) {
        LoggingSystem.bootstrap { label in
            DebugLogHandler(
                category: DebugCategory(rawValue: label) ?? .plat,
                registry: registry, output: output, baseLevel: level)
        }
        made.withLockedValue { $0.removeAll() }
    }

    /// One logger per category, shared by every object that logs under it: a logger's handler
    /// is a heap box, and each phone of a farm made about ten (a kilobyte a phone). Emptied by
    /// `bootstrap`, so that no logger made before it keeps the default handler.
    static let made = NIOLockedValueBox<[DebugCategory: Logger]>([:])
}

extension Logger {
    /// The logger of one debug category (its label is the category's CLI name).
    public static func category(_ c: DebugCategory) -> Logger {
        Loggers.made.withLockedValue { made in
            if let logger = made[c] { return logger }
            let logger = Logger(label: c.rawValue)
            made[c] = logger
            return logger
        }
    }
}
