import Console
import HostNetwork
import Phone

/// `show network`, `ping`, `traceroute` (GUIDE.md §4.2, §4.4): the real host's network, and
/// ICMP tools whose lines stream to the session as the replies arrive (Ctrl-C stops them).
enum NetworkToolCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["show", "network"], help: "Network settings, link and packet counters of the host interface") { inv in
                let phone = try inv.phone
                let facts = NetworkFacts.read()
                for line in facts.lines { inv.print(line) }
                inv.print("Phone MAC Address: \(phone.identity.mac) (\(phone.identity.macOrigin))")
                inv.print("TFTP Server: \(phone.identity.source ?? "none (flash only)")")
                // No DHCP client or CDP runs here: the host OS owns the address (GUIDE.md §1.1
                // stages 2–3 are the host's business).
                inv.print("DHCP: managed by the host; VLAN: none")
            },
            CommandSpec(["ping"], arguments: [
                ArgumentSpec("host", .word(placeholder: "ip-or-host"), help: "address or host name to ping"),
                ArgumentSpec("count", .integer(1...1000), help: "echo requests to send", keyword: "count",
                             default: String(PingOptions.defaultCount)),
                ArgumentSpec("size", .integer(PingOptions.sizeRange), help: "data bytes per request", keyword: "size",
                             default: String(PingOptions.defaultSize)),
                ArgumentSpec("timeout", .integer(1...60), help: "seconds to wait for each reply", keyword: "timeout",
                             default: String(PingOptions.defaultTimeout.components.seconds)),
            ], help: "Send ICMP echo requests") { inv in
                var options = PingOptions()
                options.count = inv.integer("count") ?? PingOptions.defaultCount
                options.size = inv.integer("size") ?? PingOptions.defaultSize
                options.timeout = .seconds(inv.integer("timeout") ?? 2)
                let ping = try Ping(host: inv.value("host") ?? "", options: options)
                for try await event in ping.events() { inv.print(event.text) }
                try Task.checkCancellation()
            },
            CommandSpec(["traceroute"], arguments: [
                ArgumentSpec("host", .word(placeholder: "ip-or-host"), help: "address or host name to trace"),
                ArgumentSpec("maxhops", .integer(1...64), help: "largest TTL tried", keyword: "maxhops",
                             default: String(TracerouteOptions.defaultMaxHops)),
                ArgumentSpec("timeout", .integer(1...60), help: "seconds to wait for each probe", keyword: "timeout",
                             default: String(TracerouteOptions.defaultTimeout.components.seconds)),
            ], help: "Trace the IP path to a host") { inv in
                var options = TracerouteOptions()
                options.maxHops = inv.integer("maxhops") ?? TracerouteOptions.defaultMaxHops
                options.timeout = .seconds(inv.integer("timeout") ?? 2)
                let trace = try Traceroute(host: inv.value("host") ?? "", options: options)
                for try await event in trace.events() { inv.print(event.text) }
                try Task.checkCancellation()
            },
        ]
    }
}
