import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import TOMLKit
import UnixSignals
import WeirBroker
import WeirReplication

/// `weir serve`: the Kafka-compatible broker. Every flag can also be set in a TOML file (`--config`);
/// flags given on the command line win over the file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Weir broker speaking the Kafka protocol.",
        discussion: """
            With no flags it stores data in ./weir-data, listens on 127.0.0.1:9092 and serves Prometheus \
            metrics on 127.0.0.1:9644. A config file uses the flag names as keys, e.g.
              data = "/var/lib/weir"
              listen = "0.0.0.0:9092"
              advertise = "broker1.bank.internal:9092"
              node-id = 1
            A two-node pair (synchronous replication, RPO = 0): start one node with --role primary and the             other with --role replica, each with --peer naming the other's Kafka listener and distinct             --node-id values; after that the persisted epoch and role win over --role.
            """)

    @Option(name: .long, help: "TOML file with any of the options below (command-line flags override it).")
    var config: String?

    @Option(name: .long, help: "Data directory (default ./weir-data).")
    var data: String?

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:9092).")
    var listen: String?

    @Option(name: .long, help: "Address clients are told to connect to, HOST:PORT (default: the listen address).")
    var advertise: String?

    @Option(name: .customLong("node-id"), help: "Broker id (default 1).")
    var nodeId: Int32?

    @Option(name: .long, help: "Prometheus metrics address HOST:PORT, or 'off' (default 127.0.0.1:9644).")
    var metrics: String?

    @Option(name: .customLong("auto-create-topics"), help: "Create unknown topics on Metadata/Produce (default true).")
    var autoCreateTopics: Bool?

    @Option(name: .customLong("default-partitions"), help: "Partitions of auto-created topics (default 1).")
    var defaultPartitions: Int32?

    @Option(name: .customLong("group-initial-rebalance-delay-ms"), help: "Wait for more members before the first rebalance of an empty group (default 3000).")
    var groupInitialRebalanceDelayMs: Int64?

    @Option(name: .customLong("max-request-bytes"), help: "Largest request frame accepted (default 104857600).")
    var maxRequestBytes: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(name: .long, help: "Processors file (YAML) for the in-broker risk engine: preprocessors and models (docs/risk-engine.md).")
    var processors: String?
    @Option(name: .long, help: "Pair mode: this node's first role, primary or replica (needs --peer).")
    var role: String?

    @Option(name: .long, help: "Pair mode: the other node's Kafka listener HOST:PORT (also what clients are told when it is primary).")
    var peer: String?

    @Option(name: .customLong("peer-node-id"), help: "Pair mode: the other node's id (default: 2 if this node is 1, else 1).")
    var peerNodeId: Int32?

    @Option(name: .customLong("allow-degraded"), help: "Pair mode: acknowledge with the primary's fsync alone while the replica is lost (breaks RPO = 0; logged, metered, audited). Default false.")
    var allowDegraded: Bool?

    @Option(name: .customLong("replication-timeout-ms"), help: "Pair mode: a write not replicated within this fails with NOT_ENOUGH_REPLICAS_AFTER_APPEND (default 5000).")
    var replicationTimeoutMs: Int64?

    func run() async throws {
        let file = try config.map(ServeFileConfig.load) ?? ServeFileConfig()
        var settings = BrokerConfiguration()
        settings.dataDirectory = data ?? file.string("data") ?? "./weir-data"
        let listenText = listen ?? file.string("listen") ?? "127.0.0.1:9092"
        let listenAddress = try HostPort(parsing: listenText, option: "--listen")
        let advertised = try HostPort(parsing: advertise ?? file.string("advertise") ?? listenText, option: "--advertise")
        settings.advertisedHost = advertised.host == "0.0.0.0" ? "127.0.0.1" : advertised.host
        settings.advertisedPort = Int32(advertised.port)
        settings.nodeId = try nodeId ?? file.int("node-id").map { Int32($0) } ?? 1
        settings.autoCreateTopics = try autoCreateTopics ?? file.bool("auto-create-topics") ?? true
        settings.defaultPartitions = try defaultPartitions ?? file.int("default-partitions").map { Int32($0) } ?? 1
        settings.groupInitialRebalanceDelayMs = try groupInitialRebalanceDelayMs ?? file.int("group-initial-rebalance-delay-ms").map { Int64($0) } ?? 3000
        settings.maxFrameBytes = try maxRequestBytes ?? file.int("max-request-bytes") ?? settings.maxFrameBytes
        guard settings.defaultPartitions >= 1 else { throw ValidationError("--default-partitions must be at least 1") }
        guard settings.nodeId >= 0 else { throw ValidationError("--node-id must not be negative") }
        let roleText = role ?? file.string("role")
        let peerText = peer ?? file.string("peer")
        switch (roleText, peerText) {
        case (nil, nil): break
        case (nil, _): throw ValidationError("--peer needs --role primary|replica")
        case (_, nil): throw ValidationError("--role needs --peer HOST:PORT (the other node of the pair)")
        case (let r?, let p?):
            guard let initialRole = Role(rawValue: r) else { throw ValidationError("--role: expected primary or replica, got '\(r)'") }
            let peerAddress = try HostPort(parsing: p, option: "--peer")
            let peerId = try peerNodeId ?? file.int("peer-node-id").map { Int32($0) } ?? (settings.nodeId == 1 ? 2 : 1)
            guard peerId != settings.nodeId, peerId >= 0 else { throw ValidationError("--peer-node-id must differ from --node-id (\(settings.nodeId))") }
            var pair = PairConfiguration(initialRole: initialRole, peerHost: peerAddress.host, peerPort: peerAddress.port, peerNodeId: peerId)
            pair.allowDegraded = try allowDegraded ?? file.bool("allow-degraded") ?? false
            pair.ackTimeoutMs = try replicationTimeoutMs ?? file.int("replication-timeout-ms").map { Int64($0) } ?? 5_000
            guard pair.ackTimeoutMs >= 100 else { throw ValidationError("--replication-timeout-ms must be at least 100") }
            settings.pair = pair
        }
        let metricsText = metrics ?? file.string("metrics") ?? "127.0.0.1:9644"
        let metricsAddress = metricsText == "off" ? nil : try HostPort(parsing: metricsText, option: "--metrics")

        let engine = try ProcessorsService.load(processors ?? file.string("processors"))

        let levelText = logLevel ?? file.string("log-level") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else { throw ValidationError("--log-level: unknown level '\(levelText)'") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "weir")

        let broker: Broker
        do {
            broker = try Broker(configuration: settings, logger: logger)
        } catch {
            throw ValidationError("cannot open data directory \(settings.dataDirectory): \(error)")
        }
        let server = KafkaServer(
            broker: broker, host: listenAddress.host, port: listenAddress.port,
            metrics: metricsAddress.map { ($0.host, $0.port) }, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)] + ProcessorsService.services(engine, broker: broker, logger: logger),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// HOST:PORT as given to --listen, --advertise, --metrics, --broker.
struct HostPort {
    var host: String
    var port: Int
    init(parsing text: String, option: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("\(option): expected HOST:PORT, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("\(option): missing host in '\(text)'") }
        self.host = host
        self.port = port
    }
}

/// The `--config` TOML file: flag names as keys.
struct ServeFileConfig {
    static let knownKeys: Set<String> = [
        "data", "listen", "advertise", "node-id", "metrics", "auto-create-topics", "default-partitions",
        "group-initial-rebalance-delay-ms", "max-request-bytes", "log-level", "processors",
        "role", "peer", "peer-node-id", "allow-degraded", "replication-timeout-ms",
    ]
    var table: TOMLTable = TOMLTable()
    var path = ""

    static func load(_ path: String) throws -> ServeFileConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--config: cannot read \(path)")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ValidationError("\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        }
        for key in table.keys where !knownKeys.contains(key) {
            throw ValidationError("\(path): unknown key '\(key)' (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        return ServeFileConfig(table: table, path: path)
    }

    func string(_ key: String) -> String? { table[key]?.string }
    func int(_ key: String) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let n = value.int else { throw ValidationError("\(path): '\(key)' must be an integer") }
        return n
    }
    func bool(_ key: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else { throw ValidationError("\(path): '\(key)' must be true or false") }
        return b
    }
}
