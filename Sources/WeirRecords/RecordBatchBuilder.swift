import NIOCore
import WeirCompression

/// Builds one RecordBatch v2 from records: assigns offsetDeltas 0..<n, timestamps relative to the first
/// record, compresses the records region when asked, fills the header and computes the CRC-32C.
///
/// A value type; not thread-safe while being mutated. The built batch has baseOffset 0 unless set,
/// as a producer sends it; the log assigns the real offset with `RecordBatch.assign(baseOffset:…)`.
public struct RecordBatchBuilder: Sendable {
    public var codec: CompressionCodec
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var baseOffset: Int64 = 0
    public var partitionLeaderEpoch: Int32 = -1
    public var isTransactional = false
    /// Marks the batch as a control batch (transaction markers); producers never send these.
    public var isControl = false
    /// Sets attribute bit 3 (LogAppendTime).
    public var timestampIsLogAppendTime = false
    /// gzip level used when `codec == .gzip`.
    public var gzipLevel = Compression.defaultGzipLevel
    /// Frame options used when `codec == .lz4`.
    public var lz4Options = LZ4FrameOptions()

    private var entries: [(timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader])] = []

    /// An empty builder for a non-idempotent producer (producerId/epoch/sequence -1) unless given.
    public init(codec: CompressionCodec = .none, producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1) {
        self.codec = codec
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
    }

    /// Number of records appended so far.
    public var count: Int { entries.count }

    /// Appends a record with an absolute `timestamp` in ms; its offsetDelta is its position.
    public mutating func append(key: ByteBuffer?, value: ByteBuffer?, timestamp: Int64, headers: [RecordHeader] = []) {
        entries.append((timestamp, key, value, headers))
    }

    /// Appends a record whose key, value and header values are UTF-8 strings.
    public mutating func append(key: String?, value: String?, timestamp: Int64, headers: [(String, String?)] = []) {
        append(
            key: key.map { ByteBuffer(string: $0) }, value: value.map { ByteBuffer(string: $0) }, timestamp: timestamp,
            headers: headers.map { RecordHeader(key: $0.0, value: $0.1.map { ByteBuffer(string: $0) }) })
    }

    /// Encodes the batch. Throws `invalidStructure` when empty and `unsupportedCompression` for snappy/zstd.
    public func build() throws(RecordBatchError) -> RecordBatch {
        guard let first = entries.first else {
            throw RecordBatchError(.invalidStructure, "a batch needs at least one record")
        }
        guard entries.count <= Int(Int32.max) else {
            throw RecordBatchError(.invalidStructure, "too many records for one batch")
        }
        let baseTimestamp = first.timestamp
        var region = ByteBuffer()
        var maxTimestamp = Int64.min
        for (index, entry) in entries.enumerated() {
            let record = Record(
                offsetDelta: Int32(index), timestampDelta: entry.timestamp &- baseTimestamp, key: entry.key,
                value: entry.value, headers: entry.headers)
            record.write(to: &region)
            maxTimestamp = Swift.max(maxTimestamp, entry.timestamp)
        }
        region = try compressRegion(region)

        var attributes = RecordBatchHeader.Attributes.withCodec(codec.rawValue)
        attributes.timestampIsLogAppendTime = timestampIsLogAppendTime
        if isTransactional { attributes.rawValue |= 0x10 }
        if isControl { attributes.rawValue |= 0x20 }
        let header = RecordBatchHeader(
            baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, attributes: attributes,
            lastOffsetDelta: Int32(entries.count - 1), baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp,
            producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence,
            recordCount: Int32(entries.count))
        return try Self.assemble(header: header, recordsRegion: region)
    }

    /// Joins a header and an already encoded (possibly compressed) records region into a batch, setting
    /// `batchLength` and the CRC. No other field is checked: tests use it to craft invalid batches.
    public static func assemble(header: RecordBatchHeader, recordsRegion: ByteBuffer) throws(RecordBatchError) -> RecordBatch {
        guard let batchLength = Int32(exactly: RecordBatchHeader.minimumBatchLength + recordsRegion.readableBytes) else {
            throw RecordBatchError(.tooLarge, "records region of \(recordsRegion.readableBytes) bytes is too large")
        }
        var header = header
        header.batchLength = batchLength
        var bytes = ByteBuffer()
        bytes.reserveCapacity(RecordBatchHeader.size + recordsRegion.readableBytes)
        header.write(to: &bytes)
        bytes.writeImmutableBuffer(recordsRegion)
        var batch = RecordBatch(unchecked: bytes, header: header)
        batch.recomputeCRC()
        return batch
    }

    private func compressRegion(_ region: ByteBuffer) throws(RecordBatchError) -> ByteBuffer {
        if codec == .none { return region }
        let result: Result<[UInt8], CompressionError> = region.withUnsafeReadableBytes { raw in
            do throws(CompressionError) {
                switch codec {
                case .gzip: return .success(try Compression.compressGzip(raw, level: gzipLevel))
                case .lz4: return .success(try Compression.compressLZ4(raw, options: lz4Options))
                default: return .success(try Compression.compress(raw, codec: codec))
                }
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let compressed): return ByteBuffer(bytes: compressed)
        case .failure(let error): throw RecordBatchError(error)
        }
    }
}
