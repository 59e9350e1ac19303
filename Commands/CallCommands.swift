import Console
import Phone

/// `show calls` and `show rtp` (GUIDE.md §4.4): every call on every line, and the RTP
/// statistics of the current calls.
enum CallCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["show", "calls"], help: "Every call on every line: state, party, dialog, codec, duration, packets") { inv in
                guard let calls = try inv.phone.calls else { throw CommandFailure("no SIP stack running") }
                let rows = await calls.info()
                guard !rows.isEmpty else { return inv.print("No calls") }
                for c in rows {
                    let s = c.statistics
                    inv.print("call \(c.id)  line \(c.line)  \(c.direction.rawValue)  \(c.state.rawValue)  remote \(c.remote)")
                    inv.print("  Call-ID \(c.callID)  local-tag \(c.localTag)  remote-tag \(c.remoteTag ?? "-")")
                    inv.print("  codec \(s?.codec.isEmpty == false ? s?.codec ?? "" : "-")  duration \(c.seconds) s  "
                              + "sent \(s?.packetsSent ?? 0)  received \(s?.packetsReceived ?? 0)  lost \(s?.lost ?? 0)  jitter \(s?.jitter ?? 0)")
                }
            },
            CommandSpec(["show", "rtp"], help: "RTP statistics of the current calls") { inv in
                guard let calls = try inv.phone.calls else { throw CommandFailure("no SIP stack running") }
                let rows = await calls.info().filter { $0.statistics != nil }
                guard !rows.isEmpty else { return inv.print("No active RTP streams") }
                for c in rows {
                    guard let s = c.statistics else { continue }
                    inv.print("call \(c.id) line \(c.line): \(s.codec) from \(s.local) to \(s.remote)")
                    inv.print("  RTP-TxStat: \(s.txStat)")
                    inv.print("  RTP-RxStat: \(s.rxStat)")
                    inv.print("  out of order \(s.outOfOrder)  duplicates \(s.duplicates)  discarded \(s.discarded)  "
                              + "round trip \(s.roundTripMilliseconds.map { "\($0) ms" } ?? "-")")
                    inv.print("  jitter buffer \(s.jitterBufferMilliseconds) ms  late \(s.late)  concealed \(s.concealed)")
                    if !s.drops.isEmpty { inv.print("  dropped: \(s.drops)") }
                }
            },
        ]
    }
}
