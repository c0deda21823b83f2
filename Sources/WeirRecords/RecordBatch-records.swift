import NIOCore
import WeirCompression

extension RecordBatch {
    /// Default cap on a batch's decompressed records region (64 MiB): the decompression-bomb guard.
    public static let defaultMaxDecompressedBytes = 64 << 20

    /// The batch's codec, or nil for the invalid values 5-7.
    public var compressionCodec: CompressionCodec? { CompressionCodec(rawValue: header.attributes.compressionCodec) }

    /// The bytes after the 61-byte header (compressed when the codec is not `none`); shares storage.
    public var recordsRegion: ByteBuffer {
        bytes.getSlice(at: bytes.readerIndex + RecordBatchHeader.size, length: bytes.readableBytes - RecordBatchHeader.size)
            ?? ByteBuffer()
    }

    /// A lazy reader over the records, decompressing the region first for gzip/lz4 (at most
    /// `maxDecompressedBytes`). Throws `unsupportedCompression` for snappy, zstd and codecs 5-7.
    public func records(maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws(RecordBatchError) -> RecordIterator {
        guard header.recordCount >= 0 else {
            throw RecordBatchError(.invalidStructure, "recordCount \(header.recordCount) is negative")
        }
        let region = try decompressedRecordsRegion(maxDecompressedBytes: maxDecompressedBytes)
        return RecordIterator(
            region: region, recordCount: header.recordCount, baseOffset: header.baseOffset,
            baseTimestamp: header.baseTimestamp)
    }

    /// The records region in plain form: a shared slice for `none`, a new buffer for gzip/lz4.
    public func decompressedRecordsRegion(maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws(RecordBatchError) -> ByteBuffer {
        guard let codec = compressionCodec else {
            throw RecordBatchError(.unsupportedCompression, "invalid codec \(header.attributes.compressionCodec)")
        }
        let region = recordsRegion
        if codec == .none { return region }
        let result: Result<[UInt8], CompressionError> = region.withUnsafeReadableBytes { raw in
            do throws(CompressionError) {
                return .success(try Compression.decompress(raw, codec: codec, maxOutputBytes: maxDecompressedBytes))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let plain):
            return ByteBuffer(bytes: plain)
        case .failure(let error):
            throw RecordBatchError(error)
        }
    }
}

extension RecordBatchError {
    /// Maps a codec failure onto the batch error a broker answers with.
    public init(_ error: CompressionError) {
        switch error.kind {
        case .unsupportedCodec: self.init(.unsupportedCompression, error.detail)
        case .outputLimitExceeded: self.init(.tooLarge, "decompressed records: \(error.detail)")
        case .corruptInput, .truncatedInput, .libraryFailure: self.init(.invalidStructure, "compressed records: \(error.detail)")
        }
    }
}

/// Reads the records of one batch in order, one at a time, without copying their bytes.
///
/// Yields exactly `recordCount` records, then checks that no bytes are left over. Any malformed record,
/// a region that ends early, or trailing bytes throw `invalidStructure`; after a throw it yields nil.
/// Not thread-safe (a value type: copy it to iterate twice).
public struct RecordIterator: Sendable {
    /// The batch's baseOffset: a record's offset is `baseOffset + offsetDelta`.
    public let baseOffset: Int64
    /// The batch's baseTimestamp: a record's timestamp is `baseTimestamp + timestampDelta`.
    public let baseTimestamp: Int64
    private var region: ByteBuffer
    private var remaining: Int32
    private var failed = false
    /// Whether `next()` materialises header strings (validation turns it off).
    var decodeHeaders = true

    init(region: ByteBuffer, recordCount: Int32, baseOffset: Int64, baseTimestamp: Int64) {
        self.region = region
        self.remaining = recordCount
        self.baseOffset = baseOffset
        self.baseTimestamp = baseTimestamp
    }

    /// The next record, or nil after the last one (when the region is fully and exactly consumed).
    public mutating func next() throws(RecordBatchError) -> Record? {
        guard !failed else { return nil }
        do throws(RecordBatchError) {
            guard remaining > 0 else {
                guard region.readableBytes == 0 else {
                    throw RecordBatchError(.invalidStructure, "\(region.readableBytes) bytes follow the last record")
                }
                return nil
            }
            guard region.readableBytes > 0 else {
                throw RecordBatchError(.invalidStructure, "records region ends with \(remaining) records missing")
            }
            let record = try Record.read(from: &region, decodeHeaders: decodeHeaders)
            remaining -= 1
            return record
        } catch {
            failed = true
            throw error
        }
    }

    /// The absolute offset of `record` in this batch.
    public func offset(of record: Record) -> Int64 { baseOffset &+ Int64(record.offsetDelta) }

    /// The absolute (CreateTime) timestamp of `record` in this batch.
    public func timestamp(of record: Record) -> Int64 { baseTimestamp &+ record.timestampDelta }
}
