import Provisioning
import Scheduling
import Media
import SDP
import SIPStack

/// What every call of the phone shares: the SIP stack, the audio, the typed settings, and
/// the lines' accounts (from the last boot).
@PhoneLoop
final class CallContext {
    let endpoint: SIPEndpoint
    let registrations: RegistrationManager
    let audio: any PhoneAudio
    /// The registrations' locator: the phone's one resolver.
    var locator: ServerLocation { registrations.locator }
    var sip: SIPSettings
    var media: CallSettings
    var accounts: [Int: SIPAccount] = [:]
    var plan: DialPlanning = .none(interDigitTimeout: CallContext.interDigitTimeout)
    let userAgent = "Deskphone"

    /// The inter-digit time-out without a dial plan (GUIDE.md is silent; the reference
    /// stack's default rule time-out, `DialRule.defaultTimeout`).
    nonisolated static let interDigitTimeout = DialRule.defaultTimeout

    init(endpoint: SIPEndpoint, registrations: RegistrationManager, audio: any PhoneAudio, sip: SIPSettings, media: CallSettings) {
        self.endpoint = endpoint
        self.registrations = registrations
        self.audio = audio
        self.sip = sip
        self.media = media
    }

    var timers: any Timers { endpoint.transactions.timers }
    var transactionTimers: TransactionTimers { endpoint.transactions.settings }
    var transport: ServerLocation.Transport { sip.transport == .tcp ? .tcp : .udp }

    /// The SDP side of a new call (GUIDE.md §2.2.4, §9.5): codecs in `preferred_codec` order,
    /// telephone-event at `dtmf_avt_payload` unless `dtmf_outofband` is none.
    func offerAnswer(local: LocalMediaAddress) -> OfferAnswer {
        let preferred = media.preferredCodec.rawValue
        // G.729 only while libbcg729 can be loaded (it is opened at the first call that asks).
        let available: [Codec] = Bcg729Library.problem == nil ? [.pcmu, .pcma, .g729] : [.pcmu, .pcma]
        let configuration = MediaConfiguration(codecs: Codec.preferenceOrder(preferred: preferred, available: available),
                                               telephoneEventPayloadType: media.dtmfOutOfBand == .none ? nil : UInt8(clamping: media.dtmfPayload))
        return OfferAnswer(configuration: configuration, local: local, sessionID: UInt64.random(in: 1...UInt64(Int64.max)))
    }
}
