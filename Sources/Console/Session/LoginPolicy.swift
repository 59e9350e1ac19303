/// How a session logs in: the password prompt and what failures cost (GUIDE.md §4.1: no user
/// name, two blank lines, then `Password :`).
public struct LoginPolicy: Sendable {
    /// The prompt, exactly as the guide's sample and a public test driver show it.
    public var prompt = "Password :"
    /// Failed attempts before the connection is cut. The reference phone's count is not
    /// documented: (unverified), three as on most network equipment.
    public var maxFailures = 3
    /// The pause after the n-th failure (1 s, 2 s, 4 s …): slows guessing, costs a person little.
    public var firstDelay: Duration = .seconds(1)
    /// The longest pause, however many failures an address has behind it.
    public var maximumDelay: Duration = .seconds(16)

    public init() {}

    /// The pause after the n-th failure: 1 s, 2 s, 4 s … up to `maximumDelay`.
    public func delay(afterFailure n: Int) -> Duration {
        min(firstDelay * (1 << max(0, min(n - 1, 10))), maximumDelay)
    }
}
