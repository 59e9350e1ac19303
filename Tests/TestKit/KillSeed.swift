import Foundation

/// The random moments of a kill test: a SplitMix64 generator whose seed is printed, so a
/// failing run's schedule (every delay and choice drawn from it) can be replayed with
/// `DESKPHONE_KILL_SEED=N swift test --skip-build --filter NAME`. The kills land where the
/// machine's timing puts them; the seed replays the schedule, not the machine.
public struct KillSeed: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// The seed from `DESKPHONE_KILL_SEED`, else a fresh one; printed with the test's name.
    public static func forTest(_ name: String) -> KillSeed {
        let fixed = ProcessInfo.processInfo.environment["DESKPHONE_KILL_SEED"].flatMap { UInt64($0) }
        var system = SystemRandomNumberGenerator()
        let seed = fixed ?? system.next()
        print("\(name): kill schedule seed \(seed) (replay with DESKPHONE_KILL_SEED=\(seed))")
        return KillSeed(seed: seed)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
