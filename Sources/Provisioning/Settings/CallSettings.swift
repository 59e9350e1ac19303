/// The call and media parameters of GUIDE.md §2.2.4 (and `call_stats`) as typed values, read
/// once from the validated configuration after each boot; defaults live in the table.
public struct CallSettings: Sendable, Equatable {
    public enum Codec: String, Sendable, Equatable { case g711ulaw, g711alaw, g729a }
    /// `dtmf_outofband`: RFC 2833 events never, when the far end offers them, or always.
    public enum OutOfBand: String, Sendable, Equatable { case none, avt, avtAlways = "avt_always" }

    public var preferredCodec: Codec
    public var dtmfInband: Bool
    public var dtmfOutOfBand: OutOfBand
    /// `dtmf_avt_payload` (96–127).
    public var dtmfPayload: Int
    /// `dtmf_db_level` (1–5).
    public var dtmfLevel: Int
    /// `start_media_port`…`end_media_port`: the even RTP ports (RTCP on the odd one above).
    public var mediaPorts: ClosedRange<Int>
    /// `call_stats`: RTP-RxStat / RTP-TxStat in the BYE and its 200 (GUIDE.md §9.9).
    public var callStatistics: Bool

    public init(_ c: Configuration) {
        func number(_ name: String) -> Int { c.number(name) ?? 0 }   // every name here has a default
        preferredCodec = c.text("preferred_codec").flatMap(Codec.init(rawValue:)) ?? .g711ulaw
        dtmfInband = number("dtmf_inband") == 1
        dtmfOutOfBand = c.text("dtmf_outofband").flatMap(OutOfBand.init(rawValue:)) ?? .avt
        dtmfPayload = number("dtmf_avt_payload")
        dtmfLevel = number("dtmf_db_level")
        let low = number("start_media_port"), high = number("end_media_port")
        mediaPorts = low <= high ? low...high : high...low
        callStatistics = number("call_stats") == 1
    }

    public static let numericParameters = [
        "dtmf_inband", "dtmf_avt_payload", "dtmf_db_level", "start_media_port", "end_media_port", "call_stats",
    ]
}
