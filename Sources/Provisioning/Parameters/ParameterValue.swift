/// A validated parameter value: the text as `show config` prints it, and the number it stands
/// for where the type has one (integers, booleans, months 1–12, weekdays 1–7 with 1 = Sunday,
/// weeks 1–6/8, and times/offsets in minutes).
public struct ParameterValue: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let number: Int?

    public init(text: String, number: Int? = nil) {
        self.text = text
        self.number = number
    }

    /// No value: the guide's `UNPROVISIONED` (also what `""` sets for parameters without a
    /// built-in default).
    public static let unprovisioned = ParameterValue(text: "UNPROVISIONED")

    public var isUnprovisioned: Bool { self == .unprovisioned }

    /// The value as a boolean, for 0/1 parameters.
    public var bool: Bool? { number.map { $0 != 0 } }

    public var description: String { text }
}
