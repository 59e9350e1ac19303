/// The reference phone's two models: they differ only in the number of line buttons.
public enum PhoneModel: String, Sendable, CaseIterable {
    case cp7960 = "7960"
    case cp7940 = "7940"

    /// Line buttons: six on the 7960, two on the 7940 (GUIDE.md conventions).
    public var lineCount: Int { self == .cp7960 ? 6 : 2 }
}
