import Scheduling

extension ServerLocation {
    /// The first RFC 3263 target of `host:port`: at once for an IP address, through DNS
    /// otherwise, with the answer delivered back on the phone's loop.
    @PhoneLoop
    public func locateFirst(host: String, port: Int?, transport: Transport?,
                            _ then: @escaping @PhoneLoop (Result<Target, DNSResolver.Failure>) -> Void) {
        if let literal = Self.literalTarget(host: host, port: port, transport: transport) {
            return then(.success(literal))
        }
        Task { @PhoneLoop in
            do throws(DNSResolver.Failure) {
                let targets = try await locate(host: host, port: port, transport: transport)
                guard let first = targets.first else { return then(.failure(.noRecords(host))) }
                then(.success(first))
            } catch {
                then(.failure(error))
            }
        }
    }
}
