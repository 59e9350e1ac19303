import Logging

/// A swift-log handler for one debug category.
///
/// Messages at `baseLevel` or above go to `output` (the daemon's log). Debug and trace messages
/// are built only when the category is on (in the registry) or the daemon runs at that level;
/// every message of an enabled category, whatever its level, goes to the subscribed sessions,
/// timestamped as GUIDE.md §4.3 shows (`[HH:MM:SS:uuuuuu] category: message`): `debug
/// sip-reg-state` shows the state changes logged at info as well as the details at debug.
public struct DebugLogHandler: LogHandler {
    public let category: DebugCategory
    public let registry: DebugRegistry
    public let output: LogOutput
    public var metadata: Logger.Metadata = [:]
    /// The daemon's configured level (`--log-level`).
    public var baseLevel: Logger.Level

    public init(category: DebugCategory, registry: DebugRegistry, output: LogOutput, baseLevel: Logger.Level) {
        self.category = category
        self.registry = registry
        self.output = output
        self.baseLevel = baseLevel
    }

    public var logLevel: Logger.Level {
        get { registry.isEnabled(category) ? min(baseLevel, .debug) : baseLevel }
        set { baseLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let text = Self.render(event.message, metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        if event.level >= baseLevel {
            output.write(level: event.level, category: category, text: text)
        }
        if registry.isEnabled(category) {
            registry.publish(category, "[\(WallClock.debugStamp())] \(category.rawValue): \(text)")
        }
    }

    static func render(_ message: Logger.Message, metadata: Logger.Metadata) -> String {
        guard !metadata.isEmpty else { return message.description }
        let pairs = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(message) \(pairs.joined(separator: " "))"
    }
}
