@testable import Phone
import Scheduling
import SDP

/// The handset and the RTP streams, recorded: tones played, the ringer, streams opened (on
/// 127.0.0.1:40000, 40002 …), what each was told.
@PhoneLoop
final class FakeAudio: PhoneAudio {
    private(set) var tones: [CallMachine.CallTone?] = []
    private(set) var rings: [Bool] = []
    var muted = false
    var gain = 0
    var ringerVolume = 0
    var status: String { "fake" }
    var path: AudioPath = .handset
    private(set) var streams: [FakeStream] = []
    private(set) var configured: (ports: ClosedRange<Int>, dtmfLevel: Int)?
    private(set) var closed = false

    func play(_ tone: CallMachine.CallTone?) { tones.append(tone) }
    func ring(_ on: Bool) { rings.append(on) }

    /// When set, `openStream` waits until `releaseOpens()` (a socket still being bound).
    var suspendOpens = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    var pendingOpens: Int { waiting.count }

    func releaseOpens() {
        let w = waiting
        waiting = []
        for c in w { c.resume() }
    }

    func openStream() async throws -> any CallStream {
        if suspendOpens { await withCheckedContinuation { waiting.append($0) } }
        let s = FakeStream(local: LocalMediaAddress(address: "127.0.0.1", port: UInt16(40000 + 2 * streams.count)))
        streams.append(s)
        return s
    }

    func configure(ports: ClosedRange<Int>, dtmfLevel: Int) { configured = (ports, dtmfLevel) }
    func close() { closed = true }

    /// The last tone started or stopped (nil inside: stopped).
    var lastTone: CallMachine.CallTone?? { tones.last }
    var ringing: Bool { rings.last ?? false }
}

@PhoneLoop
final class FakeStream: CallStream {
    let local: LocalMediaAddress
    private(set) var applied: [NegotiatedMedia] = []
    private(set) var digits: [Character] = []
    private(set) var closeCount = 0
    var statistics = CallStreamStatistics()

    init(local: LocalMediaAddress) { self.local = local }

    func apply(_ media: NegotiatedMedia) { applied.append(media) }
    func sendDigit(_ digit: Character) { digits.append(digit) }
    func close() { closeCount += 1 }

    var isClosed: Bool { closeCount > 0 }
}
