import Console
import Logging
import NIOCore
import NIOPosix
import SSHRelay
import TestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's end of relayed sessions over a real socket pair, the test playing deskphone-ssh
/// with blocking reads and writes: an exec's output, exit status and close; a shell's prompt,
/// echo, and its `show sessions` entry gone at the end; a damaged frame closes the session.
@Suite(.serialized) struct RelayedSessionsTests {
    static let group = MultiThreadedEventLoopGroup.singleton

    static func sessions(_ list: SessionList = SessionList()) -> RelayedSessions {
        RelayedSessions(group: group, factory: { peer in
            CLISession(configuration: SessionConfiguration(
                prompt: { "P> " }, password: nil, privilege: .user, commands: CommandTree([]), greeting: "",
                sleep: { _ in }, sessions: list, transport: "ssh"), peer: peer)
        }, idleTimeout: .minutes(1), logger: Logger(label: "test"))
    }

    /// The child's end: frames in and out, with a time limit on every read.
    struct ChildEnd {
        let fd: Int32
        var buffer = ByteBuffer()

        func send(_ frame: SessionFrame) { send(frame.frame.bytes) }

        func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }

        /// Frames until the socket closes (nil: it did not close within 60 s). Waits in
        /// `Task.sleep`, never in a blocking call: the daemon's side of an exec runs in a task,
        /// which needs one of the few threads this test would otherwise hold.
        mutating func framesUntilClose() async throws -> [SessionFrame]? {
            var frames: [SessionFrame] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 0) > 0 else {
                    try await Task.sleep(for: .milliseconds(5))
                    continue
                }
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return frames }
                buffer.writeBytes(chunk[0..<n])
                while let frame = try RelayFrame.read(from: &buffer) { frames.append(try SessionFrame(frame)) }
            }
            return nil
        }
    }

    static func text(_ frames: [SessionFrame]) -> String {
        var bytes: [UInt8] = []
        for case .data(let b) in frames { bytes += b }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func anExecsOutputAndExitStatusComeBeforeTheClose() async throws {
        let (daemon, child) = try ControlSocket.pair(type: Int32(SOCK_STREAM.rawValue))
        defer { close(child) }
        Self.sessions().start(.session(peer: "127.0.0.1:5000", user: "u", command: "nonsense", columns: nil), descriptor: daemon)
        var end = ChildEnd(fd: child)
        let frames = try #require(try await end.framesUntilClose())
        #expect(Self.text(frames).hasPrefix("% "), "the CLI's error: \(frames)")
        #expect(!Self.text(frames).contains("\r\n"), "LF line ends without a pty")
        #expect(frames.last == .exitStatus(1))
    }

    @Test func aShellRunsUntilEOFThenLeavesTheSessionList() async throws {
        let list = SessionList()
        let (daemon, child) = try ControlSocket.pair(type: Int32(SOCK_STREAM.rawValue))
        defer { close(child) }
        Self.sessions(list).start(.session(peer: "127.0.0.1:5001", user: "u", command: nil, columns: 80), descriptor: daemon)
        var end = ChildEnd(fd: child)
        end.send(.windowChange(columns: 100))
        end.send(.data(Array("nonsense".utf8) + [0x0D]))
        end.send(.endOfInput)
        let frames = try #require(try await end.framesUntilClose())
        let text = Self.text(frames)
        #expect(text.hasPrefix("P> "), "\(text)")
        #expect(text.contains("nonsense\r\n% "), "echoed on a pty, then the error: \(text)")
        #expect(frames.last == .exitStatus(0))
        // (the session's close runs in its driver's task, after the socket's)
        try await waitUntil("the session leaves the list") { list.entries.isEmpty }
    }

    @Test func aDamagedFrameClosesTheSession() async throws {
        let (daemon, child) = try ControlSocket.pair(type: Int32(SOCK_STREAM.rawValue))
        defer { close(child) }
        Self.sessions().start(.session(peer: "127.0.0.1:5002", user: "u", command: nil, columns: nil), descriptor: daemon)
        var end = ChildEnd(fd: child)
        end.send([99, 0, 0, 0, 0])
        // (the prompt may come first; then the close, with no crash)
        let frames = try await end.framesUntilClose()
        #expect(frames != nil, "the daemon closed its end")
    }
}
