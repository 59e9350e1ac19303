import Console
import Phone
import PhoneClock

/// `show time` and `show sntp` (GUIDE.md §6): the phone's own clock — it never sets the
/// host's — with the zone and DST rules of the configuration, and its SNTP client.
enum TimeCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["show", "time"], help: "The phone's date and time as its display shows them") { inv in
                let phone = try inv.phone
                for line in lines(phone.clock) { inv.print(line) }
            },
            CommandSpec(["show", "sntp"], help: "SNTP server, mode, stratum, offset, delay, last sync and next poll") { inv in
                let phone = try inv.phone
                guard let status = phone.sntpStatus() else {
                    inv.print("SNTP client not running")
                    return
                }
                for line in status.lines(now: phone.clock.reading()) { inv.print(line) }
            },
        ]
    }

    static func lines(_ clock: PhoneClock) -> [String] {
        let now = clock.now(), local = clock.localNow(), rule = clock.rule
        let offset = local.utcOffsetMinutes
        let sign = offset < 0 ? "-" : "+"
        let hm = "\(sign)\((abs(offset) / 60).twoDigits):\((abs(offset) % 60).twoDigits)"
        return [
            "Display:   \(clock.display())",
            "Local:     \(local.time) (GMT\(hm), \(rule.zoneName)\(local.isDaylightTime ? ", daylight saving time" : ""))",
            "UTC:       \(Clock24.utc(now.utcSeconds))",
            "Source:    \(now.synchronised ? "SNTP" : "host clock (not yet synchronised by SNTP)")",
            "DST rule:  \(rule.dst.map { _ in "automatic (dst_* parameters)" } ?? "none")",
        ]
    }
}
