import NIOCore
import WeirCompression

/// What validation learnt about a batch: enough for the log to append it and index its timestamps.
public struct RecordBatchSummary: Hashable, Sendable {
    /// Number of records (= header recordCount, > 0).
    public var recordCount: Int
    /// The batch's codec (one of the allowed ones).
    public var codec: CompressionCodec
    /// Timestamp of the first record (baseTimestamp + its delta).
    public var firstTimestamp: Int64
    /// Timestamp of the last record.
    public var lastTimestamp: Int64
    /// Smallest record timestamp (for `message.timestamp.difference.max.ms` checks).
    public var minTimestamp: Int64
    /// Largest record timestamp; may differ from the header's maxTimestamp, which is not trusted.
    public var maxTimestamp: Int64
    /// offsetDelta of the first record carrying `maxTimestamp` (Kafka's shallowOffsetOfMaxTimestamp).
    public var offsetDeltaOfMaxTimestamp: Int32
    /// Size of the records region after decompression (= on-wire size when uncompressed).
    public var uncompressedRecordsBytes: Int
}

extension RecordBatch {
    /// The codecs this build accepts on append: none, gzip and lz4.
    public static let supportedCodecs: Set<CompressionCodec> = [.none, .gzip, .lz4]

    /// Validates a Produce partition's `records` bytes, which must hold exactly one whole batch (§5.6 steps 1-8).
    ///
    /// Returns the batch (a slice sharing `bytes`' storage) and its summary, or throws the first failed check.
    public static func validateForAppend(
        _ bytes: ByteBuffer, maxBatchBytes: Int, requireKeys: Bool = false,
        allowedCodecs: Set<CompressionCodec> = RecordBatch.supportedCodecs,
        maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    ) throws(RecordBatchError) -> (batch: RecordBatch, summary: RecordBatchSummary) {
        let batch = try RecordBatch(validating: bytes)
        let summary = try batch.validateForAppend(
            maxBatchBytes: maxBatchBytes, requireKeys: requireKeys, allowedCodecs: allowedCodecs,
            maxDecompressedBytes: maxDecompressedBytes)
        return (batch, summary)
    }

    /// Checks everything after framing, magic and CRC (which `init(validating:)` did), cheapest first:
    /// recordCount > 0 and lastOffsetDelta = recordCount - 1 (`invalidStructure`); codec valid and in
    /// `allowedCodecs` (`unsupportedCompression`); not a control batch (`invalidStructure`); total size ≤
    /// `maxBatchBytes` (`tooLarge`); then every record parses, offsetDeltas run 0..<n, the count matches
    /// and, when `requireKeys` (compacted topics), every key is non-null (`invalidStructure`).
    ///
    /// Does not check transactional ids, timestamp bounds or idempotence: those need broker state.
    public func validateForAppend(
        maxBatchBytes: Int, requireKeys: Bool = false,
        allowedCodecs: Set<CompressionCodec> = RecordBatch.supportedCodecs,
        maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    ) throws(RecordBatchError) -> RecordBatchSummary {
        let count = header.recordCount
        guard count > 0 else {
            throw RecordBatchError(.invalidStructure, "recordCount \(count) must be positive")
        }
        guard header.lastOffsetDelta == count - 1 else {
            throw RecordBatchError(.invalidStructure, "lastOffsetDelta \(header.lastOffsetDelta) != recordCount \(count) - 1")
        }
        guard let codec = compressionCodec else {
            throw RecordBatchError(.unsupportedCompression, "invalid codec \(header.attributes.compressionCodec)")
        }
        guard allowedCodecs.contains(codec), codec.isSupported else {
            throw RecordBatchError(.unsupportedCompression, "codec \(codec) is not accepted")
        }
        guard !header.attributes.isControl else {
            throw RecordBatchError(.invalidStructure, "producers may not send control batches")
        }
        guard totalSize <= maxBatchBytes else {
            throw RecordBatchError(.tooLarge, "batch of \(totalSize) bytes exceeds the limit of \(maxBatchBytes)")
        }
        // Each record takes at least 7 bytes (length + 6), so a count beyond that cannot be honest.
        let region = try decompressedRecordsRegion(maxDecompressedBytes: maxDecompressedBytes)
        guard Int(count) <= region.readableBytes / 7 else {
            throw RecordBatchError(.invalidStructure, "recordCount \(count) cannot fit in \(region.readableBytes) bytes")
        }
        var summary = RecordBatchSummary(
            recordCount: Int(count), codec: codec, firstTimestamp: 0, lastTimestamp: 0, minTimestamp: .max,
            maxTimestamp: .min, offsetDeltaOfMaxTimestamp: 0, uncompressedRecordsBytes: region.readableBytes)
        let baseTimestamp = header.baseTimestamp
        // One pass over the region's bytes through one pointer: no Record values, no slices, and the same
        // checks in the same order (and messages) as iterating `RecordIterator` (see `RawRecord.parse`).
        let scanned: RecordBatchError? = region.withUnsafeReadableBytes { raw in
            do throws(RecordBatchError) {
                let end = raw.count
                var position = 0
                for expectedDelta in 0..<count {
                    guard position < end, let base = raw.baseAddress else {
                        throw RecordBatchError(.invalidStructure, "records region ends with \(count - expectedDelta) records missing")
                    }
                    let record = try RawRecord.parse(base, &position, end, headers: nil)
                    guard record.offsetDelta == expectedDelta else {
                        throw RecordBatchError(.invalidStructure, "record \(expectedDelta) has offsetDelta \(record.offsetDelta)")
                    }
                    if requireKeys, record.keyLength < 0 {
                        throw RecordBatchError(.invalidStructure, "record \(expectedDelta) has a null key on a compacted topic")
                    }
                    let timestamp = baseTimestamp &+ record.timestampDelta
                    if expectedDelta == 0 { summary.firstTimestamp = timestamp }
                    summary.lastTimestamp = timestamp
                    summary.minTimestamp = Swift.min(summary.minTimestamp, timestamp)
                    if timestamp > summary.maxTimestamp {
                        summary.maxTimestamp = timestamp
                        summary.offsetDeltaOfMaxTimestamp = record.offsetDelta
                    }
                }
                guard position == end else {
                    throw RecordBatchError(.invalidStructure, "\(end - position) bytes follow the last record")
                }
                return nil
            } catch {
                return error
            }
        }
        if let scanned { throw scanned }
        return summary
    }

    /// The first record whose timestamp is ≥ `timestamp` (ListOffsets, §9.6), or nil when none is.
    ///
    /// Skips the record scan when the header's maxTimestamp is below `timestamp`. For LogAppendTime
    /// batches every record carries the header's maxTimestamp, as in Kafka.
    public func firstRecord(
        withTimestampAtLeast timestamp: Int64, maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    ) throws(RecordBatchError) -> (offset: Int64, timestamp: Int64)? {
        guard header.maxTimestamp >= timestamp else { return nil }
        var iterator = try records(maxDecompressedBytes: maxDecompressedBytes)
        iterator.decodeHeaders = false
        let logAppendTime = header.attributes.timestampIsLogAppendTime
        while let record = try iterator.next() {
            let recordTimestamp = logAppendTime ? header.maxTimestamp : iterator.timestamp(of: record)
            if recordTimestamp >= timestamp { return (iterator.offset(of: record), recordTimestamp) }
        }
        return nil
    }
}
