import Foundation
import NIOCore
import NIOEmbedded
import SIPMessage
@testable import SIPStack
import Testing
import Scheduling
import TestKit
#if canImport(Glibc)
import Glibc
#endif

/// RFC 3261 §18.2.2 and RFC 3581 §4: where responses go and what the top Via says.
@Suite struct ResponseRoutingTests {
    func via(_ text: String) throws -> SIPVia {
        try SIPMessage(parsing: "OPTIONS sip:x SIP/2.0\r\nVia: \(text)\r\n\r\n").topVia()
    }

    @Test func rportRequestedGetsTheSourcePortAndReceived() throws {
        let text = "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKa;rport"
        let r = ResponseRouting.route(viaText: text, via: try via(text), sourceHost: "192.0.2.1", sourcePort: 40001, transport: .udp)
        #expect(r.topVia == "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKa;rport=40001;received=192.0.2.1")
        #expect(r.host == "192.0.2.1" && r.port == 40001)
    }

    @Test func withoutRportTheSentByPortIsUsed() throws {
        let text = "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKa"
        let r = ResponseRouting.route(viaText: text, via: try via(text), sourceHost: "192.0.2.1", sourcePort: 40001, transport: .udp)
        #expect(r.topVia == text + ";received=192.0.2.1")
        #expect(r.host == "192.0.2.1" && r.port == 5070)
        let noPort = "SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKa"
        #expect(ResponseRouting.route(viaText: noPort, via: try via(noPort), sourceHost: "192.0.2.1", sourcePort: 1,
                                      transport: .udp).port == 5060)
    }

    @Test func sameHostAddsNoReceivedAndTCPAnswersOnTheConnection() throws {
        let text = "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKa"
        let r = ResponseRouting.route(viaText: text, via: try via(text), sourceHost: "192.0.2.1", sourcePort: 33333, transport: .tcp)
        #expect(r.topVia == text)
        #expect(r.port == 33333)
    }

    @Test func rportWithSpacesAndAnExistingValueIsKept() throws {
        let text = "SIP/2.0/UDP h ; rport ;branch=z9hG4bKa"
        let r = ResponseRouting.route(viaText: text, via: try via(text), sourceHost: "192.0.2.1", sourcePort: 7, transport: .udp)
        #expect(r.topVia == "SIP/2.0/UDP h ;rport=7;branch=z9hG4bKa;received=192.0.2.1")
        let valued = "SIP/2.0/UDP 192.0.2.1;rport=9;branch=z9hG4bKa"
        #expect(ResponseRouting.route(viaText: valued, via: try via(valued), sourceHost: "192.0.2.1", sourcePort: 7,
                                      transport: .udp).topVia == valued)
    }

    @Test func overTCPTheSentByIsWhereAResponseGoesOnceTheConnectionHasClosed() throws {
        let text = "SIP/2.0/TCP 10.0.0.5:5070;branch=z9hG4bKa"
        let r = ResponseRouting.route(viaText: text, via: try via(text), sourceHost: "192.0.2.1", sourcePort: 33333, transport: .tcp)
        #expect(r.port == 33333)   // the connection first
        #expect(r.sentByHost == "192.0.2.1" && r.sentByPort == 5070)   // received, at the sent-by port
        let noPort = "SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKa"
        let d = ResponseRouting.route(viaText: noPort, via: try via(noPort), sourceHost: "192.0.2.1", sourcePort: 33333, transport: .tcp)
        #expect(d.sentByHost == "192.0.2.1" && d.sentByPort == 5060)
    }

    @Test @PhoneLoop func theTransactionLayerHandsTheSentByToTheTransport() throws {
        let s = try ManualStack()
        let source = try SocketAddress(ipAddress: "127.0.0.1", port: 40123)
        s.receive("OPTIONS sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5071;branch=z9hG4bKsb1\r\n"
                  + "Max-Forwards: 70\r\nFrom: <sip:t@h>;tag=1\r\nTo: <sip:620@h>\r\nCall-ID: sb1@t\r\nCSeq: 1 OPTIONS\r\n"
                  + "Content-Length: 0\r\n\r\n", from: source, over: .tcp)
        let sent = try #require(s.sink.sent.last)
        #expect(sent.message?.statusCode == 200)
        #expect(sent.destination == source)
        #expect(sent.sentBy == (try SocketAddress(ipAddress: "127.0.0.1", port: 5071)))
        // Over UDP there is none: received/rport say it all.
        s.receive(peerRequest("OPTIONS", branch: "z9hG4bKsb2"))
        #expect(s.sink.sent.last?.message?.statusCode == 200)
        #expect(s.sink.sent.last?.sentBy == nil)
    }

    @Test func theTopViaOfACommaListIsSplitOff() {
        #expect(ResponseRouting.splitTopVia("SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b") ?? ("", "") == ("SIP/2.0/UDP a;branch=1", ", SIP/2.0/UDP b"))
        #expect(ResponseRouting.splitTopVia("SIP/2.0/UDP a;x=\"p,q\"") ?? ("", "") == ("SIP/2.0/UDP a;x=\"p,q\"", ""))
    }
}

/// The TCP framer on an EmbeddedChannel: messages cut by Content-Length however the bytes
/// arrive, keep-alives answered, a stream that cannot be framed answered and closed.
@Suite struct StreamFramerTests {
    final class Collected: @unchecked Sendable {
        var messages: [[UInt8]] = []
    }

    func channel(_ collected: Collected, limits: TCPTransport.Limits = TCPTransport.Limits()) throws -> EmbeddedChannel {
        let remote = try SocketAddress(ipAddress: "192.0.2.7", port: 5060)
        let ch = EmbeddedChannel()
        try ch.pipeline.syncOperations.addHandler(StreamFramer(remote: remote, limits: limits) { bytes, _ in
            collected.messages.append(bytes)
        })
        try ch.connect(to: remote).wait()
        return ch
    }

    static let options = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
        + "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody"

    @Test func messagesSplitAndJoinedAnyHow() throws {
        let got = Collected()
        let ch = try channel(got)
        // an RFC 5626 ping alone gets one CRLF pong
        try ch.writeInbound(ch.allocator.buffer(bytes: Array("\r\n\r\n".utf8)))
        let pong = try #require(try ch.readOutbound(as: ByteBuffer.self))
        #expect(Array(pong.readableBytesView) == [13, 10])
        // one byte at a time, then everything at once (stray CRLFs before a message are skipped)
        let stream = Array((Self.options + "\r\n" + Self.options).utf8)
        for b in stream { try ch.writeInbound(ch.allocator.buffer(bytes: [b])) }
        try ch.writeInbound(ch.allocator.buffer(bytes: stream))
        #expect(got.messages.count == 4)
        #expect(got.messages.allSatisfy { $0 == Array(Self.options.utf8) })
        #expect(try ch.readOutbound(as: ByteBuffer.self) == nil)
        #expect(ch.isActive)
    }

    @Test func endlessHeaderIsAnswered513AndClosed() throws {
        let got = Collected()
        let ch = try channel(got)
        try ch.writeInbound(ch.allocator.buffer(bytes: Array("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c9\r\nCSeq: 1 INVITE\r\nX: ".utf8)))
        let chunk = [UInt8](repeating: 0x61, count: 8192)
        var written = 0
        while ch.isActive && written < 1_000_000 {
            try ch.writeInbound(ch.allocator.buffer(bytes: chunk))
            written += chunk.count
        }
        #expect(!ch.isActive)
        #expect(written <= 65_536 + 8192)
        #expect(got.messages.isEmpty)
        let out = try #require(try ch.readOutbound(as: ByteBuffer.self))
        let text = String(decoding: out.readableBytesView, as: UTF8.self)
        #expect(text.hasPrefix("SIP/2.0 513 Message Too Large\r\n"), "\(text)")
        #expect(text.contains("Call-ID: c9\r\n"))
    }

    @Test func badContentLengthClosesWithout_a_BodyGuess() throws {
        let got = Collected()
        let ch = try channel(got)
        let bad = Self.options.replacingOccurrences(of: "Content-Length: 4", with: "Content-Length: -4")
        try ch.writeInbound(ch.allocator.buffer(bytes: Array(bad.utf8)))
        #expect(!ch.isActive)
        let out = try #require(try ch.readOutbound(as: ByteBuffer.self))
        #expect(String(decoding: out.readableBytesView, as: UTF8.self).hasPrefix("SIP/2.0 400 Bad Request\r\n"))
    }

    @Test func aMessageLeftHalfDoneIsClosedAtItsDeadline() throws {
        let got = Collected()
        var limits = TCPTransport.Limits()
        limits.partialMessage = .seconds(32)
        let ch = try channel(got, limits: limits)
        try ch.writeInbound(ch.allocator.buffer(bytes: Array(Self.options.utf8.prefix(40))))
        ch.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(ch.isActive)
        ch.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!ch.isActive)
        #expect(got.messages.isEmpty)
    }
}

/// RFC 3261 §18.2.2 on real sockets: a peer sends a request over TCP and closes the
/// connection before the answer; the answer comes on a new connection to the peer's sent-by
/// port, where it listens. While the connection is open, the answer uses it.
@Suite(.serialized) struct ClosedConnectionResponseTests {
    final class Held: @unchecked Sendable { var requests: [ServerRequest] = [] }

    static func listener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, let port = Sockets.bind(fd, port: 0), listen(fd, 4) == 0 else { throw TestFailure("listener: \(errno)") }
        return (fd, port)
    }

    static func accept(_ listener: Int32, within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) > 0 { return Glibc.accept(listener, nil, nil) }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    static func localPort(_ fd: Int32) -> Int {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// The states (hex, /proc/net/tcp's `st`) of the loopback sockets from `local` to `remote`.
    static func tcpStates(local: Int, remote: Int) -> [String] {
        let fd = open("/proc/net/tcp", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while case let n = read(fd, &chunk, chunk.count), n > 0 { bytes += chunk[0..<n] }
        func endpoint(_ port: Int) -> String {
            let h = String(port, radix: 16, uppercase: true)
            return "0100007F:" + String(repeating: "0", count: max(0, 4 - h.count)) + h
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: " ")
            return f.count > 3 && f[1] == endpoint(local) && f[2] == endpoint(remote) ? String(f[3]) : nil
        }
    }

    static func request(branch: String, sentByPort: Int) -> [UInt8] {
        Array(("MESSAGE sip:620@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:\(sentByPort);branch=\(branch)\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=ft\r\nTo: <sip:620@127.0.0.1>\r\n"
            + "Call-ID: \(branch)@test\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n").utf8)
    }

    @Test func theAnswerFindsTheSentByPortAfterTheConnectionClosed() async throws {
        let endpoint = await SIPEndpoint()
        try await endpoint.start(host: "127.0.0.1", port: 0)
        let port = try #require(await endpoint.localAddress?.port)
        let held = Held()
        await endpoint.handle("MESSAGE") { held.requests.append($0) }
        let (listenFD, sentByPort) = try Self.listener()
        defer { close(listenFD) }
        func heldCount() async throws -> Int { try await PhoneLoop.loop.submit { held.requests.count }.get() }
        func waitHeld(_ n: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while try await heldCount() < n, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await heldCount() == n)
        }

        // Open connection: the answer comes back on it, nothing at the sent-by port.
        let open = try Sockets.connect(port: port).get()
        defer { close(open) }
        #expect(Sockets.send(open, Self.request(branch: "z9hG4bKopen1", sentByPort: sentByPort)))
        try await waitHeld(1)
        try await PhoneLoop.loop.submit { PhoneLoop.assumeIsolated { held.requests[0].respond(code: 200) } }.get()
        let onConnection = String(decoding: await Sockets.receive(open, timeout: .milliseconds(300)), as: UTF8.self)
        #expect(onConnection.hasPrefix("SIP/2.0 200 OK\r\n") && onConnection.contains("branch=z9hG4bKopen1"), "\(onConnection)")
        #expect(await Self.accept(listenFD, within: .milliseconds(200)) == nil, "no connection to the sent-by while one is open")

        // Closed before the answer: a new connection to the sent-by port carries it.
        let closing = try Sockets.connect(port: port).get()
        #expect(Sockets.send(closing, Self.request(branch: "z9hG4bKclosed1", sentByPort: sentByPort)))
        try await waitHeld(2)
        let clientPort = Self.localPort(closing)
        #expect(Self.tcpStates(local: port, remote: clientPort) == ["01"], "the phone's side, ESTABLISHED")
        close(closing)
        // The phone reads the FIN and closes its side: its socket leaves ESTABLISHED and
        // CLOSE_WAIT (then the transport has dropped the connection; the answer goes after).
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.tcpStates(local: port, remote: clientPort).contains(where: { $0 == "01" || $0 == "08" }) {
            guard ContinuousClock.now < deadline else { Issue.record("the phone kept the closed connection"); break }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await PhoneLoop.loop.submit { PhoneLoop.assumeIsolated { held.requests[1].respond(code: 200) } }.get()
        let accepted = try #require(await Self.accept(listenFD, within: .seconds(5)), "no connection to the sent-by port")
        defer { close(accepted) }
        let answer = String(decoding: await Sockets.receive(accepted, timeout: .milliseconds(300)), as: UTF8.self)
        #expect(answer.hasPrefix("SIP/2.0 200 OK\r\n"), "\(answer)")
        #expect(answer.contains("Via: SIP/2.0/TCP 127.0.0.1:\(sentByPort);branch=z9hG4bKclosed1"), "\(answer)")
        await endpoint.stop()
    }
}
