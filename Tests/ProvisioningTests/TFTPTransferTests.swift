import Testing

@testable import Provisioning

/// Drives a `TFTPTransfer` under a manual clock: records what it sends and when, and fires its
/// timer when the test moves time forward.
private struct TransferHarness {
    struct Sent: Equatable {
        var time: Duration
        var packet: TFTPPacket
        var port: Int?
    }

    var transfer: TFTPTransfer
    var now: Duration = .zero
    var deadline: Duration?
    var sent: [Sent] = []
    var result: Result<[UInt8], TFTPError>?
    var resultTime: Duration?

    init(file: String = "SEP000000000001.cnf.xml", options: TFTPOptions = .init()) {
        transfer = TFTPTransfer(file: file, options: options)
    }

    mutating func apply(_ actions: [TFTPTransfer.Action]) {
        for action in actions {
            #expect(result == nil, "action after the transfer ended: \(action)")
            switch action {
            case .send(let bytes, let port):
                guard let packet = try? TFTPPacket(decoding: bytes) else {
                    Issue.record("the transfer sent an undecodable packet \(bytes)")
                    continue
                }
                sent.append(Sent(time: now, packet: packet, port: port))
            case .armTimer(let delay):
                deadline = now + delay
            case .finished(let bytes):
                result = .success(bytes)
                resultTime = now
                deadline = nil
            case .failed(let error):
                result = .failure(error)
                resultTime = now
                deadline = nil
            }
        }
    }

    mutating func start() { apply(transfer.start()) }

    mutating func deliver(_ packet: TFTPPacket, from port: Int = 40000) {
        apply(transfer.receive(packet.encode(), fromPort: port))
    }

    mutating func deliver(bytes: [UInt8], from port: Int = 40000) {
        apply(transfer.receive(bytes, fromPort: port))
    }

    /// Moves the clock to `time`, firing every timer due on the way.
    mutating func advance(to time: Duration) {
        while let due = deadline, due <= time {
            now = due
            deadline = nil
            apply(transfer.timerExpired())
        }
        now = time
    }

    /// Sends since index `from`, decoded.
    func packets(from index: Int = 0) -> [TFTPPacket] { sent[index...].map(\.packet) }

    var error: TFTPError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

private func block(_ size: Int, seed: Int = 0) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
}

@Suite struct TFTPTransferTests {
    @Test func normalTransferWithNegotiatedOptions() {
        var h = TransferHarness()
        h.start()
        #expect(h.sent == [.init(
            time: .zero,
            packet: .readRequest(file: "SEP000000000001.cnf.xml", mode: "octet", options: [
                TFTPOption("blksize", "1428"), TFTPOption("timeout", "1"), TFTPOption("tsize", "0"),
            ]),
            port: nil)])
        #expect(h.deadline == .seconds(1))

        h.deliver(.optionAck([TFTPOption("blksize", "1428"), TFTPOption("timeout", "1"), TFTPOption("tsize", "1528")]))
        #expect(h.sent.last == .init(time: .zero, packet: .ack(block: 0), port: 40000))
        #expect(h.transfer.blockSize == 1428)
        #expect(h.transfer.transferSize == 1528)

        let first = block(1428), second = block(100, seed: 7)
        h.deliver(.data(block: 1, payload: first))
        #expect(h.sent.last?.packet == .ack(block: 1))
        #expect(h.result == nil)
        h.deliver(.data(block: 2, payload: second))
        #expect(h.sent.last == .init(time: .zero, packet: .ack(block: 2), port: 40000))
        #expect(h.result == .success(first + second))
        #expect(h.transfer.state == .finished)
        #expect(h.deadline == nil)
        // Late packets after the end are ignored.
        #expect(h.transfer.receive(TFTPPacket.data(block: 2, payload: second).encode(), fromPort: 40000).isEmpty)
        #expect(h.transfer.timerExpired().isEmpty)
    }

    @Test func emptyFileEndsWithTheFirstBlock() {
        var h = TransferHarness(options: .init(requestTransferSize: false))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "1428")]))
        h.deliver(.data(block: 1, payload: []))
        #expect(h.result == .success([]))
        #expect(h.packets().last == .ack(block: 1))
    }

    @Test func fileOfWholeBlocksEndsWithAnEmptyBlock() {
        var h = TransferHarness(options: .init(blockSize: 512))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "512")]))
        h.deliver(.data(block: 1, payload: block(512)))
        #expect(h.result == nil)
        h.deliver(.data(block: 2, payload: []))
        #expect(h.result == .success(block(512)))
    }

    @Test func requestIsRetransmittedWithExponentialBackoffThenTimesOut() {
        var h = TransferHarness()  // timeout 1 s, 5 retransmissions
        h.start()
        h.advance(to: .seconds(100))
        #expect(h.sent.map(\.time) == [0, 1, 3, 7, 15, 23].map { Duration.seconds($0) })
        #expect(h.sent.allSatisfy { $0.packet == h.sent[0].packet && $0.port == nil })
        #expect(h.error == .timedOut(attempts: 6))
        #expect(h.resultTime == .seconds(31))
        #expect(h.transfer.retransmissions == 5)
    }

    @Test func backoffStartsFromTheRequestedTimeout() {
        var h = TransferHarness(options: .init(timeoutSeconds: 3, maxRetransmissions: 3))
        h.start()
        h.advance(to: .seconds(100))
        // 3 s, then 6 s, then capped at 8 s.
        #expect(h.sent.map(\.time) == [0, 3, 9, 17].map { Duration.seconds($0) })
        #expect(h.error == .timedOut(attempts: 4))
        #expect(h.resultTime == .seconds(25))
    }

    @Test func aTimeoutLongerThanTheCapIsNotShortened() {
        var h = TransferHarness(options: .init(timeoutSeconds: 10, maxRetransmissions: 2))
        h.start()
        h.advance(to: .seconds(100))
        #expect(h.sent.map(\.time) == [0, 10, 20].map { Duration.seconds($0) })
        #expect(h.resultTime == .seconds(30))
    }

    @Test func ackIsRetransmittedAndProgressResetsTheBackoff() {
        var h = TransferHarness(options: .init(blockSize: 512, maxRetransmissions: 2))
        h.start()
        h.advance(to: .milliseconds(500))
        h.deliver(.optionAck([TFTPOption("blksize", "512"), TFTPOption("timeout", "1")]))
        h.advance(to: .milliseconds(3500))
        // ACK 0 at 0.5 s, again at 1.5 s and 3.5 s.
        #expect(h.sent.dropFirst().map(\.time) == [500, 1500, 3500].map { Duration.milliseconds($0) })
        #expect(h.packets(from: 1) == Array(repeating: .ack(block: 0), count: 3))
        h.deliver(.data(block: 1, payload: block(512)))
        #expect(h.deadline == .milliseconds(4500), "new block, back-off starts again at 1 s")
        h.advance(to: .seconds(20))
        #expect(h.packets(from: 4) == Array(repeating: .ack(block: 1), count: 3))
        #expect(h.error == .timedOut(attempts: 3))
        #expect(h.resultTime == .milliseconds(3500 + 1000 + 2000 + 4000))
    }

    @Test func serverErrorCarriesCodeAndText() {
        var h = TransferHarness()
        h.start()
        h.deliver(.error(code: .fileNotFound, message: "File not found"))
        #expect(h.error == .server(code: 1, message: "File not found"))
        #expect(h.sent.count == 1, "an ERROR is never answered")
        #expect(h.deadline == nil)
    }

    @Test func serverErrorDuringTheTransfer() {
        var h = TransferHarness(options: .init(blockSize: 512))
        h.start()
        h.deliver(.data(block: 1, payload: block(512)))
        h.deliver(.error(code: .accessViolation, message: "gone"))
        #expect(h.error == .server(code: 2, message: "gone"))
    }

    @Test func serverLoweringTheBlockSizeIsAccepted() {
        var h = TransferHarness(options: .init(blockSize: 8192))
        h.start()
        h.deliver(.optionAck([TFTPOption("BLKSIZE", "1024")]))
        #expect(h.transfer.blockSize == 1024)
        h.deliver(.data(block: 1, payload: block(1024)))
        #expect(h.result == nil, "1024 bytes is a full block now")
        h.deliver(.data(block: 2, payload: block(1)))
        #expect(h.result == .success(block(1024) + block(1)))
    }

    @Test func oackWithoutBlksizeMeans512() {
        var h = TransferHarness()
        h.start()
        h.deliver(.optionAck([TFTPOption("tsize", "600")]))
        #expect(h.transfer.blockSize == 512)
        h.deliver(.data(block: 1, payload: block(512)))
        #expect(h.result == nil)
    }

    static let rejectedOptionAcks: [(String, [UInt8])] = [
        ("option not requested", TFTPPacket.optionAck([TFTPOption("windowsize", "4")]).encode()),
        ("tsize not requested", TFTPPacket.optionAck([TFTPOption("tsize", "4")]).encode()),
        ("blksize raised", TFTPPacket.optionAck([TFTPOption("blksize", "1429")]).encode()),
        ("timeout changed", TFTPPacket.optionAck([TFTPOption("timeout", "2")]).encode()),
        ("blksize not a number", TFTPPacket.optionAck([TFTPOption("blksize", "big")]).encode()),
        ("blksize below 8", TFTPPacket.optionAck([TFTPOption("blksize", "4")]).encode()),
    ]

    @Test(arguments: rejectedOptionAcks)
    func badOptionAckIsRefusedWithError8(_ name: String, _ bytes: [UInt8]) {
        let options = TFTPOptions(requestTransferSize: !name.hasPrefix("tsize"))
        var h = TransferHarness(options: options)
        h.start()
        h.deliver(bytes: bytes)
        #expect(h.sent.last?.packet.opcode == .error)
        if case .error(let code, _)? = h.sent.last?.packet { #expect(code == .optionNegotiationFailed, "\(name)") }
        #expect(h.sent.last?.port == 40000)
        guard case .protocolViolation? = h.error else {
            Issue.record("\(name): expected a protocol violation, got \(String(describing: h.result))")
            return
        }
        #expect(h.transfer.state == .failed)
    }

    @Test func serverIgnoringOptionsGets512ByteBlocks() {
        var h = TransferHarness(options: .init(blockSize: 8192))
        h.start()
        h.deliver(.data(block: 1, payload: block(512)), from: 41000)
        #expect(h.transfer.blockSize == 512)
        #expect(h.sent.last == .init(time: .zero, packet: .ack(block: 1), port: 41000))
        #expect(h.result == nil, "512 bytes is a full block without options")
        h.deliver(.data(block: 2, payload: block(10)), from: 41000)
        #expect(h.result == .success(block(512) + block(10)))
    }

    @Test func firstDataMustBeBlock1() {
        var h = TransferHarness()
        h.start()
        h.deliver(.data(block: 2, payload: block(10)))
        #expect(h.packets().last == .error(code: .illegalOperation, message: "Expected block 1"))
        #expect(h.error == .protocolViolation("first DATA is block 2"))
    }

    @Test func packetFromAnotherPortGetsError5AndIsOtherwiseIgnored() {
        var h = TransferHarness(options: .init(blockSize: 512))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "512")]), from: 40000)
        h.deliver(.data(block: 1, payload: block(512, seed: 99)), from: 40001)
        #expect(h.sent.last == .init(
            time: .zero, packet: .error(code: .unknownTransferID, message: "Unknown transfer ID"), port: 40001))
        #expect(h.result == nil)
        #expect(h.transfer.serverPort == 40000)
        let count = h.sent.count
        h.deliver(.error(code: .notDefined, message: "x"), from: 40001)
        #expect(h.sent.count == count, "an ERROR from a stranger is not answered")
        #expect(h.result == nil)
        h.deliver(.data(block: 1, payload: block(512)), from: 40000)
        h.deliver(.data(block: 2, payload: block(3)), from: 40000)
        #expect(h.result == .success(block(512) + block(3)), "the stranger's data was not taken")
        #expect(h.sent.last?.port == 40000)
    }

    @Test func duplicateDataIsAcknowledgedAgainButNotTakenTwice() {
        var h = TransferHarness(options: .init(blockSize: 512))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "512")]))
        h.deliver(.data(block: 1, payload: block(512)))
        h.deliver(.data(block: 2, payload: block(512, seed: 1)))
        let deadline = h.deadline
        h.deliver(.data(block: 2, payload: block(512, seed: 1)))
        #expect(h.packets(from: 1) == [.ack(block: 0), .ack(block: 1), .ack(block: 2), .ack(block: 2)])
        #expect(h.deadline == deadline)
        h.deliver(.data(block: 1, payload: block(512)))  // older still: ignored
        #expect(h.sent.count == 5)
        h.deliver(.data(block: 3, payload: []))
        #expect(h.result == .success(block(512) + block(512, seed: 1)))
    }

    @Test func repeatedOptionAckIsAcknowledgedAgain() {
        var h = TransferHarness()
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "1428")]))
        h.deliver(.optionAck([TFTPOption("blksize", "1428")]))
        #expect(h.packets(from: 1) == [.ack(block: 0), .ack(block: 0)])
        #expect(h.result == nil)
    }

    @Test func transferSizeAboveTheCapIsRefusedBeforeAnyData() {
        var h = TransferHarness(options: .init(maxSize: 1000))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "1428"), TFTPOption("tsize", "1001")]))
        guard case .error(let code, _)? = h.sent.last?.packet else {
            Issue.record("expected an ERROR, sent \(h.packets())")
            return
        }
        #expect(code == .diskFull)
        #expect(h.error == .tooLarge(limit: 1000))
    }

    @Test func transferSizeAtTheCapIsAccepted() {
        var h = TransferHarness(options: .init(maxSize: 1000))
        h.start()
        h.deliver(.optionAck([TFTPOption("tsize", "1000")]))
        #expect(h.result == nil)
        #expect(h.packets().last == .ack(block: 0))
    }

    @Test func dataAboveTheCapIsRefused() {
        var h = TransferHarness(options: .init(maxSize: 1000))
        h.start()
        h.deliver(.data(block: 1, payload: block(512)))  // server ignored tsize
        #expect(h.result == nil)
        h.deliver(.data(block: 2, payload: block(512)))
        guard case .error(let code, _)? = h.sent.last?.packet else {
            Issue.record("expected an ERROR, sent \(h.packets())")
            return
        }
        #expect(code == .diskFull)
        #expect(h.error == .tooLarge(limit: 1000))
    }

    @Test func blockNumbersWrapFrom65535To0() {
        var h = TransferHarness(options: .init(blockSize: 8, maxSize: 1 << 20, requestTransferSize: false))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "8")]))
        let blocks = 65_538  // blocks 1...65535, 0, 1, 2, then the short end block 3
        var expected: [UInt8] = []
        expected.reserveCapacity(blocks * 8 + 3)
        for i in 1...blocks {
            let payload = block(8, seed: i)
            expected += payload
            h.apply(h.transfer.receive(TFTPPacket.data(block: UInt16(truncatingIfNeeded: i), payload: payload).encode(),
                                       fromPort: 40000))
        }
        #expect(h.result == nil)
        #expect(h.packets().last == .ack(block: 2))
        #expect(h.packets()[65_536] == .ack(block: 65535))
        #expect(h.packets()[65_537] == .ack(block: 0))
        h.deliver(.data(block: 3, payload: [1, 2, 3]))
        #expect(h.result == .success(expected + [1, 2, 3]))
    }

    @Test func oversizedDataBlockIsAProtocolViolation() {
        var h = TransferHarness(options: .init(blockSize: 512))
        h.start()
        h.deliver(.optionAck([TFTPOption("blksize", "512")]))
        h.deliver(.data(block: 1, payload: block(513)))
        #expect(h.packets().last?.opcode == .error)
        #expect(h.error == .protocolViolation("DATA block 1 has 513 bytes, block size is 512"))
    }

    @Test func malformedPacketFromTheServerEndsTheTransferWithError4() {
        var h = TransferHarness()
        h.start()
        h.deliver(bytes: [0, 9, 1, 2])
        #expect(h.packets().last == .error(code: .illegalOperation, message: "unknown opcode 9"))
        #expect(h.error == .protocolViolation("malformed packet: unknown opcode 9"))
    }

    @Test func unexpectedAckFromTheServerIsAProtocolViolation() {
        var h = TransferHarness()
        h.start()
        h.deliver(.ack(block: 1))
        guard case .protocolViolation? = h.error else {
            Issue.record("got \(String(describing: h.result))")
            return
        }
        #expect(h.packets().last?.opcode == .error)
    }

    @Test(arguments: ["", "a\u{0}b", String(repeating: "x", count: 500)])
    func invalidFileNameFailsWithoutSending(_ name: String) {
        var h = TransferHarness(file: name)
        h.start()
        #expect(h.sent.isEmpty)
        #expect(h.error == .invalidFileName(name))
    }

    @Test(arguments: [
        TFTPOptions(blockSize: 7), TFTPOptions(blockSize: 65465), TFTPOptions(timeoutSeconds: 0),
        TFTPOptions(timeoutSeconds: 256), TFTPOptions(maxRetransmissions: -1),
    ])
    func invalidOptionsFailWithoutSending(_ options: TFTPOptions) {
        var h = TransferHarness(options: options)
        h.start()
        #expect(h.sent.isEmpty)
        guard case .protocolViolation(let reason)? = h.error else {
            Issue.record("got \(String(describing: h.result))")
            return
        }
        #expect(reason.hasPrefix("invalid options"))
    }
}
