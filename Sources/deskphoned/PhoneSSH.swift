import Commands
import Console
import DaemonOptions
import Diagnostics
import Logging
import NIOCore
import NIOPosix
import Phone
import Provisioning
import SSHRelay
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The CLI over SSH (`--ssh`, issue 17): the host key from the flash (made at the first start),
/// the authorized keys from the flash and /etc/deskphone, and the server — `deskphone-ssh`, a
/// child process (issue 16) — whose logins are decided here and whose sessions run here as the
/// telnet sessions do (`CLISettings`: prompt, commands, level; telnet's password and back-off).
/// Only called when `--ssh` is given.
enum PhoneSSH {
    static let hostKeyFile = DaemonSettings.sshFolder + "/host_ed25519_key"
    static let authorizedKeysFile = DaemonSettings.sshFolder + "/authorized_keys"
    /// The SSH server's executable name, installed beside deskphoned.
    static let serverName = DaemonSettings.sshServerName

    static func start(settings: DaemonSettings, flash: FlashStore, group: any EventLoopGroup, cli: CLISettings,
                      phone: PhoneRuntime, image: RunningImage) -> SSHServerProcess? {
        let log = Logger.category(.plat)
        guard let (host, port) = settings.ssh else { return nil }
        let hostKey: HostKey
        do {
            hostKey = try loadHostKey(flash, log: log)
        } catch {
            log.error("ssh: host key \(flash.root)/\(hostKeyFile): \(error); SSH stays off (remove the file to make a new key)")
            return nil
        }
        let keys = AuthorizedKeyFiles(flash: flash, log: log)
        _ = keys.current()  // logs what the files hold (and their bad lines) at the start
        let login = SSHLogin(
            password: { cli.current.password },
            authorizedKeys: { keys.current() },
            closedReason: {
                CLISettings.privilege(.ssh, telnetLevel: cli.current.telnetLevel) == nil ? "telnet_level is 0 (remote CLI off)" : nil
            },
            throttle: cli.throttle, logger: log)
        let sessions = RelayedSessions(group: group, factory: cli.factory(commands: PhoneCommands.tree, phone: phone, access: .ssh),
                                       idleTimeout: .seconds(Int64(settings.telnetIdleTimeout)), logger: log)
        let server = SSHServerProcess(
            .init(executable: settings.sshServer ?? defaultServer(image: image), host: host, port: port,
                  logLevel: settings.logLevel, hostKey: hostKey, login: login, logger: log),
            sessions: sessions, eventLoop: group.next())
        server.start()
        ImageLoader.beforeRestart.withLockedValue { $0.append { server.stopBeforeExec() } }
        return server
    }

    /// deskphone-ssh beside the installed deskphoned (the loader: a flash slot's image runs
    /// from the flash, where no deskphone-ssh is).
    static func defaultServer(image: RunningImage) -> String {
        let folder = image.loader.lastIndex(of: "/").map { String(image.loader[..<$0]) } ?? "."
        return (folder.isEmpty ? "" : folder) + "/" + serverName
    }

    /// The flash's key, or a new one written there (0600, with its `.pub` beside it for
    /// `ssh-keygen -l` and known_hosts).
    static func loadHostKey(_ flash: FlashStore, log: Logger) throws -> HostKey {
        if let bytes = try flash.read(hostKeyFile) { return try HostKey(stored: bytes) }
        let key = HostKey()
        try flash.write(key.stored, to: hostKeyFile, mode: 0o600)
        try flash.write(Array((key.openSSHPublicKey + " deskphone\n").utf8), to: hostKeyFile + ".pub")
        log.notice("ssh: new host key \(key.fingerprint) in \(flash.root)/\(hostKeyFile)")
        return key
    }
}
/// The authorized keys of `FLASH/ssh/authorized_keys` and /etc/deskphone/authorized_keys, read
/// at every login attempt (a key added takes effect at once) and parsed again only when a file
/// changed; the bad lines of a changed file are logged once.
final class AuthorizedKeyFiles: Sendable {
    private let flash: FlashStore
    private let log: Logger
    private let cache = NIOLockedValueBox<(texts: [String], keys: AuthorizedKeys)?>(nil)

    init(flash: FlashStore, log: Logger) {
        self.flash = flash
        self.log = log
    }

    func current() -> AuthorizedKeys {
        let flashPath = flash.root + "/" + PhoneSSH.authorizedKeysFile
        let flashText = ((try? flash.read(PhoneSSH.authorizedKeysFile, limit: 1 << 20)) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let systemText = Self.readSmallFile(DaemonSettings.systemAuthorizedKeys) ?? ""
        let texts = [flashText, systemText]
        if let cached = cache.withLockedValue({ $0 }), cached.texts == texts { return cached.keys }
        var keys = AuthorizedKeys()
        keys.add(flashText, file: flashPath)
        keys.add(systemText, file: DaemonSettings.systemAuthorizedKeys)
        for problem in keys.problems { log.warning("ssh: \(problem) (line ignored)") }
        log.info("ssh: \(keys.entries.count) authorized keys (\(flashPath), \(DaemonSettings.systemAuthorizedKeys))")
        cache.withLockedValue { $0 = (texts, keys) }
        return keys
    }

    /// A file outside the flash, at most 1 MiB; nil when it cannot be read (a missing file is normal).
    static func readSmallFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count <= 1 << 20 {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
