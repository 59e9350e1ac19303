import Testing

@testable import Provisioning

@Suite struct TFTPPacketTests {
    @Test func readRequestEncodesToTheRFCLayout() {
        let packet = TFTPPacket.readRequest(
            file: "SEP0001.cnf", mode: "octet", options: [TFTPOption("blksize", "1428"), TFTPOption("tsize", "0")])
        let expected: [UInt8] = [0, 1] + Array("SEP0001.cnf".utf8) + [0] + Array("octet".utf8) + [0]
            + Array("blksize".utf8) + [0] + Array("1428".utf8) + [0] + Array("tsize".utf8) + [0, 0x30, 0]
        #expect(packet.encode() == expected)
    }

    @Test func fixedPacketsEncodeToTheRFCLayout() {
        #expect(TFTPPacket.ack(block: 0x1234).encode() == [0, 4, 0x12, 0x34])
        #expect(TFTPPacket.data(block: 0xFFFF, payload: [9, 8]).encode() == [0, 3, 0xFF, 0xFF, 9, 8])
        #expect(TFTPPacket.error(code: .fileNotFound, message: "no").encode() == [0, 5, 0, 1, 0x6E, 0x6F, 0])
        #expect(TFTPPacket.optionAck([TFTPOption("timeout", "2")]).encode()
            == [0, 6] + Array("timeout".utf8) + [0, 0x32, 0])
    }

    @Test(arguments: [
        TFTPPacket.readRequest(file: "a/b.cnf", mode: "octet", options: []),
        .readRequest(file: "x", mode: "netascii",
                     options: [TFTPOption("blksize", "8"), TFTPOption("timeout", "255"), TFTPOption("tsize", "0")]),
        .data(block: 1, payload: Array(0..<255)),
        .data(block: 65535, payload: []),
        .ack(block: 0),
        .ack(block: 65535),
        .error(code: .optionNegotiationFailed, message: "bad"),
        .error(code: TFTPErrorCode(rawValue: 42), message: ""),
        .optionAck([]),
        .optionAck([TFTPOption("BLKSIZE", "65464"), TFTPOption("tsize", "123456789")]),
    ])
    func roundTrip(_ packet: TFTPPacket) throws {
        #expect(try TFTPPacket(decoding: packet.encode()) == packet)
    }

    @Test func decodesFromASlice() throws {
        let bytes: [UInt8] = [0xAA, 0, 4, 0, 7]
        #expect(try TFTPPacket(decoding: bytes[1...]) == .ack(block: 7))
    }

    static let malformed: [(String, [UInt8], TFTPPacketError)] = [
        ("empty", [], .truncated(needed: 2, got: 0)),
        ("one byte", [0], .truncated(needed: 2, got: 1)),
        ("opcode 0", [0, 0], .unknownOpcode(0)),
        ("write request", [0, 2, 0x61, 0, 0x6F, 0], .unknownOpcode(2)),
        ("opcode 7", [0, 7, 0, 0], .unknownOpcode(7)),
        ("opcode 0x0103", [1, 3, 0, 0], .unknownOpcode(0x0103)),
        ("DATA without block", [0, 3, 0], .truncated(needed: 4, got: 3)),
        ("ACK without block", [0, 4], .truncated(needed: 4, got: 2)),
        ("ACK with extra bytes", [0, 4, 0, 1, 0], .trailingBytes(count: 1)),
        ("ERROR without code", [0, 5, 0], .truncated(needed: 4, got: 3)),
        ("ERROR message without NUL", [0, 5, 0, 1, 0x41], .missingTerminator(field: "error message")),
        ("ERROR without message", [0, 5, 0, 1], .missingTerminator(field: "error message")),
        ("RRQ file without NUL", [0, 1, 0x61], .missingTerminator(field: "file name")),
        ("RRQ without mode", [0, 1, 0x61, 0], .missingTerminator(field: "mode")),
        ("RRQ mode without NUL", [0, 1, 0x61, 0, 0x6F], .missingTerminator(field: "mode")),
        ("OACK name without NUL", [0, 6, 0x62], .missingTerminator(field: "option name")),
        ("OACK without value", [0, 6] + Array("tsize".utf8) + [0], .missingTerminator(field: "option tsize value")),
        ("OACK value without NUL", [0, 6] + Array("tsize".utf8) + [0, 0x31],
         .missingTerminator(field: "option tsize value")),
        ("OACK empty name", [0, 6, 0, 0x31, 0], .badOptionName("")),
        ("OACK duplicate option", [0, 6] + Array("tsize\u{0}1\u{0}TSIZE\u{0}2\u{0}".utf8), .badOptionName("TSIZE")),
        ("blksize not a number", [0, 6] + Array("blksize\u{0}12a\u{0}".utf8), .badOptionValue(name: "blksize", value: "12a")),
        ("blksize empty", [0, 6] + Array("blksize\u{0}\u{0}".utf8), .badOptionValue(name: "blksize", value: "")),
        ("blksize below 8", [0, 6] + Array("blksize\u{0}7\u{0}".utf8), .badOptionValue(name: "blksize", value: "7")),
        ("blksize above 65464", [0, 6] + Array("blksize\u{0}65465\u{0}".utf8),
         .badOptionValue(name: "blksize", value: "65465")),
        ("timeout 0", [0, 6] + Array("timeout\u{0}0\u{0}".utf8), .badOptionValue(name: "timeout", value: "0")),
        ("timeout 256", [0, 6] + Array("timeout\u{0}256\u{0}".utf8), .badOptionValue(name: "timeout", value: "256")),
        ("tsize negative", [0, 6] + Array("tsize\u{0}-1\u{0}".utf8), .badOptionValue(name: "tsize", value: "-1")),
        ("tsize huge", [0, 6] + Array("tsize\u{0}99999999999999999999\u{0}".utf8),
         .badOptionValue(name: "tsize", value: "99999999999999999999")),
        ("RRQ bad option value", [0, 1, 0x61, 0, 0x6F, 0] + Array("timeout\u{0}x\u{0}".utf8),
         .badOptionValue(name: "timeout", value: "x")),
    ]

    @Test(arguments: malformed)
    func malformedPacketIsRejected(_ name: String, _ bytes: [UInt8], _ expected: TFTPPacketError) {
        #expect(throws: expected, "\(name)") { try TFTPPacket(decoding: bytes) }
    }

    @Test func optionErrorsAreTheOnesAnsweredWithCode8() {
        #expect(TFTPPacketError.badOptionValue(name: "blksize", value: "x").isOptionError)
        #expect(TFTPPacketError.badOptionName("").isOptionError)
        #expect(TFTPPacketError.missingTerminator(field: "option tsize value").isOptionError)
        #expect(!TFTPPacketError.missingTerminator(field: "error message").isOptionError)
        #expect(!TFTPPacketError.unknownOpcode(9).isOptionError)
    }

    @Test func unknownOptionsAreKeptUnchecked() throws {
        let bytes: [UInt8] = [0, 6] + Array("windowsize\u{0}abc\u{0}".utf8)
        #expect(try TFTPPacket(decoding: bytes) == .optionAck([TFTPOption("windowsize", "abc")]))
    }

    @Test(arguments: [
        (0, "Not defined"), (1, "File not found"), (2, "Access violation"),
        (3, "Disk full or allocation exceeded"), (4, "Illegal TFTP operation"), (5, "Unknown transfer ID"),
        (6, "File already exists"), (7, "No such user"), (8, "Option negotiation failed"),
        (9, "Unknown error code"),
    ] as [(UInt16, String)])
    func errorCodeNames(_ code: UInt16, _ name: String) {
        #expect(TFTPErrorCode(rawValue: code).name == name)
    }

    @Test func errorDescriptions() {
        #expect(TFTPError.server(code: 1, message: "File not found").description
            == "TFTP error 1 (File not found): File not found")
        #expect(TFTPError.server(code: 2, message: "").description == "TFTP error 2 (Access violation)")
        #expect(TFTPError.timedOut(attempts: 3).description == "TFTP timed out after 3 attempts")
        #expect(TFTPError.tooLarge(limit: 10).description == "TFTP file larger than the limit of 10 bytes")
    }
}
