import Foundation
import WeirStorage

/// A topic's configuration as Kafka names it (`retention.ms`, `cleanup.policy`, …): only the keys set
/// explicitly are stored; the rest take the broker defaults. Every key Weir accepts is one it enforces.
public struct TopicConfig: Sendable, Hashable, Codable {
    /// Keys explicitly set on the topic, with their validated values.
    public private(set) var overrides: [String: String]

    public init(overrides: [String: String] = [:]) { self.overrides = overrides }

    /// What one configuration key means and how its value is checked.
    struct Key: Sendable {
        let name: String
        let defaultValue: String
        /// Kafka's config type for DescribeConfigs v3+: 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class, 9 password.
        let type: Int8
        let validate: @Sendable (String) -> String?  // nil when valid, else the reason
        let documentation: String
    }

    static func longValue(min: Int64) -> @Sendable (String) -> String? {
        { value in
            guard let n = Int64(value) else { return "'\(value)' is not a number" }
            return n < min ? "must be at least \(min)" : nil
        }
    }

    /// The keys Weir supports. Anything else is refused with INVALID_CONFIG, never stored and ignored.
    static let keys: [Key] = [
        Key(name: "cleanup.policy", defaultValue: "delete", type: 7, validate: { value in
            let parts = Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            return parts.isEmpty || !parts.isSubset(of: ["delete", "compact"]) ? "must be delete, compact or compact,delete" : nil
        }, documentation: "delete: drop old segments by retention; compact: keep the latest record per key"),
        Key(name: "retention.ms", defaultValue: "604800000", type: 5, validate: longValue(min: -1), documentation: "maximum age of a segment's newest record; -1 keeps forever"),
        Key(name: "retention.bytes", defaultValue: "-1", type: 5, validate: longValue(min: -1), documentation: "maximum partition size; -1 is unlimited"),
        Key(name: "segment.bytes", defaultValue: "1073741824", type: 3, validate: { v in
            guard let n = Int32(v) else { return "'\(v)' is not a 32-bit number" }
            return n < 14 ? "must be at least 14" : nil
        }, documentation: "size at which the active segment rolls"),
        Key(name: "segment.ms", defaultValue: "604800000", type: 5, validate: longValue(min: 1), documentation: "age at which the active segment rolls"),
        Key(name: "max.message.bytes", defaultValue: "1048588", type: 3, validate: { v in
            guard let n = Int32(v) else { return "'\(v)' is not a 32-bit number" }
            return n < 0 ? "must be at least 0" : nil
        }, documentation: "largest record batch accepted"),
        Key(name: "delete.retention.ms", defaultValue: "86400000", type: 5, validate: longValue(min: 0), documentation: "how long tombstones survive compaction"),
        Key(name: "segment.index.bytes", defaultValue: "10485760", type: 3, validate: longValue(min: 4), documentation: "accepted for compatibility; Weir's sparse indexes grow as needed"),
        Key(name: "index.interval.bytes", defaultValue: "4096", type: 3, validate: longValue(min: 0), documentation: "bytes between offset index entries"),
        Key(name: "min.insync.replicas", defaultValue: "1", type: 3, validate: { v in
            guard let n = Int32(v) else { return "'\(v)' is not a number" }
            return (1...2).contains(n) ? nil : "must be 1 or 2 (a Weir pair has two replicas)"
        }, documentation: "replicas that must have a write before acks=all succeeds"),
        Key(name: "compression.type", defaultValue: "producer", type: 2, validate: { v in
            v == "producer" ? nil : "only 'producer' is supported (batches are stored as sent)"
        }, documentation: "batches are stored as the producer compressed them"),
        Key(name: "message.timestamp.type", defaultValue: "CreateTime", type: 2, validate: { v in
            v == "CreateTime" ? nil : "only CreateTime is supported"
        }, documentation: "timestamps are the producer's"),
    ]

    static let keysByName: [String: Key] = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })

    /// Checks one key/value; nil when acceptable, else a message naming the key.
    public static func problem(name: String, value: String?) -> String? {
        guard let key = keysByName[name] else { return "unknown or unsupported topic config '\(name)'" }
        guard let value else { return nil }  // null resets to default
        return key.validate(value).map { "invalid value for \(name): \($0)" }
    }

    /// Sets (or with nil, resets) one key. Caller has validated it with `problem`.
    public mutating func set(_ name: String, _ value: String?) {
        precondition(Self.keysByName[name] != nil, "unvalidated config key \(name)")  // only validated keys are stored
        overrides[name] = value
    }

    public func value(of name: String) -> String? {
        overrides[name] ?? Self.keysByName[name]?.defaultValue
    }

    public func isDefault(_ name: String) -> Bool { overrides[name] == nil }

    /// The storage engine's view of this configuration.
    public var logConfig: LogConfig {
        var c = LogConfig()
        let policy = Set((value(of: "cleanup.policy") ?? "delete").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        c.compacted = policy.contains("compact")
        c.retentionMs = Int64(value(of: "retention.ms") ?? "") ?? c.retentionMs
        if !policy.contains("delete") { c.retentionMs = -1 }  // compact-only topics keep everything but superseded keys
        c.retentionBytes = policy.contains("delete") ? (Int(value(of: "retention.bytes") ?? "") ?? -1) : -1
        c.segmentBytes = Int(value(of: "segment.bytes") ?? "") ?? c.segmentBytes
        c.segmentMs = Int64(value(of: "segment.ms") ?? "") ?? c.segmentMs
        c.maxMessageBytes = Int(value(of: "max.message.bytes") ?? "") ?? c.maxMessageBytes
        c.deleteRetentionMs = Int64(value(of: "delete.retention.ms") ?? "") ?? c.deleteRetentionMs
        c.indexIntervalBytes = max(1, Int(value(of: "index.interval.bytes") ?? "") ?? c.indexIntervalBytes)
        return c
    }
}
