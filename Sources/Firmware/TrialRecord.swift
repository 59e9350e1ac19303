/// An image activated by an upgrade that has not yet been seen healthy (`slots/trial`,
/// `key: value` lines). The loader counts its starts; the image itself removes the record once
/// it is healthy (FirmwareSlots.confirmTrial); otherwise the loader or the watchdog rolls back
/// to `previous` (nil: the built-in image).
public struct TrialRecord: Sendable, Equatable {
    public var slot: SlotName
    public var image: String
    public var previous: SlotName?
    public var previousImage: String?
    /// How many times the loader has started the image.
    public var starts: Int
    /// What the image last said it still lacks to be healthy ("line 1 not registered").
    public var health: String?

    public init(slot: SlotName, image: String, previous: SlotName?, previousImage: String?, starts: Int, health: String? = nil) {
        self.health = health
        self.slot = slot
        self.image = image
        self.previous = previous
        self.previousImage = previousImage
        self.starts = starts
    }

    var text: String {
        ["slot: \(slot)", "image: \(image)", "previous: \(previous?.rawValue ?? "none")",
         "previous-image: \(previousImage ?? "none")", "starts: \(starts)"]
            .joined(separator: "\n") + "\n" + (health.map { "health: \($0.split(separator: "\n").joined(separator: " "))\n" } ?? "")
    }

    init?(text: String) {
        var v: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            v[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        guard let slot = v["slot"].flatMap(SlotName.init), let image = v["image"], let p = v["previous"],
              let starts = v["starts"].flatMap(Int.init) else { return nil }
        let previous = SlotName(rawValue: p)
        guard previous != nil || p == "none" else { return nil }
        self.init(slot: slot, image: image, previous: previous,
                  previousImage: v["previous-image"] == "none" ? nil : v["previous-image"], starts: starts,
                  health: v["health"])
    }
}

/// When a trial image is healthy (issue 15): its CLI is up and, where lines are configured and
/// registration is on, every line is registered.
public enum TrialHealth {
    /// nil when healthy, else what is missing.
    public static func missing(cliUp: Bool, lines: [(line: Int, registered: Bool)]) -> String? {
        var missing: [String] = []
        if !cliUp { missing.append("the CLI is not up") }
        let unregistered = lines.filter { !$0.registered }.map { String($0.line) }
        if !unregistered.isEmpty {
            missing.append("line\(unregistered.count == 1 ? "" : "s") \(unregistered.joined(separator: ", ")) not registered")
        }
        return missing.isEmpty ? nil : missing.joined(separator: "; ")
    }
}

/// The watchdog of a trial image: a process of the previous (known good) executable that the
/// loader starts beside the trial image, so that an image which exits at once or never becomes
/// healthy is rolled back even when nothing restarts the service.
public enum TrialWatchdog {
    public enum Step: Sendable, Equatable {
        case wait
        /// The trial record is gone: confirmed healthy (or rolled back by the loader).
        case done
        /// The watched process is gone before it was healthy.
        case crashed(reason: String)
        /// The deadline passed: stop it and roll back.
        case unhealthy(reason: String)
    }

    public static func step(trial: TrialRecord?, parentAlive: Bool, elapsed: Duration, deadline: Duration) -> Step {
        guard let t = trial else { return .done }
        if !parentAlive { return .crashed(reason: "\(t.image) exited before it became healthy (crashed on start?)") }
        if elapsed >= deadline {
            let secs = deadline.components.seconds
            return .unhealthy(reason: "\(t.image) was not healthy within \(secs) s" + (t.health.map { ": \($0)" } ?? ""))
        }
        return .wait
    }
}
