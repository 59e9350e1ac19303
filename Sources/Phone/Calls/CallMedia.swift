import Scheduling
import SDP

/// The phone's audio as the calls use it: tones into the handset, and one RTP stream per call
/// (Media/ and RTP/ implement it; tests may use their own).
@PhoneLoop
public protocol PhoneAudio: AnyObject {
    /// Plays `tone` into the handset (nil: stop it).
    func play(_ tone: CallMachine.CallTone?)
    /// The ringer (GUIDE.md §8.1: the line's ring).
    func ring(_ on: Bool)
    /// A new stream on a free even port of `start_media_port`…`end_media_port`.
    func openStream() async throws -> any CallStream
    /// The media range and the in-band DTMF level after a boot.
    func configure(ports: ClosedRange<Int>, dtmfLevel: Int)
    /// Flushes and releases the device (shutdown).
    func close()
    /// `mute`: the microphone is replaced by silence (comfort silence, not silence suppression:
    /// packets still go).
    var muted: Bool { get set }
    /// `volup` / `voldn`: the handset's playback gain in dB (GUIDE.md §11.1), -12…+12 in 3 dB steps.
    var gain: Int { get set }
    /// `volup` / `voldn` while the phone rings or is idle on hook: the ringer's level in dB,
    /// -12…+12 in 3 dB steps.
    var ringerVolume: Int { get set }
    /// The device and its trouble, for `show status` (`alsa:default, 2 xruns recovered`).
    var status: String { get }
    /// Where the call is heard: the handset, the speaker (its own device and the echo
    /// canceller, when the sound card has them) or the headset.
    var path: AudioPath { get set }
}

public enum AudioPath: String, Sendable { case handset, speaker, headset }

/// One call's RTP stream.
@PhoneLoop
public protocol CallStream: AnyObject {
    /// Where the phone receives RTP (SDP c= and m=).
    var local: LocalMediaAddress { get }
    /// Starts the stream, or changes it (hold, a new address or codec), per the negotiation.
    func apply(_ media: NegotiatedMedia)
    /// A digit keyed during the call: RFC 4733 when negotiated, else in-band tones.
    func sendDigit(_ digit: Character)
    /// Stops sending and receiving; the socket is released.
    func close()
    var statistics: CallStreamStatistics { get }
}

/// What `show calls`, `show rtp` and the RTP-RxStat / RTP-TxStat headers (GUIDE.md §9.9) say.
public struct CallStreamStatistics: Sendable, Equatable {
    public var codec: String = ""
    public var local: String = ""
    public var remote: String = ""
    /// Packets dropped, by reason (`wrongSource 2, wrongSSRC 5`), empty when none.
    public var drops: String = ""
    public var packetsSent = 0
    public var octetsSent = 0
    public var packetsReceived = 0
    public var octetsReceived = 0
    public var lost = 0
    /// Packets that came too late for the jitter buffer, frames it concealed, and its delay.
    public var late = 0
    public var concealed = 0
    public var jitterBufferMilliseconds = 0
    public var outOfOrder = 0
    public var duplicates = 0
    public var discarded = 0
    /// Interarrival jitter, RTP timestamp units (RFC 3550 A.8).
    public var jitter = 0
    public var roundTripMilliseconds: Int?
    /// The header values of GUIDE.md §9.9, as the RTP session formats them.
    public var rxStatText = ""
    public var txStatText = ""
    public init() {}

    public var rxStat: String { rxStatText }
    public var txStat: String { txStatText }
}
