import CoreMetrics
import Metrics
import Prometheus
import Synchronization
import WeirProtocol
import WeirStorage

/// The broker's metrics, created through an explicit swift-metrics factory (Prometheus when serving,
/// no-op in tests that don't look). Each metric name always carries the same label names.
public final class BrokerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: any MetricsFactory
    private let requestCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let errorCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let latencyTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let partitionGauges = Mutex<[String: (CoreMetrics.Gauge, CoreMetrics.Gauge, CoreMetrics.Gauge)]>([:])
    private let lagGauges = Mutex<[String: CoreMetrics.Gauge]>([:])
    private let bytesInCounter: CoreMetrics.Counter
    private let bytesOutCounter: CoreMetrics.Counter
    private let fsyncTimer: CoreMetrics.Timer
    private let fdatasyncTimer: CoreMetrics.Timer
    private let groupCommitRecorder: Recorder
    private let connectionsGauge: CoreMetrics.Gauge
    private let connectionsTotal: CoreMetrics.Counter
    private let openConnections = Atomic<Int>(0)
    private let replicationRoleGauge: CoreMetrics.Gauge
    private let replicationEpochGauge: CoreMetrics.Gauge
    private let replicationPeerGauge: CoreMetrics.Gauge
    private let replicationAloneGauge: CoreMetrics.Gauge
    private let replicationAloneSeconds: CoreMetrics.FloatingPointCounter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var prometheus = PrometheusMetricsFactory(registry: registry)
        prometheus.valueHistogramBuckets["weir_group_commit_batches"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        prometheus.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5), .seconds(30),
        ]
        factory = prometheus
        bytesInCounter = CoreMetrics.Counter(label: "weir_bytes_in_total", dimensions: [], factory: factory)
        bytesOutCounter = CoreMetrics.Counter(label: "weir_bytes_out_total", dimensions: [], factory: factory)
        fsyncTimer = CoreMetrics.Timer(label: "weir_fsync_wait_seconds", dimensions: [], factory: factory)
        fdatasyncTimer = CoreMetrics.Timer(label: "weir_fdatasync_seconds", dimensions: [], factory: factory)
        groupCommitRecorder = Recorder(label: "weir_group_commit_batches", dimensions: [], aggregate: true, factory: factory)
        connectionsGauge = CoreMetrics.Gauge(label: "weir_connections", dimensions: [], factory: factory)
        connectionsTotal = CoreMetrics.Counter(label: "weir_connections_accepted_total", dimensions: [], factory: factory)
        replicationRoleGauge = CoreMetrics.Gauge(label: "weir_replication_primary", dimensions: [], factory: factory)
        replicationEpochGauge = CoreMetrics.Gauge(label: "weir_replication_epoch", dimensions: [], factory: factory)
        replicationPeerGauge = CoreMetrics.Gauge(label: "weir_replication_peer_connected", dimensions: [], factory: factory)
        replicationAloneGauge = CoreMetrics.Gauge(label: "weir_replication_acknowledging_alone", dimensions: [], factory: factory)
        replicationAloneSeconds = CoreMetrics.FloatingPointCounter(label: "weir_replication_alone_seconds_total", dimensions: [], factory: factory)
    }

    /// Pair mode: 1 while this node is the primary; its fencing epoch.
    func replicationState(primary: Bool, epoch: Int32) {
        replicationRoleGauge.record(primary ? 1 : 0)
        replicationEpochGauge.record(Int64(epoch))
    }
    func replicationPeer(connected: Bool) { replicationPeerGauge.record(connected ? 1 : 0) }
    /// 1 while the primary acknowledges with its own fsync only (RPO = 0 does not hold meanwhile).
    func replicationAlone(_ alone: Bool) { replicationAloneGauge.record(alone ? 1 : 0) }
    /// Adds a finished period of acknowledging alone.
    func replicationAloneTime(milliseconds: Int64) { replicationAloneSeconds.increment(by: Double(milliseconds) / 1000) }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    func request(_ api: ApiKey, version: Int16, nanoseconds: UInt64, error: KafkaErrorCode?) {
        let name = "\(api)"
        let key = "\(name)/\(version)"
        let counter = requestCounters.withLock { counters in
            if let c = counters[key] { return c }
            let c = CoreMetrics.Counter(label: "weir_requests_total", dimensions: [("api", name), ("version", String(version))], factory: factory)
            counters[key] = c
            return c
        }
        counter.increment()
        let timer = latencyTimers.withLock { timers in
            if let t = timers[name] { return t }
            let t = CoreMetrics.Timer(label: "weir_request_duration_seconds", dimensions: [("api", name)], factory: factory)
            timers[name] = t
            return t
        }
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
        if let error { requestError(api, error) }
    }

    func requestError(_ api: ApiKey, _ error: KafkaErrorCode) {
        let key = "\(api)/\(error)"
        let counter = errorCounters.withLock { counters in
            if let c = counters[key] { return c }
            let c = CoreMetrics.Counter(label: "weir_request_errors_total", dimensions: [("api", "\(api)"), ("error", "\(error)")], factory: factory)
            counters[key] = c
            return c
        }
        counter.increment()
    }

    func produceRejected(_ code: KafkaErrorCode) { requestError(.produce, code) }
    func bytesIn(_ n: Int) { bytesInCounter.increment(by: Int64(n)) }
    func bytesOut(_ n: Int) { if n > 0 { bytesOutCounter.increment(by: Int64(n)) } }
    /// One fdatasync of a partition log: its duration and how many batches it made durable together.
    func fdatasync(batches: Int, nanoseconds: UInt64) {
        fdatasyncTimer.recordNanoseconds(Int64(clamping: nanoseconds))
        groupCommitRecorder.record(batches)
    }
    func fsyncWait(nanoseconds: UInt64) { fsyncTimer.recordNanoseconds(Int64(clamping: nanoseconds)) }

    func connectionOpened() {
        connectionsTotal.increment()
        connectionsGauge.record(openConnections.add(1, ordering: .relaxed).newValue)
    }
    func connectionClosed() {
        connectionsGauge.record(openConnections.subtract(1, ordering: .relaxed).newValue)
    }

    /// Log end offset, high watermark and size of one partition.
    func partition(topic: String, partition: Int32, logEndOffset: Int64, highWatermark: Int64, sizeBytes: Int) {
        let key = "\(topic)/\(partition)"
        let gauges = partitionGauges.withLock { all in
            if let g = all[key] { return g }
            let dims = [("topic", topic), ("partition", String(partition))]
            let g = (CoreMetrics.Gauge(label: "weir_log_end_offset", dimensions: dims, factory: factory),
                     CoreMetrics.Gauge(label: "weir_high_watermark", dimensions: dims, factory: factory),
                     CoreMetrics.Gauge(label: "weir_log_size_bytes", dimensions: dims, factory: factory))
            all[key] = g
            return g
        }
        gauges.0.record(logEndOffset)
        gauges.1.record(highWatermark)
        gauges.2.record(sizeBytes)
    }

    func consumerLag(group: String, topic: String, partition: Int32, lag: Int64) {
        let key = "\(group)/\(topic)/\(partition)"
        let gauge = lagGauges.withLock { all in
            if let g = all[key] { return g }
            let g = CoreMetrics.Gauge(label: "weir_consumer_group_lag", dimensions: [("group", group), ("topic", topic), ("partition", String(partition))], factory: factory)
            all[key] = g
            return g
        }
        gauge.record(lag)
    }
}

extension Broker {
    /// Refreshes the per-partition gauges and consumer-group lag (called periodically by the server).
    public func refreshGauges() async {
        for t in topics.allTopics {
            for p in t.partitions {
                metrics.partition(topic: t.name, partition: p.index, logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark, sizeBytes: p.log.sizeInBytes)
            }
        }
        for c in await groups.committedOffsets() {
            guard let p = topics.partition(c.topic, c.partition) else { continue }
            metrics.consumerLag(group: c.group, topic: c.topic, partition: c.partition, lag: max(0, p.highWatermark - c.offset))
        }
    }
}
