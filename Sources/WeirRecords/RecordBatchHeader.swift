import NIOCore

/// The fixed 61-byte header of a Kafka RecordBatch v2 (magic 2), the unit of both the wire and the log.
///
/// Layout (big-endian; byte offsets from the start of the batch):
/// ```
///  0 baseOffset int64          | not covered by the CRC: the log rewrites it on append
///  8 batchLength int32         | bytes after this field; whole batch = 12 + batchLength
/// 12 partitionLeaderEpoch int32| not covered by the CRC: the log rewrites it on append
/// 16 magic int8 (= 2)
/// 17 crc uint32                | CRC-32C of bytes [21, end of batch)
/// 21 attributes int16          | bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon
/// 23 lastOffsetDelta int32
/// 27 baseTimestamp int64
/// 35 maxTimestamp int64
/// 43 producerId int64
/// 51 producerEpoch int16
/// 53 baseSequence int32
/// 57 recordCount int32
/// 61 records ...               | compressed as one stream when codec != none
/// ```
public struct RecordBatchHeader: Hashable, Sendable {
    public static let size = 61
    /// Bytes of the header that precede `batchLength`'s coverage (baseOffset + batchLength).
    public static let logOverhead = 12
    /// The smallest legal `batchLength`: the header after the first 12 bytes, with no records.
    public static let minimumBatchLength = size - logOverhead
    public static let magicV2: Int8 = 2

    public enum Field {
        public static let baseOffset = 0
        public static let batchLength = 8
        public static let partitionLeaderEpoch = 12
        public static let magic = 16
        public static let crc = 17
        public static let attributes = 21
        public static let lastOffsetDelta = 23
        public static let baseTimestamp = 27
        public static let maxTimestamp = 35
        public static let producerId = 43
        public static let producerEpoch = 51
        public static let baseSequence = 53
        public static let recordCount = 57
    }

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Attributes
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordCount: Int32

    /// Total size of the batch in bytes, header included.
    public var totalSize: Int { Self.logOverhead + Int(batchLength) }
    /// Offset of the last record (inclusive).
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    /// The offset after this batch: the log end offset once it is appended.
    public var nextOffset: Int64 { lastOffset + 1 }
    /// Sequence number of the last record, wrapping from Int32.max to 0 as Kafka does.
    public var lastSequence: Int32 {
        baseSequence < 0 ? -1 : Int32(truncatingIfNeeded: (Int64(baseSequence) + Int64(lastOffsetDelta)) % (Int64(Int32.max) + 1))
    }
    public var isIdempotent: Bool { producerId >= 0 }

    public init(
        baseOffset: Int64 = 0, batchLength: Int32 = Int32(RecordBatchHeader.minimumBatchLength),
        partitionLeaderEpoch: Int32 = -1, magic: Int8 = RecordBatchHeader.magicV2, crc: UInt32 = 0,
        attributes: Attributes = Attributes(), lastOffsetDelta: Int32 = 0, baseTimestamp: Int64 = 0,
        maxTimestamp: Int64 = 0, producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        recordCount: Int32 = 0
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
    }

    /// Reads the header at absolute `index` of `buffer` without moving the reader index.
    /// Returns nil when fewer than 61 bytes are readable there; checks nothing else.
    @inlinable
    public init?(_ buffer: ByteBuffer, at index: Int) {
        guard index >= buffer.readerIndex, index + Self.size <= buffer.writerIndex else { return nil }
        self.init(
            baseOffset: buffer.getInteger(at: index + Field.baseOffset)!,
            batchLength: buffer.getInteger(at: index + Field.batchLength)!,
            partitionLeaderEpoch: buffer.getInteger(at: index + Field.partitionLeaderEpoch)!,
            magic: buffer.getInteger(at: index + Field.magic)!,
            crc: buffer.getInteger(at: index + Field.crc)!,
            attributes: Attributes(rawValue: buffer.getInteger(at: index + Field.attributes)!),
            lastOffsetDelta: buffer.getInteger(at: index + Field.lastOffsetDelta)!,
            baseTimestamp: buffer.getInteger(at: index + Field.baseTimestamp)!,
            maxTimestamp: buffer.getInteger(at: index + Field.maxTimestamp)!,
            producerId: buffer.getInteger(at: index + Field.producerId)!,
            producerEpoch: buffer.getInteger(at: index + Field.producerEpoch)!,
            baseSequence: buffer.getInteger(at: index + Field.baseSequence)!,
            recordCount: buffer.getInteger(at: index + Field.recordCount)!
        )
    }

    /// Writes the 61 header bytes (the CRC as stored in `crc`, not recomputed).
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeMultipleIntegers(baseOffset, batchLength, partitionLeaderEpoch, magic, crc, attributes.rawValue)
        buffer.writeMultipleIntegers(lastOffsetDelta, baseTimestamp, maxTimestamp, producerId, producerEpoch)
        buffer.writeMultipleIntegers(baseSequence, recordCount)
    }
}

extension RecordBatchHeader {
    /// The batch attributes word.
    public struct Attributes: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public init() { self.rawValue = 0 }

        /// Codec bits 0-2: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd; 5-7 are invalid.
        public var compressionCodec: Int { Int(rawValue & 0x7) }
        public var timestampIsLogAppendTime: Bool {
            get { rawValue & 0x8 != 0 }
            set { rawValue = newValue ? rawValue | 0x8 : rawValue & ~0x8 }
        }
        public var isTransactional: Bool { rawValue & 0x10 != 0 }
        public var isControl: Bool { rawValue & 0x20 != 0 }
        public var hasDeleteHorizon: Bool {
            get { rawValue & 0x40 != 0 }
            set { rawValue = newValue ? rawValue | 0x40 : rawValue & ~0x40 }
        }

        public static func withCodec(_ codec: Int) -> Attributes { Attributes(rawValue: Int16(codec & 0x7)) }
    }
}
