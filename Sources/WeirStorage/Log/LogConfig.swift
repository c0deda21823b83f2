/// Per-partition log settings (Kafka's topic config names in the doc comments).
public struct LogConfig: Sendable, Hashable {
    /// `segment.bytes`: roll when the active segment would exceed this size.
    public var segmentBytes: Int = 1 << 30
    /// `segment.ms`: roll a non-empty active segment older than this.
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete oldest whole segments while the log exceeds this; -1 = unlimited.
    public var retentionBytes: Int = -1
    /// `retention.ms`: delete whole segments whose newest record is older than this; -1 = forever.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// `index.interval.bytes`: bytes of log between offset-index entries.
    public var indexIntervalBytes: Int = 4096
    /// `max.message.bytes`: the largest batch accepted.
    public var maxMessageBytes: Int = 1_048_588

    /// `cleanup.policy=compact`: records need keys, and `compact()` keeps the latest per key.
    public var compacted = false
    /// `delete.retention.ms`: how long tombstones survive compaction.
    public var deleteRetentionMs: Int64 = 86_400_000

    public init() {}
}
