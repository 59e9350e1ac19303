// The values of the RTP-RxStat and RTP-TxStat headers (GUIDE §9.9) that the phone adds to the
// BYE it sends and to its 200 for a received BYE when `call_stats` is 1.

public enum CallStatistics {
    /// `Dur=a,Pkt=b,Oct=c,LatePkt=d,LostPkt=e,AvgJit=f`. Dur: whole seconds from the first packet
    /// received to `now`; LatePkt: packets that came too late to be played — the jitter
    /// buffer's count when there is one (`late`), else those out of order; LostPkt: A.3's
    /// cumulative loss, not below zero; AvgJit: the A.8 interarrival jitter estimate (itself a
    /// running average) in timestamp units.
    public static func rxStat(_ s: RTPReceiveStatistics, now: Duration, late: Int? = nil) -> String {
        let duration = s.firstArrival.map { seconds(now - $0) } ?? 0
        return "Dur=\(duration),Pkt=\(s.packets),Oct=\(s.octets),LatePkt=\(late.map(UInt64.init) ?? s.outOfOrder),"
            + "LostPkt=\(max(0, s.lost)),AvgJit=\(s.jitter)"
    }

    /// `Dur=g,Pkt=h,Oct=i`: Dur in whole seconds from `started` (the first packet sent) to `now`.
    public static func txStat(_ s: RTPSendStatistics, started: Duration?, now: Duration) -> String {
        "Dur=\(started.map { seconds(now - $0) } ?? 0),Pkt=\(s.packets),Oct=\(s.octets)"
    }

    static func seconds(_ d: Duration) -> Int64 { max(0, d.components.seconds) }
}
