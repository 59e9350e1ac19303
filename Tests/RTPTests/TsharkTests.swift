// Wireshark's dissectors (tshark, an independent implementation) read the packets this module
// builds the way this module means them: RTP headers, RFC 4733 events, RTCP compounds.
import Foundation
import Testing
import RTP
import TestKit

enum Tshark {
    static let path = "/usr/bin/tshark"

    /// A pcap file of raw IPv4 (link type 101) UDP datagrams from port 40000 to `port`.
    static func pcap(_ datagrams: [(port: UInt16, bytes: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(101)
        for (i, d) in datagrams.enumerated() {
            let udpLength = 8 + d.bytes.count
            let total = 20 + udpLength
            var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
            var sum: UInt32 = 0
            for j in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[j]) << 8 | UInt32(ip[j + 1]) }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            ip[10] = UInt8(~sum >> 8 & 0xFF); ip[11] = UInt8(~sum & 0xFF)
            let udp: [UInt8] = [0x9C, 0x40, UInt8(d.port >> 8), UInt8(d.port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
            le32(UInt32(i)); le32(0); le32(UInt32(total)); le32(UInt32(total))
            out += ip + udp + d.bytes
        }
        return out
    }

    /// tshark's fields, one line per packet, values of repeated fields joined by ";".
    static func fields(_ pcap: [UInt8], _ fields: [String], extra: [String] = []) async throws -> [[String]] {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: scripts/install-deps.sh test installs it (make test does)")
        }
        let dir = try TestSupport.temporaryDirectory("tshark")
        try Data(pcap).write(to: URL(fileURLWithPath: dir + "/in.pcap"))
        let arguments = ["-r", dir + "/in.pcap", "-d", "udp.port==40002,rtp", "-d", "udp.port==40003,rtcp",
                         "-o", "rtpevent.event_payload_type_value:101", "-T", "fields", "-E", "separator=,", "-E", "aggregator=;"]
            + extra + fields.flatMap { ["-e", $0] }
        let child = try ChildProcess(path, arguments, stdout: dir + "/out", stderr: dir + "/err")
        guard let status = await child.wait(timeout: .seconds(60)), ChildProcess.exitCode(status) == 0 else {
            throw TestFailure("tshark failed: \((try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")")
        }
        let text = try String(contentsOfFile: dir + "/out", encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}

@Suite struct TsharkTests {
    @Test func rtpAndTelephoneEventsAsWiresharkReadsThem() async throws {
        var g = Seeded(state: 99)
        var session = RTPSession(payloadType: 0, dtmfPayloadType: 101, expectedSource: nil, cname: "x", start: .zero, using: &g)
        var packets: [[UInt8]] = []
        for i in 0..<16 {
            if i == 2 { session.keyDown("7") }
            if i == 3 { session.keyUp() }
            packets += session.frame([UInt8](repeating: 0xFF, count: 160), now: .milliseconds(20 * i))
        }
        // And one with CSRCs, a header extension and padding.
        packets.append(RTPHeader(marker: false, payloadType: 8, sequenceNumber: 9, timestamp: 10, ssrc: 11,
                                 csrcs: [1, 2, 3], extensionProfile: 0xBEDE, extensionData: [0x10, 0xAA, 0, 0])
            .packet(payload: [0xD5, 0xD5], padding: 4))
        let rows = try await Tshark.fields(Tshark.pcap(packets.map { (40002, $0) }),
                                           ["rtp.seq", "rtp.timestamp", "rtp.marker", "rtp.p_type", "rtp.ssrc", "rtp.cc",
                                            "rtp.ext.profile", "rtp.padding.count", "rtpevent.event_id", "rtpevent.end_of_event",
                                            "rtpevent.duration"])
        #expect(rows.count == packets.count)
        for (bytes, row) in zip(packets, rows) {
            let h = try RTPHeader(parsing: bytes)
            #expect(row.count == 11)
            guard row.count == 11 else { continue }
            #expect(row[0] == String(h.sequenceNumber) && row[1] == String(h.timestamp))
            #expect(row[2] == (h.marker ? "1" : "0") && row[3] == String(h.payloadType))
            #expect(UInt32(row[4].dropFirst(2), radix: 16) == h.ssrc)
            #expect(row[5] == String(h.csrcs.count))
            if h.payloadType == 101 {
                let e = try #require(TelephoneEvent(payload: bytes[h.payloadRange]))
                #expect(row[8] == String(e.event) && row[9] == (e.end ? "1" : "0") && row[10] == String(e.duration))
            }
        }
        let events = rows.filter { $0.count == 11 && $0[3] == "101" }
        #expect(events.map { $0[8] } == Array(repeating: "7", count: events.count) && events.count == 8)
        #expect(events.map { $0[9] } == ["0", "0", "0", "0", "0", "1", "1", "1"])
        let last = try #require(rows.last)
        #expect(last.count == 11 && last[5] == "3" && UInt32(last[6].dropFirst(2), radix: 16) == 0xBEDE && last[7] == "4")
        // Nothing Wireshark calls malformed.
        let malformed = try await Tshark.fields(Tshark.pcap(packets.map { (40002, $0) }), ["frame.number"],
                                                extra: ["-Y", "_ws.malformed || _ws.expert.severity >= \"error\""])
        #expect(malformed.isEmpty, "\(malformed)")
    }

    @Test func rtcpCompoundsAsWiresharkReadsThem() async throws {
        let block = RTCPReportBlock(ssrc: 0xCAFE, fractionLost: 51, cumulativeLost: 7, extendedHighestSequence: 0x1_0005,
                                    jitter: 17, lastSR: 0xB705_2000, delaySinceLastSR: 0x0005_4000)
        let sr = RTCPCompound.serialize([
            .senderReport(ssrc: 0x1234, info: RTCPSenderInfo(ntpTimestamp: 0xE000_0000_8000_0000, rtpTimestamp: 160_000,
                                                            packetCount: 1000, octetCount: 160_000), reports: [block]),
            .sourceDescription([RTCPSDESChunk(ssrc: 0x1234, cname: "deskphone@192.0.2.50")]),
            .bye(ssrcs: [0x1234], reason: "bye"),
        ])
        let rr = RTCPCompound.serialize([.receiverReport(ssrc: 0x1234, reports: []),
                                         .sourceDescription([RTCPSDESChunk(ssrc: 0x1234, cname: "abc")])])
        let rows = try await Tshark.fields(Tshark.pcap([(40003, sr), (40003, rr)]),
                                           ["rtcp.pt", "rtcp.sender.packetcount", "rtcp.sender.octetcount", "rtcp.ssrc.fraction",
                                            "rtcp.ssrc.cum_nr", "rtcp.ssrc.ext_high", "rtcp.ssrc.jitter", "rtcp.ssrc.lsr",
                                            "rtcp.ssrc.dlsr", "rtcp.sdes.text", "rtcp.length_check"])
        #expect(rows.count == 2)
        let s = try #require(rows.first)
        #expect(s.count == 11)
        guard s.count == 11, rows.count == 2 else { return }
        #expect(s[0] == "200;202;203")
        #expect(s[1] == "1000" && s[2] == "160000")
        #expect(s[3] == "51" && s[4] == "7" && s[5] == "65541" && s[6] == "17")
        #expect(s[7] == String(0xB705_2000) && s[8] == String(0x0005_4000), "\(s)")
        #expect(s[9] == "deskphone@192.0.2.50;bye")   // the CNAME, then the BYE reason
        #expect(s[10] == "1")                               // the lengths add up to the datagram
        #expect(rows[1][0] == "201;202" && rows[1][9] == "abc" && rows[1][10] == "1", "\(rows[1])")
    }
}
