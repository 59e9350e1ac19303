import Logging

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
    }
}

extension Logger {
    /// The logger of one debug category (its label is the category's CLI name).
    public static func category(_ c: DebugCategory) -> Logger { Logger(label: c.rawValue) }
}
