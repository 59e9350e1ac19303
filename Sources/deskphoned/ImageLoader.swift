import DaemonOptions
import Diagnostics
import Firmware
import Logging
import NIOConcurrencyHelpers
import Provisioning

#if canImport(Glibc)
import Glibc
#endif

/// The image this process runs, as the loader decided.
struct RunningImage: Sendable {
    /// The slot it was started from; nil for the built-in (installed) executable.
    let slot: SlotName?
    /// Its image name (`P0S3-…`); nil for the built-in executable.
    let name: String?
    /// The installed executable, which is the loader: restarts exec it, so the marker decides.
    let loader: String
    /// Activated by an upgrade and not yet seen healthy.
    let onTrial: Bool
}

/// What runs before the daemon (GUIDE.md §1.1 step 1, "a bootstrap loader starts and runs the
/// application image found in flash"): the loader, which execs the active slot's executable,
/// or the watchdog of a trial image. The environment carries the roles across exec.
enum ImageLoader {
    /// Set by the loader on the image it execs: the slot it runs from.
    static let slotVariable = "DESKPHONE_SLOT"
    /// The loader's own path, inherited by every image.
    static let loaderVariable = "DESKPHONE_LOADER"
    /// Set on a watchdog process: the pid of the trial image it watches.
    static let watchdogVariable = "DESKPHONE_WATCHDOG"
    /// Set by the loader on a trial image: its watchdog's pid (the image reaps it).
    static let watchdogPIDVariable = "DESKPHONE_WATCHDOG_PID"

    static let log = Logger.category(.image)

    static func environment(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    /// Returns the image to run as; may instead exec a slot's executable (and not return), or
    /// be the watchdog (and exit or exec the loader).
    static func prepare(settings: DaemonSettings, arguments: [String]) throws -> RunningImage {
        let flash = try FlashStore(root: settings.flash)
        let slots = FirmwareSlots(flash: flash)
        if let pidText = environment(watchdogVariable), let pid = Int32(pidText) {
            watch(pid: pid, slots: slots, settings: settings, arguments: arguments)
        }
        if let slotText = environment(slotVariable), let slot = SlotName(rawValue: slotText) {
            let name: String?
            if case .installed(let m) = slots.state(slot) { name = m.name } else { name = nil }
            let loader = environment(loaderVariable) ?? selfPath()
            return RunningImage(slot: slot, name: name ?? "slot \(slot)", loader: loader,
                                onTrial: slots.trial()?.slot == slot)
        }
        // The loader.
        let loader = selfPath()
        setenv(loaderVariable, loader, 1)
        for _ in 0..<3 {
            switch BootLoader.resolve(slots, note: { log.warning("\($0)") }) {
            case .runBuiltIn, .rollBack, .discardStaleTrial:
                log.info("loader: starting the built-in image \(DeskphoneVersion.version)")
                return RunningImage(slot: nil, name: nil, loader: loader, onTrial: false)
            case .start(let slot, let trial):
                guard let exe = slots.executableFile(slot) else { break }
                if trial {
                    let t = try? slots.noteTrialStart()
                    log.info("loader: starting \(t?.image ?? "slot \(slot)") from slot \(slot) on trial (start \(t?.starts ?? 0)); a watchdog rolls it back unless it is healthy within \(settings.upgradeHealthTimeout) s")
                    spawnWatchdog(arguments: arguments)
                } else {
                    log.info("loader: starting slot \(slot)")
                }
                setenv(slotVariable, slot.rawValue, 1)
                let reason = exec(exe, arguments)
                unsetenv(slotVariable)
                log.error("loader: cannot start slot \(slot): \(reason)")
                _ = try? slots.fallBack(reason: "exec of slot \(slot) failed: \(reason)")
            }
        }
        return RunningImage(slot: nil, name: nil, loader: loader, onTrial: false)
    }

    /// What must end before a restart's exec: child processes (deskphone-ssh), which the new
    /// image would neither know nor reap, and whose listening port it needs.
    static let beforeRestart = NIOLockedValueBox<[@Sendable () -> Void]>([])

    /// The restart of `reset hard` and of an upgrade: the loader in place of this process,
    /// with the same arguments; it starts whatever the marker names now.
    static func restart(loader: String, arguments: [String]) throws {
        for stop in beforeRestart.withLockedValue({ $0 }) { stop() }
        unsetenv(slotVariable)
        unsetenv(watchdogPIDVariable)
        let reason = exec(loader, arguments)
        throw DaemonError("cannot restart: execv \(loader): \(reason)")
    }

    /// Returns only when exec failed, with the reason. Every descriptor but standard input,
    /// output and error is closed by the exec: sockets do not open close-on-exec, and a
    /// listening socket or a telnet connection inherited by the new image would keep its port
    /// (the new telnet listener and the SIP TCP listener could not bind) and hang the client.
    static func exec(_ path: String, _ arguments: [String]) -> String {
        closeOnExec()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        argv.forEach { free($0) }
        return reason
    }

    /// FD_CLOEXEC on every open descriptor above 2 (safe while other threads run, unlike
    /// closing them).
    static func closeOnExec() {
        guard let dir = opendir("/proc/self/fd") else {
            for fd in 3..<Int32(1024) { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return
        }
        defer { closedir(dir) }
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd > 2 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
    }

    static func selfPath() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return "/proc/self/exe" }
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A watchdog: this (known good) executable again, with the same arguments, told the pid
    /// to watch; it keeps standard error (the log) and nothing else of ours.
    static func spawnWatchdog(arguments: [String]) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var env: [String] = []
        var p = environ
        while let e = p.pointee {
            let s = String(cString: e)
            if ![slotVariable, watchdogVariable, watchdogPIDVariable].contains(where: { s.hasPrefix($0 + "=") }) { env.append(s) }
            p += 1
        }
        env.append("\(watchdogVariable)=\(getpid())")
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, selfPath(), &actions, nil, argv, envp)
        if r != 0 { log.error("loader: cannot start the trial watchdog: \(String(cString: strerror(r)))") }
        else {
            log.info("loader: trial watchdog pid \(pid)")
            setenv(watchdogPIDVariable, String(pid), 1)
        }
    }

    /// The watchdog's loop (never returns): exits once the trial image is confirmed; rolls it
    /// back and takes over as the loader when it dies or is not healthy in time.
    static func watch(pid: Int32, slots: FirmwareSlots, settings: DaemonSettings, arguments: [String]) -> Never {
        unsetenv(watchdogVariable)
        let started = ContinuousClock.now
        let deadline = Duration.seconds(settings.upgradeHealthTimeout)
        while true {
            let step = TrialWatchdog.step(trial: slots.trial(), parentAlive: getppid() == pid,
                                          elapsed: ContinuousClock.now - started, deadline: deadline)
            switch step {
            case .wait:
                usleep(100_000)
                continue
            case .done:
                exit(0)
            case .crashed(let reason):
                log.error("watchdog: \(reason); rolling back")
                do { try slots.rollbackTrial(reason: reason) } catch { log.error("watchdog: rollback: \(error)") }
            case .unhealthy(let reason):
                log.error("watchdog: \(reason); stopping pid \(pid) and rolling back")
                do { try slots.rollbackTrial(reason: reason) } catch { log.error("watchdog: rollback: \(error)") }
                kill(pid, SIGKILL)
                let until = ContinuousClock.now + .seconds(30)
                while getppid() == pid && ContinuousClock.now < until { usleep(50_000) }
            }
            // The watched process is gone: this one becomes the phone, through the loader.
            let loader = environment(loaderVariable) ?? selfPath()
            unsetenv(slotVariable)
            unsetenv(watchdogPIDVariable)
            log.info("watchdog: restarting through the loader \(loader)")
            let why = exec(loader, arguments)
            log.error("watchdog: cannot exec the loader: \(why)")
            exit(1)
        }
    }
}
