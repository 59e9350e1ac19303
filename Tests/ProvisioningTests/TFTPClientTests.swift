import TestKit
import NIOCore
import NIOPosix
import Testing

@testable import Provisioning

/// Deterministic file content of `count` bytes.
private func content(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}

/// The index where two byte arrays first differ (or where the shorter ends), nil if equal.
/// Keeps failure messages short where `#expect(a == b)` would print 100 kB arrays.
private func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    if let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) { return i }
    return a.count == b.count ? nil : min(a.count, b.count)
}

/// Reads over a real socket from tftpd-hpa on loopback.
@Suite struct TFTPClientTests {
    let client = TFTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)

    @Test(.timeLimit(.minutes(1)))
    func readsASmallFile() async throws {
        let text = Array("image=P0S3-08-12-00\n".utf8)
        let server = try await TFTPServerProcess.start(files: ["SEP000000000001.cnf": text])
        defer { server.stop() }
        let bytes = try await client.read("SEP000000000001.cnf", from: try server.address)
        #expect(bytes == text)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        (1428, 100_003), (1428, 1428 * 4), (512, 100_003), (512, 512 * 8), (8192, 100_003), (8192, 8192 * 3),
    ])
    func readsAMultiBlockFile(blockSize: Int, size: Int) async throws {
        let file = content(size, seed: UInt32(blockSize))
        let server = try await TFTPServerProcess.start(files: ["big.bin": file])
        defer { server.stop() }
        let bytes = try await client.read("big.bin", from: try server.address, options: .init(blockSize: blockSize))
        #expect(bytes.count == file.count)
        #expect(firstDifference(bytes, file) == nil)
    }

    /// The cause of a flaky `readsAMultiBlockFile` on a loaded machine: the port picked free
    /// for in.tftpd went to another socket before in.tftpd bound it; in.tftpd exited, the port
    /// still looked bound, and the read went to a socket that never answers until it timed
    /// out. The server must be the one holding the port it is read from.
    @Test(.timeLimit(.minutes(1)))
    func serverStartsOnAnotherPortWhenItsPortWasTaken() async throws {
        let squatter = try UDPSocket()  // bound, never answers
        let file = content(8192 * 3, seed: 7)
        let server = try await TFTPServerProcess.start(files: ["big.bin": file], port: squatter.port)
        defer { server.stop() }
        #expect(server.port != squatter.port)
        let bytes = try await client.read("big.bin", from: try server.address, options: .init(blockSize: 8192))
        #expect(firstDifference(bytes, file) == nil)
        withExtendedLifetime(squatter) {}
    }

    @Test(.timeLimit(.minutes(1)))
    func readsWithoutTransferSize() async throws {
        let file = content(3000)
        let server = try await TFTPServerProcess.start(files: ["f.bin": file])
        defer { server.stop() }
        let bytes = try await client.read("f.bin", from: try server.address, options: .init(requestTransferSize: false))
        #expect(firstDifference(bytes, file) == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func missingFileIsServerError1() async throws {
        let server = try await TFTPServerProcess.start(files: ["present.cnf": [1]])
        defer { server.stop() }
        do {
            _ = try await client.read("absent.cnf", from: try server.address)
            Issue.record("reading a missing file succeeded")
        } catch let error as TFTPError {
            guard case .server(let code, _) = error else {
                Issue.record("expected a server error, got \(error)")
                return
            }
            #expect(code == 1)
            #expect(error.description.hasPrefix("TFTP error 1 (File not found)"))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func stoppedServerTimesOut() async throws {
        let server = try await TFTPServerProcess.start(files: ["a.cnf": [1, 2, 3]])
        let address = try server.address
        // The server works, then goes away.
        #expect(try await client.read("a.cnf", from: address) == [1, 2, 3])
        server.stop()
        let started = ContinuousClock.now
        await #expect(throws: TFTPError.timedOut(attempts: 3)) {
            _ = try await client.read("a.cnf", from: address, options: .init(timeoutSeconds: 1, maxRetransmissions: 2))
        }
        // Sends at 0, 1 and 3 s; gives up at 7 s.
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(6900) && elapsed < .seconds(30), "took \(elapsed)")   // 1+2+4 s of back-off; the bound only catches a hang
    }

    @Test(.timeLimit(.minutes(1)))
    func fileAboveTheSizeCapIsTooLargeByTransferSize() async throws {
        let server = try await TFTPServerProcess.start(files: ["big.bin": content(5000)])
        defer { server.stop() }
        await #expect(throws: TFTPError.tooLarge(limit: 4999)) {
            _ = try await client.read("big.bin", from: try server.address, options: .init(maxSize: 4999))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func fileAboveTheSizeCapIsTooLargeByData() async throws {
        let server = try await TFTPServerProcess.start(files: ["big.bin": content(5000)])
        defer { server.stop() }
        await #expect(throws: TFTPError.tooLarge(limit: 2000)) {
            _ = try await client.read(
                "big.bin", from: try server.address,
                options: .init(blockSize: 512, maxSize: 2000, requestTransferSize: false))
        }
        // The server stays usable for the next reader.
        let again = try await client.read("big.bin", from: try server.address)
        #expect(firstDifference(again, content(5000)) == nil)
    }

    @Test func invalidFileNameIsRefusedBeforeSending() async throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
        await #expect(throws: TFTPError.invalidFileName("")) {
            _ = try await client.read("", from: address)
        }
    }
}

@Suite struct TFTPServerAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1", 69),
        ("10.1.2.3:6969", "10.1.2.3", 6969),
        ("[::1]:6969", "::1", 6969),
        ("[::1]", "::1", 69),
        ("::1", "::1", 69),
        ("[fe80::1]:1", "fe80::1", 1),
        ("localhost:70", nil, 70),
    ] as [(String, String?, Int)])
    func parses(_ spec: String, _ ip: String?, _ port: Int) throws {
        let address = try TFTPClient.serverAddress(spec)
        #expect(address.port == port)
        if let ip {
            #expect(address.ipAddress == ip)
        } else {
            #expect(address.ipAddress == "127.0.0.1" || address.ipAddress == "::1")
        }
    }

    @Test(arguments: ["", ":69", "host:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x", "[::1", "[::1]x", "[]:69",
                      "[::1]:", "[nothex::1]", "no-such-host.invalid"])
    func rejects(_ spec: String) {
        #expect(throws: TFTPServerAddressError.self) { try TFTPClient.serverAddress(spec) }
    }
}
