/// Every configuration parameter of GUIDE.md §2.2 (and the network settings of §2.2.9),
/// declared once. Order follows the guide's tables.
public enum ParameterTable {
    public static let all: [Parameter] = sections.flatMap(\.parameters)

    /// The guide's tables in order, with their titles (deskphone.cnf(5) has one section each).
    public static let sections: [(title: String, parameters: [Parameter])] = [
        ("Lines and identity", lines),
        ("Proxies and registration", proxies),
        ("SIP timers and retransmission", timers),
        ("Media, codecs, DTMF, QoS", media),
        ("NAT and firewall traversal", nat),
        ("Call features and user preferences", features),
        ("Time and date", time),
        ("Management, security, URLs", management),
        ("Network settings (kept in flash)", network),
    ]

    // MARK: §2.2.1 Lines and identity
    static let lines: [Parameter] = [
        Parameter("line#_name", .text(maxLength: 32), default: nil, .phoneFile, indices: 1...6, perLine: true,
                  help: "Number or SIP user ID of line N; an unprovisioned line is not registered.",
                  note: "length 32 is (unverified) in the guide"),
        Parameter("line#_shortname", .text(maxLength: 32), default: nil, .phoneFile, indices: 1...6, perLine: true,
                  help: "Label shown next to line button N instead of the number."),
        Parameter("line#_displayname", .text(maxLength: 32), default: nil, .phoneFile, indices: 1...6, perLine: true,
                  help: "Display name sent in the From header of line N (falls back to line N's name)."),
        Parameter("line#_authname", .text(maxLength: 128), default: nil, .phoneFile, indices: 1...6, perLine: true,
                  help: "User name for digest authentication of line N (falls back to line N's name).",
                  note: "length 128 is (unverified) in the guide"),
        Parameter("line#_password", .text(maxLength: 128), default: nil, .phoneFile, indices: 1...6, perLine: true,
                  help: "Digest password of line N."),
        Parameter("line#_contact", .text(maxLength: 128), default: nil, .phoneFile, indices: 1...6, perLine: true,
                  help: "User part of the Contact header of line N (8.x, unverified)."),
        Parameter("speed_line#", .text(maxLength: 128), default: nil, .phoneFile, indices: 2...6, perLine: true,
                  help: "Turns line button N into a speed dial to this number or URL.",
                  note: "the guide gives N>=2 and marks this (unverified)"),
        Parameter("speed_label#", .text(maxLength: 32), default: nil, .phoneFile, indices: 2...6, perLine: true,
                  help: "Label of the speed dial on line button N."),
        Parameter("phone_label", .text(maxLength: 11), default: nil, .phoneFile,
                  help: "Text in the top-right corner of the display."),
        Parameter("user_info", .choice(["none", "phone", "ip"]), default: "none", .either,
                  help: "Adds ;user=phone or ;user=ip to the URI used when registering."),
        Parameter("messages_uri", .text(maxLength: 128), default: nil, .either,
                  help: "Number or URI dialled by the Messages button, e.g. *97."),
        Parameter("auto_answer", .integer(0...63), default: "0", .phoneOnly,
                  help: "Auto-answer bit mask per line (bit 0 = line 1); set on the phone only."),
        Parameter("speed_dial_#", .text(maxLength: 128), default: nil, .phoneOnly, indices: 1...5,
                  help: "Personal speed dial N, entered on the phone; not settable in a file."),
        Parameter("autocomplete", .boolean, default: "1", .phoneFile,
                  help: "Complete numbers from the call history while dialling."),
    ]

    // MARK: §2.2.2 Proxies and registration
    static let proxies: [Parameter] = [
        Parameter("proxy#_address", .host, default: nil, .either, indices: 1...6, perLine: true,
                  help: "Proxy and registrar of line N (IPv4 address or DNS name, A/SRV); unset uses proxy1_address."),
        Parameter("proxy#_port", .port, default: "5060", .either, indices: 1...6, perLine: true,
                  help: "Port of proxy N (when SRV is used, the port comes from SRV)."),
        Parameter("proxy_register", .boolean, default: "0", .either,
                  help: "1 = register every provisioned line with its proxy at boot."),
        Parameter("timer_register_expires", .integer(1...3_932_100), default: "3600", .either,
                  help: "Seconds put in the REGISTER Expires."),
        Parameter("timer_register_delta", .integer(0...32767), default: "5", .either,
                  help: "Re-register this many seconds before the registration expires.",
                  note: "range 0–32767 is (unverified) in the guide"),
        Parameter("proxy_backup", .host, default: nil, .either,
                  help: "Backup proxy used when the primary does not answer."),
        Parameter("proxy_backup_port", .port, default: "5060", .either, help: "Port of the backup proxy."),
        Parameter("proxy_emergency", .host, default: nil, .either,
                  help: "Emergency proxy (gateway) for emergency calls and when the primary is unreachable."),
        Parameter("proxy_emergency_port", .port, default: "5060", .either, help: "Port of the emergency proxy."),
        Parameter("outbound_proxy", .host, default: nil, .either,
                  help: "Every request is sent here (the request URI still targets the proxy or callee)."),
        Parameter("outbound_proxy_port", .port, default: "5060", .either, help: "Port of the outbound proxy."),
        Parameter("remote_party_id", .boolean, default: "0", .either,
                  help: "1 = send and honour the Remote-Party-ID header."),
        Parameter("sip_max_forwards", .integer(1...255), default: "70", .either,
                  help: "Max-Forwards value of requests.", note: "8.x, (unverified); range chosen 1–255"),
    ]

    // MARK: §2.2.3 SIP timers and retransmission
    static let timers: [Parameter] = [
        Parameter("timer_t1", .integer(1...60_000), default: "500", .defaultFile,
                  help: "RFC 3261 T1 in milliseconds: the lowest retransmission interval."),
        Parameter("timer_t2", .integer(1...600_000), default: "4000", .defaultFile,
                  help: "RFC 3261 T2 in milliseconds: the highest retransmission interval; must exceed timer_t1."),
        Parameter("sip_retx", .integer(0...10), default: "10", .defaultFile,
                  help: "Maximum retransmissions of non-INVITE requests."),
        Parameter("sip_invite_retx", .integer(0...6), default: "6", .defaultFile,
                  help: "Maximum retransmissions of INVITE."),
        Parameter("timer_invite_expires", .integer(1...86_400), default: "180", .defaultFile,
                  help: "Expires header of INVITE (ringing time-out) in seconds."),
    ]

    // MARK: §2.2.4 Media, codecs, DTMF, QoS
    static let media: [Parameter] = [
        Parameter("preferred_codec", .choice(["g711ulaw", "g711alaw", "g729a"]), default: "g711ulaw", .either,
                  help: "Codec listed first in offers; the others are still offered and accepted."),
        Parameter("enable_vad", .boolean, default: "0", .either,
                  help: "Voice activity detection (silence suppression, comfort noise)."),
        Parameter("tos_media", .integer(0...5), default: "5", .defaultFile, help: "IP precedence of RTP packets."),
        Parameter("dtmf_inband", .boolean, default: "1", .defaultFile, help: "Generate DTMF tones in the audio."),
        Parameter("dtmf_outofband", .choice(["none", "avt", "avt_always"]), default: "avt", .defaultFile,
                  help: "RFC 2833 DTMF: never, when the far end asks for it, or always."),
        Parameter("dtmf_avt_payload", .dynamicPayload(fallback: 101), default: "101", .defaultFile,
                  help: "RTP payload type offered for telephone-event; above 127 falls back to 101."),
        Parameter("dtmf_db_level", .integer(1...5), default: "3", .defaultFile,
                  help: "In-band DTMF level: 1 = -6 dB, 2 = -3 dB, 3 = nominal, 4 = +3 dB, 5 = +6 dB."),
        Parameter("start_media_port", .integer(1024...65534), default: "16384", .defaultFile,
                  help: "First port of the RTP range (even).", note: "range (unverified) in the guide; 1024–65534 chosen"),
        Parameter("end_media_port", .integer(1025...65535), default: "32766", .defaultFile,
                  help: "Last port of the RTP range; must exceed start_media_port."),
    ]

    // MARK: §2.2.5 NAT / firewall traversal
    static let nat: [Parameter] = [
        Parameter("nat_enable", .boolean, default: "0", .either,
                  help: "Advertise nat_address in SIP and SDP and send every request from voip_control_port."),
        Parameter("nat_address", .host, default: nil, .either,
                  help: "WAN address of the NAT device placed in Via, Contact and SDP."),
        Parameter("voip_control_port", .integer(1025...65535), default: "5060", .either,
                  help: "Local UDP port for SIP (the phone also listens for SIP over TCP on it)."),
        Parameter("sip_transport", .choice(["udp", "tcp"]), default: "udp", .either,
                  help: "Transport of the requests the phone sends to its proxies.",
                  note: "extension: the 7960 sends SIP over UDP only (GUIDE.md §9.1, TCP unverified for 7.x)"),
        Parameter("nat_received_processing", .boolean, default: "0", .either,
                  help: "Correct the advertised address from received= and rport in responses."),
    ]

    // MARK: §2.2.6 Call features and user preferences
    static let features: [Parameter] = [
        Parameter("dnd_control", .userControl, default: "0", .either, help: "Do Not Disturb: incoming calls are rejected busy."),
        Parameter("callerid_blocking", .userControl, default: "0", .either, help: "Send every call anonymously."),
        Parameter("anonymous_call_block", .userControl, default: "0", .either, help: "Reject incoming anonymous calls."),
        Parameter("call_waiting", .userControl, default: "1", .either,
                  help: "Call waiting; when off a second incoming call gets 486 Busy Here."),
        Parameter("call_hold_ringback", .userControl, default: "0", .phoneFile,
                  help: "Ring to remind of a held call when the other call hangs up."),
        Parameter("stutter_msg_waiting", .boolean, default: "0", .either, help: "Stutter dial tone when a message is waiting."),
        Parameter("cnf_join_enable", .boolean, default: "1", .either,
                  help: "When the conference initiator hangs up, join the two other parties (1) or drop both (0)."),
        Parameter("semi_attended_transfer", .boolean, default: "1", .either,
                  help: "Allow completing a transfer while the target is still ringing."),
        Parameter("call_stats", .boolean, default: "0", .either,
                  help: "Add RTP-RxStat and RTP-TxStat headers to BYE and its 200 OK."),
        Parameter("local_cfwd_enable", .boolean, default: "1", .either,
                  help: "Forward-all handled by the phone (302) rather than through cfwd_url.",
                  note: "7.x/8.x, (unverified)"),
        Parameter("cfwd_url", .url, default: nil, .either,
                  help: "Network call-forward service URL when local_cfwd_enable is 0.", note: "(unverified)"),
        Parameter("rfc_2543_hold", .boolean, default: "0", .either,
                  help: "Signal hold with c=0.0.0.0 (1) or a=sendonly/inactive (0).", note: "default (unverified)"),
        Parameter("dial_template", .fileName, default: "dialplan", .either,
                  help: "Dial plan file to fetch, without .xml."),
    ]

    // MARK: §2.2.7 Time and date
    static let time: [Parameter] = [
        Parameter("sntp_server", .hostPort, default: nil, .defaultFile,
                  help: "SNTP server (port 123 unless :port is given); how it is used depends on sntp_mode.",
                  note: "a host name is (unverified) in the guide; accepted. The :port suffix is this implementation's extension"),
        Parameter("sntp_mode", .choice(["unicast", "multicast", "anycast", "directedbroadcast"]),
                  default: "directedbroadcast", .defaultFile, help: "SNTP client mode."),
        Parameter("time_zone", .timeZone, default: "PST", .defaultFile,
                  help: "Standard-time zone abbreviation.", note: "default PST is (unverified)"),
        Parameter("dst_offset", .signedOffset, default: "1", .defaultFile,
                  help: "Amount added while daylight saving time is in effect.", note: "default (unverified)"),
        Parameter("dst_start_month", .month, default: "April", .defaultFile, help: "Month DST starts."),
        Parameter("dst_stop_month", .month, default: "October", .defaultFile, help: "Month DST stops."),
        Parameter("dst_start_day", .dayOfMonth, default: "0", .defaultFile,
                  help: "Day of month DST starts; 0 = use the day-of-week rule."),
        Parameter("dst_stop_day", .dayOfMonth, default: "0", .defaultFile,
                  help: "Day of month DST stops; 0 = use the day-of-week rule."),
        Parameter("dst_start_day_of_week", .dayOfWeek, default: "Sunday", .defaultFile, help: "Weekday DST starts."),
        Parameter("dst_stop_day_of_week", .dayOfWeek, default: "Sunday", .defaultFile, help: "Weekday DST stops."),
        Parameter("dst_start_week_of_month", .weekOfMonth, default: "1", .defaultFile,
                  help: "Week of the month DST starts (8 = last)."),
        Parameter("dst_stop_week_of_month", .weekOfMonth, default: "8", .defaultFile,
                  help: "Week of the month DST stops (8 = last)."),
        Parameter("dst_start_time", .timeOfDay, default: "02/00", .defaultFile, help: "Local time DST starts."),
        Parameter("dst_stop_time", .timeOfDay, default: "02/00", .defaultFile, help: "Local time DST stops."),
        Parameter("dst_auto_adjust", .boolean, default: "1", .defaultFile, help: "Apply the DST rules at all."),
        Parameter("dst_stop_autoadjust", .boolean, default: "1", .defaultFile,
                  help: "Interpret the stop time in daylight time.", note: "meaning (unverified)"),
        Parameter("time_format_24hr", .boolean, default: "1", .either, help: "24-hour clock (1) or 12-hour (0)."),
        Parameter("date_format", .choice(["M/D/Y", "D/M/Y", "Y/M/D", "Y/D/M", "M/D/YA", "D/M/YA", "Y/M/DA", "Y/D/MA"]),
                  default: "M/D/Y", .either, help: "Date display order; a trailing A selects the 12-hour clock.",
                  note: "Y/M/D, Y/D/M and the A suffix are (unverified) for 7.x; accepted"),
    ]

    // MARK: §2.2.8 Management, security, URLs
    static let management: [Parameter] = [
        Parameter("image_version", .fileName, default: nil, .either,
                  help: "Firmware image the phone must run, without extension; a mismatch triggers an upgrade."),
        Parameter("sync", .text(maxLength: 32), default: "1", .either,
                  help: "Synchronisation value compared with syncinfo.xml on check-sync."),
        Parameter("tftp_cfg_dir", .relativePath, default: nil, .defaultFile,
                  help: "Folder, relative to the TFTP root, of the phone-specific file."),
        Parameter("telnet_level", .integer(0...2), default: "0", .either,
                  help: "Telnet CLI: 0 = off, 1 = non-privileged commands, 2 = all commands."),
        Parameter("phone_password", .text(maxLength: 31), default: "cisco", .phoneFile,
                  help: "Password for telnet and console login and for unlocking the settings."),
        Parameter("phone_prompt", .text(maxLength: 32), default: "SIP Phone", .phoneFile,
                  help: "CLI prompt text (shown followed by >).", note: "default (unverified)"),
        Parameter("services_url", .url, default: nil, .either, help: "Target of the Services button."),
        Parameter("directory_url", .url, default: nil, .either, help: "External directory."),
        Parameter("logo_url", .url, default: nil, .either, help: "HTTP URL of the idle-screen logo bitmap."),
        Parameter("http_proxy_addr", .host, default: nil, .either, help: "HTTP proxy for XML services."),
        Parameter("http_proxy_port", .port, default: "80", .either, help: "Port of the HTTP proxy."),
        Parameter("dyn_dns_addr_#", .ipv4Port, default: nil, .either, indices: 1...2,
                  help: "DNS server N used in addition to, or over, the DHCP ones (SIP server location).",
                  note: "the :port suffix is this implementation's extension"),
        Parameter("dyn_tftp_addr", .ipv4, default: nil, .either, help: "TFTP server for later requests."),
        Parameter("network_media_type", .choice(["Auto", "Full100", "Half100", "Full10", "Half10"]),
                  default: "Auto", .either, help: "Speed and duplex of the network port."),
    ]

    // MARK: §2.2.9 Network settings (flash; entered on the phone or learned from DHCP)
    static let network: [Parameter] = [
        Parameter("dhcp_enabled", .boolean, default: "1", .network, help: "Learn the IP settings by DHCP."),
        Parameter("dhcp_server", .ipv4, default: nil, .network, help: "Server that issued the DHCP lease (read-only)."),
        Parameter("mac_address", .text(maxLength: 17), default: nil, .network, help: "MAC address of the phone (read-only)."),
        Parameter("host_name", .text(maxLength: 64), default: nil, .network,
                  help: "Host name of the phone (SIP<MAC> when unset).", note: "default SIP<MAC> is (unverified)"),
        Parameter("domain_name", .text(maxLength: 253), default: nil, .network, help: "DNS domain."),
        Parameter("ip_address", .ipv4, default: nil, .network, help: "IP address (DHCP must be off to edit)."),
        Parameter("subnet_mask", .ipv4, default: nil, .network, help: "Subnet mask."),
        Parameter("tftp_server", .host, default: nil, .network,
                  help: "TFTP server (DHCP must be off, or alternate_tftp on)."),
        Parameter("default_router_#", .ipv4, default: nil, .network, indices: 1...5, help: "Default router N."),
        Parameter("dns_server_#", .ipv4, default: nil, .network, indices: 1...5, help: "DNS server N."),
        Parameter("operational_vlan_id", .integer(1...4095), default: nil, .network, help: "VLAN learned from CDP (read-only)."),
        Parameter("admin_vlan_id", .integer(1...4095), default: nil, .network, help: "VLAN used when CDP gives none."),
        Parameter("alternate_tftp", .boolean, default: "0", .network,
                  help: "Use the manually entered TFTP server although DHCP is on."),
        Parameter("dhcp_address_released", .boolean, default: "0", .network, help: "Release the DHCP lease."),
        Parameter("erase_configuration", .boolean, default: "0", .network,
                  help: "Clear the locally stored settings when saved."),
    ]

    // MARK: lookup

    private static let singles: [String: Parameter] = Dictionary(
        all.filter { !$0.isFamily }.map { ($0.pattern, $0) }, uniquingKeysWith: { a, _ in a })
    private static let families: [Parameter] = all.filter(\.isFamily)

    /// The declaration and index of a concrete name (case-insensitive, GUIDE.md §2.1:
    /// "treat names as case-insensitive when parsing", (unverified)).
    public static func lookup(_ name: String) -> (parameter: Parameter, index: Int?)? {
        let n = name.lowercased()
        if let p = singles[n] { return (p, nil) }
        for f in families { if let i = f.index(in: n) { return (f, i) } }
        return nil
    }

    /// Every concrete parameter name, in table order.
    public static var allNames: [String] { all.flatMap(\.names) }
}
