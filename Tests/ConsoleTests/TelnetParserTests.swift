import Testing
@testable import Console

@Suite struct TelnetParserTests {
    let iac = TelnetByte.iac

    @Test func dataPassesThroughAndIACIACIsOneFF() {
        var p = TelnetParser()
        #expect(p.parse(Array("ab".utf8) + [iac, iac] + [0x63]) == [.data([0x61, 0x62, 0xFF, 0x63])])
    }

    @Test func everyTwoByteCommand() {
        let expected: [(UInt8, TelnetCommand)] = [
            (241, .noOperation), (242, .dataMark), (243, .breakSignal), (244, .interruptProcess),
            (245, .abortOutput), (246, .areYouThere), (247, .eraseCharacter), (248, .eraseLine),
            (249, .goAhead), (240, .unknown(240)), (17, .unknown(17)),
        ]
        for (code, command) in expected {
            var p = TelnetParser()
            #expect(p.parse([0x41, iac, code, 0x42]) == [.data([0x41]), .command(command), .data([0x42])])
        }
    }

    @Test func everyNegotiationVerb() {
        var p = TelnetParser()
        let events = p.parse([iac, 251, 1, iac, 252, 3, iac, 253, 31, iac, 254, 255])
        #expect(events == [.negotiation(.will, option: 1), .negotiation(.wont, option: 3),
                           .negotiation(.do, option: 31), .negotiation(.dont, option: 255)])
    }

    @Test func nawsWithEscaped255() {
        var p = TelnetParser()
        // 255 columns (0x00FF, escaped as FF FF), 24 rows.
        let events = p.parse([iac, 250, 31, 0x00, iac, iac, 0x00, 24, iac, 240])
        #expect(events == [.subnegotiation(option: 31, data: [0x00, 0xFF, 0x00, 24])])
        var n = TelnetNegotiation()
        _ = n.start()
        _ = n.receive(.will, option: TelnetOption.naws)
        #expect(n.receiveSubnegotiation(option: 31, data: [0x00, 0xFF, 0x00, 24]) == WindowSize(columns: 255, rows: 24))
    }

    /// A stream with every form, cut at every byte boundary (and fed byte by byte), parses
    /// the same as in one piece.
    @Test func splitsAtEveryBoundary() {
        let stream: [UInt8] = Array("hi".utf8) + [iac, 253, 3, iac, 251, 24] + [iac, iac] + Array("x\r\n".utf8)
            + [iac, 250, 31, 0, 80, iac, iac, 24, iac, 240] + [iac, 244] + [iac, 241] + Array("end".utf8)
        var whole = TelnetParser()
        let expected = Self.normalize(whole.parse(stream))
        #expect(expected == [.data(Array("hi".utf8)), .negotiation(.do, option: 3), .negotiation(.will, option: 24),
                             .data([0xFF] + Array("x\r\n".utf8)), .subnegotiation(option: 31, data: [0, 80, 255, 24]),
                             .command(.interruptProcess), .command(.noOperation), .data(Array("end".utf8))])
        for cut in 0...stream.count {
            var p = TelnetParser()
            let events = p.parse(stream[..<cut]) + p.parse(stream[cut...])
            #expect(Self.normalize(events) == expected, "cut at \(cut)")
        }
        var p = TelnetParser()
        #expect(Self.normalize(stream.flatMap { p.parse([$0]) }) == expected)
    }

    @Test func overLongSubnegotiationIsDroppedAndParsingGoesOn() {
        var p = TelnetParser(maximumSubnegotiation: 16)
        let long = [iac, 250, 24] + Array(repeating: UInt8(0x41), count: 100_000) + [iac, 240]
        var events: [TelnetEvent] = []
        for chunk in stride(from: 0, to: long.count, by: 1000) {
            events += p.parse(long[chunk..<min(chunk + 1000, long.count)])
        }
        events += p.parse(Array("ok".utf8))
        // Past the cap the subnegotiation is dropped and what follows is data again, so the
        // session is not deaf until an IAC SE that may never come.
        #expect(!events.contains { if case .subnegotiation = $0 { true } else { false } })
        #expect(events.last == .data(Array("ok".utf8)))
        #expect(p.droppedSubnegotiations == 1)
        #expect(!p.isInSubnegotiation)
    }

    @Test func unterminatedSubnegotiationIsCappedAndLaterInputIsData() {
        var p = TelnetParser(maximumSubnegotiation: 16)
        let events = p.parse([iac, 250, 24] + Array(repeating: UInt8(ascii: "x"), count: 16) + Array("cisco\r".utf8))
        #expect(events == [.data(Array("cisco\r".utf8))])
        #expect(p.droppedSubnegotiations == 1)
    }

    @Test func abandoningAnOpenSubnegotiationMakesTheNextBytesData() {
        var p = TelnetParser()
        #expect(p.parse([iac, 250, 31, 0, 80]).isEmpty)
        #expect(p.isInSubnegotiation)
        p.abandonSubnegotiation()
        #expect(p.parse(Array("cisco\r".utf8)) == [.data(Array("cisco\r".utf8))])
        #expect(p.droppedSubnegotiations == 1)
    }

    @Test func subnegotiationWithoutSEEndsAtTheNextCommand() {
        var p = TelnetParser()
        #expect(p.parse([iac, 250, 24, 1, 2, iac, 253, 1] + Array("a".utf8))
                == [.negotiation(.do, option: 1), .data([0x61])])
    }

    @Test func encoderDoublesIACAndMakesCRLF() {
        #expect(TelnetEncoder.encode("a\nb\r\nc\rd") == Array("a\r\nb\r\nc\r".utf8) + [0] + Array("d".utf8))
        #expect(TelnetEncoder.escape([1, 255, 2]) == [1, 255, 255, 2])
        #expect(TelnetEncoder.encode("ÿ") == [0xC3, 0xBF])  // UTF-8 has no 0xFF
        #expect(TelnetEncoder.negotiation(.will, option: 1) == [255, 251, 1])
    }

    @Test func randomBytesNeverTrapAndDataIsPreserved() {
        var generator = SystemRandomNumberGenerator()
        var p = TelnetParser()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = p.parse(bytes)
        }
        // Without IAC, data is untouched.
        var q = TelnetParser()
        let plain = (0..<1000).map { UInt8($0 % 255) }
        #expect(q.parse(plain) == [.data(plain)])
    }

    /// Merges adjacent data events (packet cuts split data).
    static func normalize(_ events: [TelnetEvent]) -> [TelnetEvent] {
        var out: [TelnetEvent] = []
        for event in events {
            if case .data(let b) = event, case .data(let a)? = out.last {
                out[out.count - 1] = .data(a + b)
            } else {
                out.append(event)
            }
        }
        return out
    }
}

@Suite struct TelnetNegotiationTests {
    @Test func opensWithWillEchoWillSGADoNAWS() {
        var n = TelnetNegotiation()
        #expect(n.start() == [255, 251, 1, 255, 251, 3, 255, 253, 31])
        #expect(!n.serverEchoes)
    }

    @Test func clientAgreesAndRepeatsAreNotAnswered() {
        var n = TelnetNegotiation()
        _ = n.start()
        #expect(n.receive(.do, option: 1) == [])
        #expect(n.receive(.do, option: 3) == [])
        #expect(n.receive(.will, option: 31) == [])
        #expect(n.serverEchoes)
        #expect(n.isEnabledLocally(3))
        #expect(n.isEnabledRemotely(31))
        // Repeating a request that confirms the state gets no answer: no loop.
        for _ in 0..<5 {
            #expect(n.receive(.do, option: 1) == [])
            #expect(n.receive(.will, option: 31) == [])
        }
    }

    @Test func clientRefusingEverythingIsServedWithoutServerEcho() {
        var n = TelnetNegotiation()
        _ = n.start()
        #expect(n.receive(.dont, option: 1) == [])
        #expect(n.receive(.dont, option: 3) == [])
        #expect(n.receive(.wont, option: 31) == [])
        #expect(!n.serverEchoes)
        #expect(n.receive(.dont, option: 1) == [])  // again: already off, no answer
        #expect(n.receiveSubnegotiation(option: 31, data: [0, 80, 0, 24]) == nil)
    }

    @Test func unknownOptionsAreRefusedOnceEach() {
        var n = TelnetNegotiation()
        _ = n.start()
        #expect(n.receive(.will, option: 24) == [255, 254, 24])  // TTYPE: DONT
        #expect(n.receive(.will, option: 32) == [255, 254, 32])  // TSPEED: DONT
        #expect(n.receive(.do, option: 5) == [255, 252, 5])     // STATUS: WONT
        #expect(n.receive(.do, option: 200) == [255, 252, 200])
        // The peer's WONT/DONT acknowledgements of a refused option are not answered.
        #expect(n.receive(.wont, option: 24) == [])
        #expect(n.receive(.dont, option: 5) == [])
    }

    @Test func clientSGAAcceptedAndLaterDisableAcknowledged() {
        var n = TelnetNegotiation()
        _ = n.start()
        #expect(n.receive(.will, option: 3) == [255, 253, 3])
        #expect(n.receive(.will, option: 3) == [])
        _ = n.receive(.do, option: 1)
        #expect(n.receive(.dont, option: 1) == [255, 252, 1])  // turns echo off: acknowledged once
        #expect(!n.serverEchoes)
        #expect(n.receive(.dont, option: 1) == [])
        #expect(n.receive(.do, option: 1) == [255, 251, 1])  // and on again
        #expect(n.serverEchoes)
    }

    /// Two negotiators talking to each other settle in a bounded number of exchanges.
    @Test func twoPeersNeverLoop() {
        var server = TelnetNegotiation()
        var client = TelnetNegotiation()
        var toClient = server.start()
        var toServer = client.start()  // the same offers the other way: each refuses some
        var rounds = 0
        while (!toClient.isEmpty || !toServer.isEmpty) && rounds < 20 {
            var p = TelnetParser(), q = TelnetParser()
            var nextToServer: [UInt8] = [], nextToClient: [UInt8] = []
            for case .negotiation(let v, let o) in p.parse(toClient) { nextToServer += client.receive(v, option: o) }
            for case .negotiation(let v, let o) in q.parse(toServer) { nextToClient += server.receive(v, option: o) }
            toClient = nextToClient
            toServer = nextToServer
            rounds += 1
        }
        #expect(rounds < 5)
    }
}
