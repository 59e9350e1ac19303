import Phone
import Testing

// The soft keys by state (GUIDE.md §11.3, with the choices SoftKey.swift records for the rows the
// guide marks unverified) and the key names of `test key` (§4.5).

@Suite struct SoftKeyTests {
    @Test func idle() {
        #expect(SoftKey.keys(for: nil) == [.redial, .newCall, .cfwdAll, .more])
    }

    /// §11.3 lists `Redial, EndCall, <<, Dial` "(unverified order)"; SoftKey.swift keeps that order.
    @Test(arguments: [CallState.offHook, .dialing])
    func offHookAndDialling(state: CallState) {
        #expect(SoftKey.keys(for: state) == [.redial, .endCall, .backspace, .dial])
    }

    @Test(arguments: [CallState.proceeding, .ringback, .earlyMedia])
    func ringOut(state: CallState) {
        #expect(SoftKey.keys(for: state) == [.endCall])
    }

    /// §11.3: `Answer, DND/Reject?` unverified; SoftKey.swift chose `Answer, EndCall` (EndCall rejects 486).
    @Test func incomingRinging() {
        #expect(SoftKey.keys(for: .ringing) == [.answer, .endCall])
    }

    /// §11.3: `Hold, EndCall, Transfer, more` (the `more` page, `Conf` and `NewCall`, is not modelled).
    @Test func connected() {
        #expect(SoftKey.keys(for: .connected) == [.hold, .endCall, .transfer, .more])
    }

    @Test func released() {
        #expect(SoftKey.keys(for: .released) == [.endCall])
    }

    @Test func labelsAreTheGuideSpellings() {
        #expect(SoftKey.keys(for: .offHook).map(\.rawValue) == ["Redial", "EndCall", "<<", "Dial"])
        #expect(SoftKey.keys(for: nil).map(\.rawValue) == ["Redial", "NewCall", "CFwdAll", "more"])
        #expect(SoftKey.keys(for: .connected).map(\.rawValue) == ["Hold", "EndCall", "Transfer", "more"])
        #expect(SoftKey.keys(for: .ringing).map(\.rawValue) == ["Answer", "EndCall"])
    }

    @Test func everyStateHasAtMostFourKeys() {
        let states: [CallState?] = [nil, .offHook, .dialing, .proceeding, .ringback, .earlyMedia, .ringing, .connected, .released]
        for state in states {
            #expect((1...4).contains(SoftKey.keys(for: state).count))
        }
    }
}

@Suite struct PhoneKeyTests {
    private func keys(_ text: String) -> [PhoneKey]? {
        if case .success(let k) = PhoneKey.parse(text) { return k }
        return nil
    }

    private func error(_ text: String) -> KeyParseError? {
        if case .failure(let e) = PhoneKey.parse(text) { return e }
        return nil
    }

    @Test func digitsStarAndPound() {
        #expect(keys("23234") == [.digit("2"), .digit("3"), .digit("2"), .digit("3"), .digit("4")])
        #expect(keys("0123456789*#") == "0123456789*#".map { .digit($0) })
    }

    @Test(arguments: 1...6)
    func lineKeys(n: Int) {
        #expect(keys("line\(n)") == [.line(n)])
    }

    @Test(arguments: 1...4)
    func softKeys(n: Int) {
        #expect(keys("soft\(n)") == [.soft(n)])
    }

    /// Every named key of §4.5.
    @Test(arguments: [
        ("msgs", PhoneKey.messages), ("dir", .directories), ("set", .settings), ("serv", .services), ("info", .info),
        ("up", .up), ("down", .down), ("volup", .volumeUp), ("voldn", .volumeDown), ("headset", .headset),
        ("spkr", .speaker), ("mute", .mute),
    ])
    func namedKeys(name: String, key: PhoneKey) {
        #expect(keys(name) == [key])
        #expect(key.description == name)
    }

    @Test func namesListsEveryKeyWord() {
        #expect(PhoneKey.names == ["line1", "line2", "line3", "line4", "line5", "line6", "soft1", "soft2", "soft3", "soft4",
                                   "msgs", "dir", "set", "serv", "info", "up", "down", "volup", "voldn", "headset", "spkr", "mute"])
    }

    @Test func mixedWithoutSpaces() {
        #expect(keys("9#soft2line1") == [.digit("9"), .digit("#"), .soft(2), .line(1)])
        #expect(keys("line1soft3volupvoldn*") == [.line(1), .soft(3), .volumeUp, .volumeDown, .digit("*")])
        #expect(keys("setserv") == [.settings, .services])
        #expect(keys("updown") == [.up, .down])
        // A digit after a key name is a separate digit.
        #expect(keys("line10") == [.line(1), .digit("0")])
        #expect(keys("soft44") == [.soft(4), .digit("4")])
    }

    @Test func spacesAreIgnoredAndCaseDoesNotMatter() {
        #expect(keys(" 1 2  soft1 ") == [.digit("1"), .digit("2"), .soft(1)])
        #expect(keys("LINE2 Mute") == [.line(2), .mute])
        #expect(keys("so ft1") == nil)   // a space inside a name breaks it
    }

    @Test func descriptionsRoundTrip() {
        let all: [PhoneKey] = (0...9).map { .digit(Character(String($0))) } + [.digit("*"), .digit("#")]
            + (1...6).map { .line($0) } + (1...4).map { .soft($0) }
            + [.messages, .directories, .settings, .services, .info, .up, .down, .volumeUp, .volumeDown, .headset, .speaker, .mute]
        #expect(keys(all.map(\.description).joined()) == all)
    }

    @Test func unknownWordIsAnError() {
        let e = error("frob")
        #expect(e?.word == "frob")
        #expect(e?.description.hasPrefix("'frob' is not a key (keys: 0-9 * # line1 line2") == true)
        #expect(e?.description.hasSuffix("spkr mute)") == true)
    }

    @Test func errorNamesThePieceUpToTheNextDigitOrSpace() {
        #expect(error("12frob34")?.word == "frob")
        #expect(error("soft1 frob soft2")?.word == "frob")
        #expect(error("!")?.word == "!")
        // Out of range: an error (the piece named is the word before the digit).
        #expect(error("soft5") != nil)
        #expect(error("line7") != nil)
        #expect(error("soft0") != nil)
    }

    @Test func nothingIsAnError() {
        #expect(error("")?.word == "")
        #expect(error("   ")?.word == "")
        #expect(error("")?.description == "no keys given")
    }
}
