/// The admin CLI's parameters (GUIDE.md §4.1) as typed values, read once per boot from the
/// validated configuration; defaults live in the table.
public struct ConsoleSettings: Sendable, Equatable {
    /// `phone_prompt` (the CLI adds `> `).
    public var prompt: String
    /// `phone_password`.
    public var password: String
    /// `telnet_level`: 0 closes the telnet port, 1 non-privileged commands, 2 all.
    public var telnetLevel: Int

    public init(_ c: Configuration) {
        prompt = c.text("phone_prompt") ?? ""
        password = c.text("phone_password") ?? ""
        telnetLevel = c.number("telnet_level") ?? 0
    }
}
