import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import WeirProtocol

/// Counts requests in flight so shutdown can drain them.
final class ConnectionTracker: Sendable {
    private let inFlight = Atomic<Int>(0)
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    func opened(_ c: any Channel) { channels.withLock { $0[ObjectIdentifier(c)] = c } }
    func closed(_ c: any Channel) { _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(c)) } }
    func closeAll() async {
        for c in channels.withLock({ Array($0.values) }) { try? await c.close() }
    }
    func requestStarted() { inFlight.add(1, ordering: .relaxed) }
    func requestFinished() { inFlight.subtract(1, ordering: .relaxed) }
    var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
}

/// The Kafka listener as a swift-service-lifecycle `Service`: binds, serves until graceful shutdown
/// (SIGTERM/SIGINT), stops accepting, drains in-flight requests, then closes every log cleanly.
public final class KafkaServer: Service, Sendable {
    public let broker: Broker
    let host: String
    let port: Int
    let metricsAddress: (host: String, port: Int)?
    let group: any EventLoopGroup
    let logger: Logger
    let tracker = ConnectionTracker()
    private let bound = Mutex<(kafka: Int?, metrics: Int?)>((nil, nil))
    private let boundWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])

    public init(broker: Broker, host: String, port: Int, metrics: (host: String, port: Int)?, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.broker = broker
        self.host = host
        self.port = port
        self.metricsAddress = metrics
        self.group = group
        self.logger = logger
    }

    /// The Kafka port actually bound (useful with port 0), once `run` has bound it.
    public var boundPort: Int? { bound.withLock { $0.kafka } }
    public var boundMetricsPort: Int? { bound.withLock { $0.metrics } }

    /// Waits until the listeners are bound (or `run` failed).
    public func waitUntilBound() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = bound.withLock { $0.kafka != nil }
            if ready { c.resume() } else { boundWaiters.withLock { $0.append(c) } }
        }
    }

    private func markBound(kafka: Int, metrics: Int?) {
        bound.withLock { $0 = (kafka, metrics) }
        let waiters = boundWaiters.withLock { w -> [CheckedContinuation<Void, Never>] in defer { w = [] }; return w }
        for w in waiters { w.resume() }
    }

    public func run() async throws {
        let broker = self.broker
        let tracker = self.tracker
        let logger = self.logger
        let maxFrame = broker.configuration.maxFrameBytes
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: maxFrame)))
                    try channel.pipeline.syncOperations.addHandler(KafkaConnectionHandler(broker: broker, tracker: tracker, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
        var metricsChannel: (any Channel)?
        if let m = metricsAddress {
            do {
                metricsChannel = try await MetricsEndpoint.bind(host: m.host, port: m.port, metrics: broker.metrics, group: group)
            } catch {
                try? await channel.close()
                throw BrokerError("cannot listen for metrics on \(m.host):\(m.port): \(error)")
            }
        }
        let port = channel.localAddress?.port ?? self.port
        markBound(kafka: port, metrics: metricsChannel?.localAddress?.port)
        logger.info("weir serving Kafka protocol", metadata: [
            "listen": "\(host):\(port)", "advertised": "\(broker.configuration.advertisedHost):\(broker.configuration.advertisedPort)",
            "metrics": "\(metricsChannel?.localAddress.map { "\($0)" } ?? "off")", "data": "\(broker.configuration.dataDirectory)",
        ])

        // Background ticks: group session/rebalance timeouts every 100 ms, gauges every 5 s.
        let ticker = Task {
            var n = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                if broker.isPrimary { await broker.groups.tick() }  // expiry writes records: the primary's job
                n += 1
                if n % 50 == 0 { await broker.refreshGauges() }
            }
        }

        // Graceful shutdown (SIGTERM/SIGINT through ServiceGroup) and task cancellation both stop the listener.
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            logger.info("shutdown requested: no new connections, draining in-flight requests")
            channel.close(promise: nil)
        }
        ticker.cancel()
        await broker.groups.shutdown()  // parked joins/syncs answer NOT_COORDINATOR so the drain is not held up
        await broker.groups.shutdown()  // parked JoinGroup/SyncGroup answer now instead of holding up the drain
        // Drain: in-flight requests finish (bounded by 10 s) before the logs close.
        // (In a task of its own: a cancelled caller's sleeps would return at once and spin.)
        await Task.detached {
            let drainDeadline = ContinuousClock.now + .seconds(10)
            while tracker.requestsInFlight > 0, ContinuousClock.now < drainDeadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }.value
        await tracker.closeAll()
        try? await metricsChannel?.close()
        await broker.shutdown()
        logger.info("weir stopped cleanly")
    }
}
