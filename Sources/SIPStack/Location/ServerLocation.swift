import SIPMessage

/// RFC 3263 §4: from a proxy's host (and an explicit port or transport, when configured) to
/// the ordered list of (transport, address, port) targets to try. The phone supports UDP and
/// TCP; NAPTR services other than SIP+D2U / SIP+D2T (TLS, SCTP) are skipped.
public struct ServerLocation: Sendable {
    public enum Transport: String, Sendable, Equatable, CaseIterable {
        case udp, tcp

        /// RFC 3263 §4.1 NAPTR service fields.
        var naptrService: String { self == .udp ? "SIP+D2U" : "SIP+D2T" }
    }

    public struct Target: Sendable, Equatable, CustomStringConvertible {
        public let transport: Transport
        public let address: String
        public let port: Int
        /// The name the address came from (for logs and `show register`).
        public let host: String

        public init(transport: Transport, address: String, port: Int, host: String) {
            self.transport = transport
            self.address = address
            self.port = port
            self.host = host
        }

        public var description: String { "\(transport.rawValue.uppercased()) \(address):\(port) (\(host))" }
    }

    public let resolver: DNSResolver
    /// Picks within SRV weights: a number in 0...upper (RFC 2782's "uniform random number");
    /// tests inject a fixed sequence.
    public let random: @Sendable (Int) -> Int

    public init(resolver: DNSResolver, random: @escaping @Sendable (Int) -> Int = { Int.random(in: 0...$0) }) {
        self.resolver = resolver
        self.random = random
    }

    /// The targets for `host` in the order to try them.
    /// - `port`: an explicitly configured port (then no SRV lookup, RFC 3263 §4.2).
    /// - `transport`: an explicitly required transport (then no NAPTR lookup).
    public func locate(host: String, port: Int?, transport: Transport?) async throws(DNSResolver.Failure) -> [Target] {
        if let literal = Self.literalTarget(host: host, port: port, transport: transport) { return [literal] }
        if let port {
            return try await addresses(host).map { Target(transport: transport ?? .udp, address: $0, port: port, host: host) }
        }
        // NAPTR when no transport is fixed (§4.1), else straight to SRV for that transport.
        var srvNames: [(Transport, String)] = []
        if transport == nil, let records = try? await resolver.naptr(host) {
            let usable = records
                .filter { $0.flags.lowercased() == "s" }
                .sorted { ($0.order, $0.preference) < ($1.order, $1.preference) }
                .compactMap { r in Transport.allCases.first { $0.naptrService == r.service.uppercased() }.map { ($0, r.replacement) } }
            srvNames = usable
        }
        if srvNames.isEmpty {
            let transports = transport.map { [$0] } ?? [.udp, .tcp]
            srvNames = transports.map { ($0, "_sip._\($0.rawValue).\(host)") }
        }
        var targets: [Target] = []
        for (t, name) in srvNames {
            guard let records = try? await resolver.srv(name), !records.isEmpty else { continue }
            for record in order(records) {
                let addrs = (try? await addresses(record.target)) ?? []
                targets += addrs.map { Target(transport: t, address: $0, port: record.port, host: record.target) }
            }
            if !targets.isEmpty { break }   // the first transport with SRV targets wins (§4.1)
        }
        if !targets.isEmpty { return targets }
        // No SRV: the host's A records on the default port (§4.2).
        return try await addresses(host).map { Target(transport: transport ?? .udp, address: $0, port: SIPURI.defaultPort, host: host) }
    }

    func addresses(_ name: String) async throws(DNSResolver.Failure) -> [String] {
        try await resolver.a(name)
    }

    /// RFC 2782 ordering: ascending priority; within a priority, repeatedly pick a record with
    /// probability proportional to its weight (zero weights stay possible, and come first in
    /// the running sum as the RFC asks).
    public func order(_ records: [DNSResolver.SRVRecord]) -> [DNSResolver.SRVRecord] {
        var out: [DNSResolver.SRVRecord] = []
        let priorities = Set(records.map(\.priority)).sorted()
        for p in priorities {
            var group = records.filter { $0.priority == p }.sorted { $0.weight < $1.weight }
            while !group.isEmpty {
                let total = group.reduce(0) { $0 + $1.weight }
                let pick = random(total)
                var running = 0
                var chosen = group.count - 1
                for (i, r) in group.enumerated() {
                    running += r.weight
                    if running >= pick { chosen = i; break }
                }
                out.append(group.remove(at: chosen))
            }
        }
        return out
    }

    /// The one target of an IP address (no DNS, RFC 3263 §4.2), nil for a name.
    public static func literalTarget(host: String, port: Int?, transport: Transport?) -> Target? {
        guard isIPLiteral(host) else { return nil }
        return Target(transport: transport ?? .udp, address: unbracketed(host), port: port ?? SIPURI.defaultPort, host: host)
    }

    static func isIPLiteral(_ host: String) -> Bool {
        if host.hasPrefix("[") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && (Int(p) ?? 256) <= 255 }
    }

    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
