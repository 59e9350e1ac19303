import Diagnostics
import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// Runs the `SNTPClient` state machine on one event loop over one UDP socket: a thin adapter
/// that sends what the machine says, feeds it what arrives, and schedules its deadlines. Good
/// samples go to the `PhoneClock` (the host's clock is never touched). Logs at debug level on
/// the `sntp` category.
///
/// The socket: bound to 0.0.0.0 on an ephemeral port in unicast and anycast; in the listening
/// modes (multicast, directedbroadcast) bound to `listenPort` (123 unless configured) because
/// broadcasts are addressed to that port — if that bind fails (port taken, no privilege) the
/// service logs it and falls back to an ephemeral port, where only direct replies arrive.
/// SO_BROADCAST is always set (requests to the broadcast address). The listening modes join
/// 224.0.1.1; a join that fails (no multicast route, loopback only) is logged, not fatal.
///
/// `sntp_server` host names are resolved (blocking getaddrinfo) by `start()` and
/// `reconfigure(_:)` on the calling task; a name that does not resolve counts as no server.
public final class SNTPService: Sendable {
    private let loop: any EventLoop
    private let clock: PhoneClock
    private let core: Core
    private let snapshot: NIOLockedValueBox<SNTPStatus>

    public init(group: any EventLoopGroup, configuration: SNTPConfiguration, clock: PhoneClock) {
        loop = group.next()
        self.clock = clock
        let machine = SNTPClient(configuration: configuration)
        snapshot = NIOLockedValueBox(machine.status)
        core = Core(machine: machine)
    }

    /// Binds the socket and starts the mode's first step. Starting twice does nothing.
    public func start() async throws {
        let core = self.core
        let configuration = Self.resolved(try await loop.submit { core.machine.configuration }.get())
        try await bindAndStart(configuration).get()
    }

    /// Closes the socket and cancels the timer; the clock keeps its time.
    public func stop() async {
        let core = self.core
        let channel: (any Channel)? = try? await loop.submit { () -> (any Channel)? in
            core.timer?.cancel()
            core.timer = nil
            core.machine.stop()
            let c = core.channel
            core.channel = nil
            return c
        }.get()
        try? await channel?.close()
        publish()
    }

    /// A new configuration after a provisioning boot: the socket is rebound if the listening
    /// needs changed, and the machine starts again if anything changed.
    public func reconfigure(_ configuration: SNTPConfiguration) async throws {
        let new = Self.resolved(configuration)
        let core = self.core, clock = self.clock
        let (running, rebind) = try await loop.submit { () -> (Bool, Bool) in
            let old = core.machine.configuration
            let rebind = core.channel != nil
                && (old.listensForBroadcasts != new.listensForBroadcasts || old.listenPort != new.listenPort)
            return (core.channel != nil, rebind)
        }.get()
        if !running {
            try await loop.submit { core.machine.adopt(new) }.get()
            publish()
            return
        }
        if rebind {
            await stop()
            try await loop.submit { core.machine.adopt(new) }.get()
            try await bindAndStart(new).get()
            return
        }
        try await loop.submit {
            let actions = core.machine.reconfigure(new, at: clock.reading())
            self.perform(actions)
        }.get()
    }

    /// The `show sntp` snapshot (safe from any thread).
    public func status() -> SNTPStatus { snapshot.withLockedValue { $0 } }

    /// The socket's local address while running (tests send broadcasts to it).
    public func localAddress() async -> SocketAddress? {
        let core = self.core
        return try? await loop.submit { core.channel?.localAddress }.get()
    }

    // MARK: on the loop

    /// Loop-confined state: touched only on `loop`.
    final class Core: @unchecked Sendable {
        var machine: SNTPClient
        var channel: (any Channel)?
        var timer: Scheduled<Void>?
        let logger = Logger.category(.sntp)

        init(machine: SNTPClient) { self.machine = machine }

    }

    private static func resolved(_ c: SNTPConfiguration) -> SNTPConfiguration {
        var c = c
        if let server = c.server, (try? SocketAddress(ipAddress: server.host, port: server.port)) == nil {
            if let address = try? SocketAddress.makeAddressResolvingHost(server.host, port: server.port),
               let ip = address.ipAddress {
                c.server = SNTPEndpoint(host: ip, port: server.port)
            } else {
                Logger.category(.sntp).debug("sntp cannot resolve server", metadata: ["server": "\(server)"])
                c.server = nil
            }
        }
        return c
    }

    private func bindAndStart(_ configuration: SNTPConfiguration) -> EventLoopFuture<Void> {
        let core = self.core, clock = self.clock, loop = self.loop
        return loop.flatSubmit { () -> EventLoopFuture<Void> in
            guard core.channel == nil else { return loop.makeSucceededVoidFuture() }
            if core.machine.configuration != configuration {
                core.machine.adopt(configuration)
            }
            let port = configuration.listensForBroadcasts ? configuration.listenPort : 0
            return self.bind(port: port).flatMapError { error in
                guard port != 0 else { return loop.makeFailedFuture(error) }
                core.logger.debug("sntp cannot bind the listen port; using an ephemeral port",
                                  metadata: ["port": "\(port)", "error": "\(error)"])
                return self.bind(port: 0)
            }.flatMap { channel -> EventLoopFuture<Void> in
                core.channel = channel
                core.logger.debug("sntp started", metadata: [
                    "mode": "\(configuration.mode.rawValue)", "server": "\(configuration.server?.description ?? "none")",
                    "local": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                ])
                let joined: EventLoopFuture<Void>
                if configuration.listensForBroadcasts, let multicast = channel as? any MulticastChannel,
                   let group = try? SocketAddress(ipAddress: SNTPConfiguration.multicastGroup, port: port) {
                    joined = multicast.joinGroup(group).flatMapError { error in
                        core.logger.debug("sntp cannot join the NTP multicast group",
                                          metadata: ["group": "\(SNTPConfiguration.multicastGroup)", "error": "\(error)"])
                        return loop.makeSucceededVoidFuture()
                    }
                } else {
                    joined = loop.makeSucceededVoidFuture()
                }
                return joined.map {
                    self.perform(core.machine.start(at: clock.reading()))
                }
            }
        }
    }

    private func bind(port: Int) -> EventLoopFuture<any Channel> {
        let core = self.core
        let bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_broadcast), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SNTPChannelHandler(service: self, core: core))
                }
            }
        // The wildcard address as numbers: no getaddrinfo(3) (NSS and netlink round trips at start).
        guard let any = try? SocketAddress(ipAddress: "0.0.0.0", port: port) else { return bootstrap.bind(host: "0.0.0.0", port: port) }
        return bootstrap.bind(to: any)
    }

    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let ip = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
        let source = SNTPEndpoint(host: ip, port: port)
        let bytes = Array(envelope.data.readableBytesView)
        core.logger.debug("sntp received", metadata: ["from": "\(source)", "bytes": "\(bytes.count)"])
        perform(core.machine.receive(bytes, from: source, at: clock.reading()))
    }

    /// Carries out the machine's actions, then re-arms the timer and publishes the status.
    private func perform(_ actions: [SNTPClient.Action]) {
        let core = self.core
        for action in actions {
            switch action {
            case .send(let bytes, let endpoint):
                guard let channel = core.channel, let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) else {
                    core.logger.debug("sntp cannot send", metadata: ["to": "\(endpoint)"])
                    continue
                }
                core.logger.debug("sntp request", metadata: ["to": "\(endpoint)"])
                let buffer = channel.allocator.buffer(bytes: bytes)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
            case .synchronised(let sample):
                clock.apply(sample)
                core.logger.debug("sntp synchronised", metadata: [
                    "server": "\(sample.server)", "stratum": "\(sample.stratum)", "refid": "\(sample.referenceID)",
                    "offset_ns": "\(sample.measurement.offsetNanoseconds)",
                    "delay_ns": "\(sample.measurement.delayNanoseconds)", "broadcast": "\(sample.isBroadcast)",
                ])
            case .ignored(let source, let reason):
                core.logger.debug("sntp ignored", metadata: ["from": "\(source)", "reason": "\(reason)"])
            case .kissOfDeath(let source, let code):
                core.logger.debug("sntp kiss-o'-death", metadata: ["from": "\(source)", "code": "\(code)"])
            }
        }
        rearm()
        publish()
    }

    private func rearm() {
        let core = self.core
        core.timer?.cancel()
        core.timer = nil
        guard core.channel != nil, let deadline = core.machine.nextDeadline else { return }
        let delay = max(0, deadline - clock.reading().monotonicNanoseconds)
        core.timer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(delay)) {
            self.perform(core.machine.timerFired(at: self.clock.reading()))
        }
    }

    private func publish() {
        let core = self.core
        if loop.inEventLoop {
            let s = core.machine.status
            snapshot.withLockedValue { $0 = s }
        } else {
            loop.execute { let s = core.machine.status; self.snapshot.withLockedValue { $0 = s } }
        }
    }
}

/// Hands datagrams to the service; lives on the service's loop.
private final class SNTPChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let service: SNTPService
    private let core: SNTPService.Core

    init(service: SNTPService, core: SNTPService.Core) {
        self.service = service
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        service.received(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable for an earlier request, and the like: the retry timer decides.
        core.logger.debug("sntp socket error", metadata: ["error": "\(error)"])
    }
}
