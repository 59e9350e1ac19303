import Firmware
import Provisioning
import Testing

/// The upgrade, loader, watchdog and check-sync state machines, without I/O.
@Suite struct UpgradeMachineTests {
    static let key = ImageSigningKey.generate()
    static let verifier = ImageVerifier(trustedKeys: [key.publicKey], model: .cp7960)

    static func verified(_ version: String) throws -> VerifiedImage {
        let image = try FirmwareImage.build(payload: [1, 2, 3], version: #require(ImageVersion(version)), models: [.cp7960])
            .signed(with: key)
        return try verifier.verify(image.bytes)
    }

    func fetches(_ actions: [UpgradeMachine.Action]) -> [String] {
        actions.compactMap { if case .fetch(let f) = $0 { f } else { nil } }
    }

    func logs(_ actions: [UpgradeMachine.Action]) -> [String] {
        actions.compactMap { if case .log(_, let t) = $0 { t } else { nil } }
    }

    @Test func aDifferentImageVersionIsFetchedVerifiedInstalledActivatedAndRestarted() throws {
        var m = UpgradeMachine()
        let a1 = m.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: "P0S3-08-11-00")))
        #expect(fetches(a1) == ["P0S3-08-12-00.sb2"])
        #expect(m.state == .fetching("P0S3-08-12-00"))
        let a2 = m.handle(.fetched([0, 1, 2]))
        #expect(a2.contains { if case .verify(let b) = $0 { b == [0, 1, 2] } else { false } })
        let a3 = m.handle(.verified(try Self.verified("08-12-00")))
        #expect(a3.contains { if case .install = $0 { true } else { false } })
        let a4 = m.handle(.installed(.b))
        #expect(a4.contains { if case .activate = $0 { true } else { false } })
        let a5 = m.handle(.activated(.b))
        #expect(a5.contains { if case .restart = $0 { true } else { false } })
        #expect(m.state == .restarting("P0S3-08-12-00"))
    }

    @Test func theSameImageOrNoneAsksNothing() {
        var m = UpgradeMachine()
        let actions1 = m.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: "P0S3-08-12-00")))
        #expect(fetches(actions1).isEmpty)
        #expect(m.state == .finished(.upToDate("P0S3-08-12-00")))
        var n = UpgradeMachine()
        let actions2 = n.handle(.check(.init(imageVersion: nil, running: nil)))
        #expect(fetches(actions2).isEmpty)
        #expect(n.state == .finished(.notRequested))
    }

    @Test func os79xxNamesTheImageOnlyWithoutImageVersionAndOnlyASIPImage() {
        var m = UpgradeMachine()
        let actions3 = m.handle(.check(.init(imageVersion: nil, dualBootImage: "P0S3-08-12-00", running: nil)))
        #expect(fetches(actions3) == ["P0S3-08-12-00.sb2"])
        var loader = UpgradeMachine()
        let actions4 = loader.handle(.check(.init(imageVersion: nil, dualBootImage: "P003-08-12-00", running: nil)))
        #expect(fetches(actions4).isEmpty)
        var both = UpgradeMachine()
        let actions5 = both.handle(.check(.init(imageVersion: "P0S3-08-11-00", dualBootImage: "P0S3-08-12-00", running: nil)))
        #expect(fetches(actions5)
                == ["P0S3-08-11-00.sb2"])
    }

    @Test func refusalsAndFailuresAreRecordedAndEndTheCheck() throws {
        var m = UpgradeMachine()
        _ = m.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: nil)))
        let a = m.handle(.fetchFailed(.notFound("P0S3-08-12-00.sb2: File not found")))
        #expect(a.contains { if case .recordRefusal(let i, let r) = $0 { i == "P0S3-08-12-00" && r.hasPrefix("missing file: ") } else { false } })
        #expect(m.state == .finished(.refused(image: "P0S3-08-12-00", reason: "missing file: P0S3-08-12-00.sb2: File not found")))

        var v = UpgradeMachine()
        _ = v.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: nil)))
        _ = v.handle(.fetched([1]))
        _ = v.handle(.refused(.badSignature(keyID: "00")))
        #expect(v.state == .finished(.refused(image: "P0S3-08-12-00", reason: "wrong signature: it does not match the image for key 00")))

        // The file holds another image than its name says.
        var w = UpgradeMachine()
        _ = w.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: nil)))
        _ = w.handle(.fetched([1]))
        _ = w.handle(.verified(try Self.verified("08-13-00")))
        #expect(w.state == .finished(.refused(image: "P0S3-08-12-00", reason: "P0S3-08-12-00.sb2 holds image P0S3-08-13-00, not P0S3-08-12-00")))

        var f = UpgradeMachine()
        _ = f.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: nil)))
        _ = f.handle(.fetched([1]))
        _ = f.handle(.verified(try Self.verified("08-12-00")))
        _ = f.handle(.failed("flash: write: ENOSPC"))
        #expect(f.state == .finished(.failed(image: "P0S3-08-12-00", reason: "flash: write: ENOSPC")))

        var bad = UpgradeMachine()
        _ = bad.handle(.check(.init(imageVersion: "SIP41.8-5-3S", running: nil)))
        guard case .finished(.refused) = bad.state else { Issue.record("\(bad.state)"); return }
    }

    @Test func aRolledBackImageIsNotRetriedAndATrialIsNotOverwritten() {
        var r = UpgradeMachine()
        _ = r.handle(.check(.init(imageVersion: "P0S3-09-0-00", running: nil, rolledBack: ("P0S3-09-0-00", "crashed"))))
        #expect(r.state == .finished(.heldBack(image: "P0S3-09-0-00", reason: "crashed")))
        var other = UpgradeMachine()
        _ = other.handle(.check(.init(imageVersion: "P0S3-09-1-00", running: nil, rolledBack: ("P0S3-09-0-00", "crashed"))))
        #expect(other.state == .fetching("P0S3-09-1-00"))
        var t = UpgradeMachine()
        _ = t.handle(.check(.init(imageVersion: "P0S3-09-1-00", running: "P0S3-09-0-00", onTrial: true)))
        guard case .finished(.deferred) = t.state else { Issue.record("\(t.state)"); return }
    }

    @Test func anImageAlreadyInTheInactiveSlotIsActivatedWithoutAFetch() {
        var m = UpgradeMachine()
        let a = m.handle(.check(.init(imageVersion: "P0S3-08-12-00", running: "P0S3-08-11-00", inactiveHolds: "P0S3-08-12-00")))
        #expect(fetches(a).isEmpty)
        #expect(a.contains { if case .activate = $0 { true } else { false } })
    }

    @Test func theLoaderStartsRollsBackOrDiscards() {
        let trial = TrialRecord(slot: .a, image: "P0S3-09-0-00", previous: nil, previousImage: nil, starts: 0)
        #expect(BootLoader.decide(active: nil, trial: nil) { _ in nil } == .runBuiltIn)
        #expect(BootLoader.decide(active: .b, trial: nil) { _ in nil } == .start(.b, trial: false))
        #expect(BootLoader.decide(active: .a, trial: trial) { _ in nil } == .start(.a, trial: true))
        var started = trial
        started.starts = 1
        guard case .rollBack(let why) = BootLoader.decide(active: .a, trial: started, problem: { _ in nil }) else {
            Issue.record("a trial started before and never confirmed is rolled back"); return
        }
        #expect(why.contains("P0S3-09-0-00 did not become healthy"))
        #expect(BootLoader.decide(active: .b, trial: trial) { _ in nil } == .discardStaleTrial)
        guard case .rollBack(let damaged) = BootLoader.decide(active: .b, trial: nil, problem: { _ in "the executable is missing" }) else {
            Issue.record("a damaged active slot is rolled back"); return
        }
        #expect(damaged == "slot b cannot start: the executable is missing")
    }

    @Test func theWatchdogWaitsThenRollsBack() {
        let t = TrialRecord(slot: .a, image: "P0S3-09-0-00", previous: .b, previousImage: "P0S3-08-0-00", starts: 1,
                            health: "line 1 not registered")
        #expect(TrialWatchdog.step(trial: t, parentAlive: true, elapsed: .seconds(1), deadline: .seconds(10)) == .wait)
        #expect(TrialWatchdog.step(trial: nil, parentAlive: false, elapsed: .seconds(1), deadline: .seconds(10)) == .done)
        #expect(TrialWatchdog.step(trial: t, parentAlive: false, elapsed: .seconds(1), deadline: .seconds(10))
                == .crashed(reason: "P0S3-09-0-00 exited before it became healthy (crashed on start?)"))
        #expect(TrialWatchdog.step(trial: t, parentAlive: true, elapsed: .seconds(10), deadline: .seconds(10))
                == .unhealthy(reason: "P0S3-09-0-00 was not healthy within 10 s: line 1 not registered"))
        #expect(TrialHealth.missing(cliUp: true, lines: []) == nil)
        #expect(TrialHealth.missing(cliUp: false, lines: [(1, true), (2, false), (3, false)]) == "the CLI is not up; lines 2, 3 not registered")
    }

    @Test func checkSyncWaitsForTwentySecondsOfIdle() {
        let t0 = ContinuousClock.now
        var m = CheckSyncMachine(delay: .seconds(20))
        let due6 = m.tick(now: t0, busy: false)
        #expect(!due6, "nothing armed")
        m.notified(now: t0, busy: true)
        let due7 = m.tick(now: t0 + .seconds(30), busy: true)
        #expect(!due7, "a call: no re-read")
        let due8 = m.tick(now: t0 + .seconds(31), busy: false)
        #expect(!due8, "idle from now")
        let due9 = m.tick(now: t0 + .seconds(50), busy: false)
        #expect(!due9)
        let due10 = m.tick(now: t0 + .seconds(51), busy: false)
        #expect(due10, "20 s idle")
        #expect(m.state == .reading)
        m.notified(now: t0 + .seconds(52), busy: false)
        #expect(m.state == .reading, "a NOTIFY during the re-read is absorbed")
        m.finished()
        m.notified(now: t0 + .seconds(60), busy: false)
        let due11 = m.tick(now: t0 + .seconds(80), busy: false)
        #expect(due11)
    }
}
