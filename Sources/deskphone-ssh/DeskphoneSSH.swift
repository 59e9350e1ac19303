import CRuntime
import Diagnostics
import Logging
import NIOCore
import NIOPosix
import SSHConsole
import SSHRelay

#if canImport(Glibc)
import Glibc
#endif

/// The SSH server of deskphoned (issue 16), a process of its own so that the daemon links no
/// NIOSSH (nor the Foundation it brings): deskphoned starts it when `--ssh` is given, with the
/// control socket as fd 3, and restarts it if it dies. It asks the daemon at every login and
/// hands every session to it (`SSHRelay`); it dies with the daemon (the control socket's EOF,
/// and SIGTERM when the daemon's thread ends).
///
///     deskphone-ssh --listen ADDR:PORT [--log-level LEVEL]
@main
enum DeskphoneSSH {
    static let controlDescriptor: Int32 = 3

    static func main() async {
        _ = cruntime_die_with_parent(SIGTERM)
        if getppid() == 1 { exit(0) }  // (the daemon died before the line above)
        closeInheritedDescriptors()
        guard let options = SSHServerCommandLine(parsing: Array(CommandLine.arguments.dropFirst())) else {
            fputs(SSHServerCommandLine.usage + "\n", fdopen(dup(2), "w"))
            exit(2)
        }
        Loggers.bootstrap(level: options.logLevel)
        let log = Logger.category(.plat)
        let control = ControlSocket(descriptor: controlDescriptor)
        let hostKey: HostKey
        do {
            guard case .message(.hostKey(let seed), _) = try control.receive() else {
                log.error("ssh: deskphone-ssh: the daemon did not send the host key first")
                exit(1)
            }
            hostKey = try HostKey(stored: seed)
        } catch {
            log.error("ssh: deskphone-ssh: host key: \(error)")
            exit(1)
        }
        let link = DaemonLink(socket: control, logger: log)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = SSHServer(group: group, configuration: .init(host: options.host, port: options.port, hostKey: hostKey, logger: log), link: link)
        do {
            let address = try await server.start()
            try control.send(.listening(address: "\(address)"))
        } catch {
            try? control.send(.failed(reason: "\(error)"))
            exit(1)
        }
        // The answers, until the daemon's end closes (which exits).
        let reader = NIOThreadPool(numberOfThreads: 1)
        reader.start()
        _ = try? await reader.runIfActive { link.readAnswers() }
        exit(1)
    }

    /// Everything but standard input, output, error and the control socket: the daemon's
    /// sockets are not close-on-exec (its listeners must not stay open in this process).
    static func closeInheritedDescriptors() {
        var open: [Int32] = []
        if let dir = opendir("/proc/self/fd") {
            while let e = readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if let fd = Int32(name), fd > controlDescriptor, fd != dirfd(dir) { open.append(fd) }
            }
            closedir(dir)
        }
        for fd in open { close(fd) }
    }
}
