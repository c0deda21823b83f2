import Foundation
import Logging
import Synchronization
import WeirProtocol
import WeirReplication
import WeirStorage

/// A topic: its partitions and configuration.
public final class Topic: Sendable {
    public let name: String
    public let partitions: [Partition]
    public let config: TopicConfig

    init(name: String, partitions: [Partition], config: TopicConfig) {
        self.name = name
        self.partitions = partitions
        self.config = config
    }
}

/// The topics of this broker: which exist, with how many partitions and which config overrides, is the
/// `MetadataLog` (changes are fsynced there before they are applied or acknowledged); each partition's
/// `PartitionLog` lives in `<data>/topics/<name>/<partition>/`.
public final class TopicRegistry: Sendable {
    public let directory: String
    private let disk: any Disk
    private let cleaner: LogCleaner
    private let logger: Logger
    private let metrics: BrokerMetrics?
    private let topics: Mutex<[String: Topic]>
    let metadata: MetadataLog
    /// Serialises create/delete/alter so metadata files and the map change together.
    private let adminLock = Mutex(())
    /// The end of the catalogue records reflected in `topics` (a replica applies replicated ones up to its
    /// high watermark; a primary applies its own as it writes them).
    private let appliedCatalogueEnd: Mutex<Int64>
    /// Pair mode: partitions opened or about to be closed, for the replication node.
    private let hooks = Mutex<Hooks>(Hooks())
    struct Hooks {
        var opened: (@Sendable ([PartitionKey]) -> Void)?
        var closing: (@Sendable ([PartitionKey]) throws -> Void)?
    }

    /// Names of Weir's internal logs: no topic may take them (replication addresses logs by name).
    public static let reservedNames: Set<String> = [MetadataLog.directoryName, "__consumer_offsets"]

    struct TopicFile: Codable {
        var partitions: Int32
        var config: [String: String]
    }

    public static let maxNameLength = 249

    /// Kafka's topic name rule: 1–249 of [a-zA-Z0-9._-], not "." or "..". Nil when valid.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "topic name is empty" }
        if name == "." || name == ".." { return "topic name cannot be '.' or '..'" }
        if name.utf8.count > maxNameLength { return "topic name is longer than \(maxNameLength) characters" }
        let legal = name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        return legal ? nil : "topic name '\(name)' has characters other than ASCII letters, digits, '.', '_' and '-'"
    }

    /// Opens every topic the metadata log names, recovering each partition's log; finishes a deletion a
    /// crash interrupted; adopts a topic directory the log does not know (written before the log existed).
    public init(dataDirectory: String, disk: any Disk, cleaner: LogCleaner, logger: Logger, metrics: BrokerMetrics? = nil, adoptUnknownDirectories: Bool = true) throws {
        self.metrics = metrics
        directory = dataDirectory + "/topics"
        self.disk = disk
        self.cleaner = cleaner
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        metadata = try MetadataLog(dataDirectory: dataDirectory, disk: disk, logger: logger)
        cleaner.register(metadata.log)
        var found: [String: Topic] = [:]
        var known: Set<String> = []
        for (name, state) in try metadata.replay() {
            known.insert(name)
            guard let state else {
                Self.removeDirectory("\(directory)/\(name)", logger: logger)  // a deletion the crash interrupted
                continue
            }
            let config = try Self.validated(state.config, source: "\(MetadataLog.directoryName) record of '\(name)'")
            found[name] = try Self.open(name: name, count: state.partitions, config: config, in: directory, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, existing: [])
        }
        // (Not in a pair: there the catalogue is written by replication only.)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where adoptUnknownDirectories && Self.nameProblem(name) == nil && !known.contains(name) {
            let partitions = (try FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(name)")).compactMap { Int32($0) }
            guard let count = partitions.max().map({ $0 + 1 }) else { continue }
            var overrides: [String: String] = [:]
            if let data = FileManager.default.contents(atPath: "\(directory)/\(name)/topic.json"),
               let file = try? JSONDecoder().decode(TopicFile.self, from: data) {
                overrides = file.config
            }
            let config = try Self.validated(overrides, source: "\(directory)/\(name)/topic.json")
            try metadata.record(topic: name, state: .init(partitions: count, config: config.overrides))
            logger.notice("adopted a topic directory missing from the metadata log", metadata: ["topic": "\(name)", "partitions": "\(count)"])
            found[name] = try Self.open(name: name, count: count, config: config, in: directory, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, existing: [])
        }
        topics = Mutex(found)
        appliedCatalogueEnd = Mutex(metadata.log.logEndOffset)
        logger.info("topics loaded", metadata: ["count": "\(found.count)"])
    }

    func setHooks(opened: @escaping @Sendable ([PartitionKey]) -> Void, closing: @escaping @Sendable ([PartitionKey]) throws -> Void) {
        hooks.withLock { $0 = Hooks(opened: opened, closing: closing) }
    }

    private func recordChange(topic: String, state: MetadataLog.TopicState?) throws {
        try metadata.record(topic: topic, state: state)
        let end = metadata.log.logEndOffset
        appliedCatalogueEnd.withLock { $0 = max($0, end) }
    }

    private func notifyOpened(_ name: String, from: Int, to: Int) {
        guard from < to, let opened = hooks.withLock({ $0.opened }) else { return }
        opened((from..<to).map { PartitionKey(name, Int32($0)) })
    }

    // MARK: Replica side (called on the replication executor only)

    /// A partition the primary reports before the replicated catalogue named it here: opened with the
    /// config the catalogue log holds for its topic so far (or the defaults); the catalogue fixes it later.
    func ensureReplicaPartition(_ name: String, _ index: Int32) throws -> Partition {
        if let p = partition(name, index) { return p }
        guard Self.nameProblem(name) == nil, index >= 0, index < 100_000 else { throw BrokerError("invalid replicated partition \(name)-\(index)") }
        let existing = topic(name)
        let config = existing?.config ?? TopicConfig()
        let t = try Self.open(name: name, count: index + 1, config: config, in: directory, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, existing: existing?.partitions ?? [])
        topics.withLock { $0[name] = t }
        return t.partitions[Int(index)]
    }

    /// Applies the replicated catalogue records below `end` not applied yet: topics created, grown,
    /// reconfigured or deleted as the primary did. `closing` runs before a deleted topic's logs close.
    /// Returns the partitions removed.
    func applyReplicated(upTo end: Int64, closing: ([PartitionKey]) -> Void) throws -> [PartitionKey] {
        let from = appliedCatalogueEnd.withLock { $0 }
        guard end > from else { return [] }
        var removed: [PartitionKey] = []
        for change in try metadata.changes(from: from, to: end) {
            let name = change.topic
            guard let state = change.state else {
                guard let t = topic(name) else { continue }
                let keys = t.partitions.map { PartitionKey(name, $0.index) }
                closing(keys)
                close(t)
                removed += keys
                logger.info("topic deleted (replicated)", metadata: ["topic": "\(name)"])
                continue
            }
            let config = try Self.validated(state.config, source: "replicated catalogue record of '\(name)'")
            let existing = topic(name)
            let t = try Self.open(name: name, count: max(state.partitions, Int32(existing?.partitions.count ?? 0)), config: config, in: directory, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, existing: existing?.partitions ?? [])
            if let existing, existing.config.overrides != config.overrides {
                for p in existing.partitions { p.log.updateConfig(config.logConfig) }
            }
            topics.withLock { $0[name] = t }
            if existing == nil { logger.info("topic created (replicated)", metadata: ["topic": "\(name)", "partitions": "\(state.partitions)"]) }
        }
        appliedCatalogueEnd.withLock { $0 = max($0, end) }
        return removed
    }

    private func close(_ t: Topic) {
        topics.withLock { _ = $0.removeValue(forKey: t.name) }
        for p in t.partitions {
            cleaner.unregister(p.log)
            try? p.log.close()
            p.advanceHighWatermark(to: Int64.max)  // wake long-polling fetchers: they will see the topic gone
        }
        Self.removeDirectory("\(directory)/\(t.name)", logger: logger)
    }

    private static func validated(_ overrides: [String: String], source: String) throws -> TopicConfig {
        var config = TopicConfig()
        for (k, v) in overrides {
            if let problem = TopicConfig.problem(name: k, value: v) { throw BrokerError("\(source): \(problem)") }
            config.set(k, v)
        }
        return config
    }

    private static func removeDirectory(_ path: String, logger: Logger) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        // Rename first so a crash mid-removal never leaves a half-deleted topic that loads again.
        let trash = (path as NSString).deletingLastPathComponent + "/.deleted-\(UInt64.random(in: 0...UInt64.max))"
        do {
            try FileManager.default.moveItem(atPath: path, toPath: trash)
            try FileManager.default.removeItem(atPath: trash)
        } catch {
            logger.error("topic directory not fully removed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    private static func open(name: String, count: Int32, config: TopicConfig, in directory: String, disk: any Disk, cleaner: LogCleaner, logger: Logger, metrics: BrokerMetrics?, existing: [Partition]) throws -> Topic {
        var partitions = existing
        for p in Int32(existing.count)..<count {
            let log: PartitionLog
            do {
                log = try PartitionLog(directory: "\(directory)/\(name)/\(p)", config: config.logConfig, disk: disk, logger: logger)
            } catch {
                throw BrokerError("cannot open partition \(name)-\(p): \(error)")
            }
            cleaner.register(log)
            if let metrics { log.observeSyncs { metrics.fdatasync(batches: $0, nanoseconds: $1) } }
            partitions.append(Partition(topic: name, index: p, log: log))
        }
        return Topic(name: name, partitions: partitions, config: config)
    }

    public func topic(_ name: String) -> Topic? { topics.withLock { $0[name] } }

    public func partition(_ topic: String, _ index: Int32) -> Partition? {
        guard let t = self.topic(topic), index >= 0, index < t.partitions.count else { return nil }
        return t.partitions[Int(index)]
    }

    public var allTopics: [Topic] { topics.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

    /// Creates a topic. Throws `TopicError` with the Kafka error code to answer.
    @discardableResult
    public func create(name: String, partitions: Int32, configs: [(String, String?)], validateOnly: Bool = false) throws(TopicError) -> Topic? {
        if let problem = Self.nameProblem(name) { throw TopicError(.invalidTopicException, problem) }
        if Self.reservedNames.contains(name) { throw TopicError(.invalidTopicException, "topic name '\(name)' is reserved for Weir's internal log") }
        guard partitions >= 1, partitions <= 100_000 else { throw TopicError(.invalidPartitions, "number of partitions must be between 1 and 100000, got \(partitions)") }
        var config = TopicConfig()
        for (k, v) in configs {
            if let problem = TopicConfig.problem(name: k, value: v) { throw TopicError(.invalidConfig, problem) }
            config.set(k, v)
        }
        return try adminLock.withLock { _ throws(TopicError) -> Topic? in
            if topic(name) != nil { throw TopicError(.topicAlreadyExists, "topic '\(name)' already exists") }
            // Kafka forbids topics whose names differ only in '.' vs '_' (they collide in metric names).
            let collisionKey = name.replacingOccurrences(of: ".", with: "_")
            if let other = allTopics.first(where: { $0.name.replacingOccurrences(of: ".", with: "_") == collisionKey }) {
                throw TopicError(.invalidTopicException, "topic '\(name)' collides with existing topic '\(other.name)'")
            }
            if validateOnly { return nil }
            do {
                try recordChange(topic: name, state: .init(partitions: partitions, config: config.overrides))
                let t = try Self.open(name: name, count: partitions, config: config, in: directory, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, existing: [])
                topics.withLock { $0[name] = t }
                notifyOpened(name, from: 0, to: Int(partitions))
                logger.info("topic created", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
                return t
            } catch {
                throw TopicError(.kafkaStorageError, "cannot create topic '\(name)': \(error)")
            }
        }
    }

    /// Deletes a topic: its partitions are closed and its directory removed.
    public func delete(name: String) throws(TopicError) {
        try adminLock.withLock { _ throws(TopicError) in
            guard let t = topic(name) else { throw TopicError(.unknownTopicOrPartition, "topic '\(name)' does not exist") }
            do { try recordChange(topic: name, state: nil) } catch {
                throw TopicError(.kafkaStorageError, "cannot record the deletion of '\(name)': \(error)")
            }
            if let closing = hooks.withLock({ $0.closing }) {
                // The replication node lets go of the partitions before their logs close.
                try? closing(t.partitions.map { PartitionKey(name, $0.index) })
            }
            close(t)
            logger.info("topic deleted", metadata: ["topic": "\(name)"])
        }
    }

    /// Raises the partition count of a topic.
    public func addPartitions(name: String, count: Int32, validateOnly: Bool) throws(TopicError) {
        try adminLock.withLock { _ throws(TopicError) in
            guard let t = topic(name) else { throw TopicError(.unknownTopicOrPartition, "topic '\(name)' does not exist") }
            guard count > t.partitions.count else {
                throw TopicError(.invalidPartitions, "topic '\(name)' has \(t.partitions.count) partitions; the new count \(count) must be larger")
            }
            guard count <= 100_000 else { throw TopicError(.invalidPartitions, "at most 100000 partitions") }
            if validateOnly { return }
            do {
                try recordChange(topic: name, state: .init(partitions: count, config: t.config.overrides))
                let grown = try Self.open(name: name, count: count, config: t.config, in: directory, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, existing: t.partitions)
                topics.withLock { $0[name] = grown }
                notifyOpened(name, from: t.partitions.count, to: Int(count))
            } catch {
                throw TopicError(.kafkaStorageError, "cannot add partitions to '\(name)': \(error)")
            }
        }
    }

    /// Replaces a topic's configuration overrides (validated by the caller) and applies them to its logs.
    public func setConfig(name: String, _ config: TopicConfig) throws(TopicError) {
        try adminLock.withLock { _ throws(TopicError) in
            guard let t = topic(name) else { throw TopicError(.unknownTopicOrPartition, "topic '\(name)' does not exist") }
            do { try recordChange(topic: name, state: .init(partitions: Int32(t.partitions.count), config: config.overrides)) } catch {
                throw TopicError(.kafkaStorageError, "cannot write config of '\(name)': \(error)")
            }
            for p in t.partitions { p.log.updateConfig(config.logConfig) }
            topics.withLock { $0[name] = Topic(name: name, partitions: t.partitions, config: config) }
        }
    }

    /// Closes every partition (clean shutdown: indexes saved, data fsynced).
    public func closeAll() {
        cleaner.unregister(metadata.log)
        try? metadata.log.close()
        for t in allTopics {
            for p in t.partitions {
                cleaner.unregister(p.log)
                do { try p.log.close() } catch {
                    logger.error("partition did not close cleanly", metadata: ["partition": "\(t.name)-\(p.index)", "error": "\(error)"])
                }
            }
        }
    }
}

/// A topic administration failure with the Kafka error code to answer.
public struct TopicError: Error, CustomStringConvertible, Sendable {
    public let code: KafkaErrorCode
    public let description: String
    public init(_ code: KafkaErrorCode, _ description: String) {
        self.code = code
        self.description = description
    }
}
