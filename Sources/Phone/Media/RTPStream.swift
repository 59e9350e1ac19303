import Media
import RTP
import Scheduling
import SDP

/// One call's RTP stream as the call layer sees it (`CallStream`): the facade on the phone's
/// loop of a `MediaChannel`, which the media thread runs. Every call goes through the media
/// core's lock.
@PhoneLoop
final class RTPStream: CallStream {
    private let channel: MediaChannel
    private let engine: MediaEngine
    let local: LocalMediaAddress

    init(channel: MediaChannel, engine: MediaEngine) {
        self.channel = channel
        self.engine = engine
        self.local = channel.local
    }

    func apply(_ media: NegotiatedMedia) { engine.apply(media, to: channel) }

    func sendDigit(_ digit: Character) {
        engine.withChannel { _ in channel.sendDigit(digit) }
    }

    func close() { engine.close(channel) }

    var statistics: CallStreamStatistics {
        engine.withChannel { core in channel.statistics(now: core.now) }
    }
}
