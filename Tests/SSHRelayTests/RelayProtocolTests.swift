import NIOCore
import SSHRelay
import Testing

/// The frames between deskphoned and deskphone-ssh: every message survives a round trip, and
/// a damaged frame is an error with its reason, never a crash.
@Suite struct RelayProtocolTests {
    static let controlMessages: [ControlMessage] = [
        .hostKey(seed: Array(0..<32)),
        .listening(address: "[IPv4]127.0.0.1/127.0.0.1:2222"),
        .failed(reason: "bind: Address already in use (errno: 98)"),
        .passwordLogin(id: 7, peer: "10.0.0.5:40000", user: "admin", password: "s3cret ünïcode", failures: 2),
        .keyLogin(id: 8, peer: "[::1]:1", user: "", keyType: "ssh-ed25519", key: [0, 0, 0, 11] + Array("ssh-ed25519".utf8)),
        .loginAnswer(id: 9, answer: .refuseAndClose),
        .loginAnswer(id: 10, answer: .accept),
        .session(peer: "127.0.0.1:5000", user: "admin", command: "show version", columns: nil),
        .session(peer: "127.0.0.1:5000", user: "admin", command: nil, columns: 132),
        .session(peer: "p", user: "u", command: "", columns: 0),
    ]

    static let sessionFrames: [SessionFrame] = [
        .data([]), .data(Array("show ver\r".utf8)), .windowChange(columns: 80), .endOfInput, .exitStatus(1), .exitStatus(0),
    ]

    @Test func controlMessagesRoundTrip() throws {
        for message in Self.controlMessages {
            let packet = message.frame.bytes
            #expect(try ControlMessage(try RelayFrame(packet: packet)) == message, "\(message.name)")
        }
    }

    @Test func sessionFramesRoundTripAlsoInPieces() throws {
        var stream = ByteBuffer()
        for frame in Self.sessionFrames { stream.writeBytes(frame.frame.bytes) }
        // Fed a byte at a time, the frames come out whole and in order.
        var buffer = ByteBuffer()
        var out: [SessionFrame] = []
        while let byte = stream.readInteger(as: UInt8.self) {
            buffer.writeInteger(byte)
            while let frame = try RelayFrame.read(from: &buffer) { out.append(try SessionFrame(frame)) }
        }
        #expect(out == Self.sessionFrames)
        #expect(buffer.readableBytes == 0)
    }

    @Test func truncatedFramesAreErrors() {
        for message in Self.controlMessages {
            let packet = message.frame.bytes
            for cut in [0, 1, 4, packet.count - 1] where cut < packet.count {
                #expect(throws: RelayProtocolError.self) { try ControlMessage(try RelayFrame(packet: Array(packet.prefix(cut)))) }
            }
        }
        // A frame whose length is right but whose fields are short.
        #expect(throws: RelayProtocolError.self) { try ControlMessage(RelayFrame(type: 4, payload: [0, 0, 0, 1, 0, 0, 0, 9, 65])) }
        #expect(throws: RelayProtocolError.self) { try SessionFrame(RelayFrame(type: 2, payload: [0, 0])) }
        // Bytes after the fields, or after the frame.
        #expect(throws: RelayProtocolError.self) { try SessionFrame(RelayFrame(type: 3, payload: [1])) }
        #expect(throws: RelayProtocolError.self) { try RelayFrame(packet: ControlMessage.listening(address: "x").frame.bytes + [0]) }
    }

    @Test func oversizedAndUnknownFramesAreErrors() throws {
        // A length over the limit is refused from the header alone (nothing is buffered for it).
        var huge = ByteBuffer(bytes: [1, 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: RelayProtocolError.self) { _ = try RelayFrame.read(from: &huge) }
        let atLimit = RelayFrame(type: 1, payload: [UInt8](repeating: 0x41, count: RelayFrame.maximumPayload))
        var buffer = ByteBuffer(bytes: atLimit.bytes)
        #expect(try RelayFrame.read(from: &buffer) == atLimit)
        let error = #expect(throws: RelayProtocolError.self) { try SessionFrame(RelayFrame(type: 99)) }
        #expect(error?.description == "unknown session frame type 99")
        #expect(throws: RelayProtocolError.self) { try ControlMessage(RelayFrame(type: 0)) }
        #expect(throws: RelayProtocolError.self) { try ControlMessage(RelayFrame(type: 6, payload: [0, 0, 0, 1, 0, 0, 0, 3])) }
    }

    /// Random bytes never crash the decoders.
    @Test func garbageIsAnErrorOrAFrame() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? ControlMessage(try RelayFrame(packet: bytes))
            var buffer = ByteBuffer(bytes: bytes)
            _ = try? RelayFrame.read(from: &buffer).map(SessionFrame.init)
        }
    }
}

/// deskphone-ssh's command line as deskphoned writes it and the child reads it.
@Suite struct SSHServerCommandLineTests {
    @Test func whatTheDaemonWritesTheChildReads() {
        for line in [SSHServerCommandLine(host: "127.0.0.1", port: 0), SSHServerCommandLine(host: "::1", port: 2222, logLevel: .debug),
                     SSHServerCommandLine(host: "0.0.0.0", port: 65535, logLevel: .error)] {
            #expect(SSHServerCommandLine(parsing: line.arguments) == line, "\(line.arguments)")
        }
        #expect(SSHServerCommandLine(host: "::1", port: 22).arguments == ["--listen", "[::1]:22", "--log-level", "info"])
    }

    @Test func badCommandLinesAreRefused() {
        for bad in [[], ["--listen"], ["--listen", "127.0.0.1"], ["--listen", ":22"], ["--listen", "h:70000"],
                    ["--listen", "h:22", "--log-level", "loud"], ["--listen", "h:22", "extra"], ["--port", "22"]] {
            #expect(SSHServerCommandLine(parsing: bad) == nil, "\(bad)")
        }
    }
}
