import NIOCore

/// One RecordBatch v2 held as its bytes (a `ByteBuffer` slice sharing storage with what it came from).
///
/// Invariant once constructed through `init(validating:)`: the bytes are exactly one whole batch,
/// magic is 2, `batchLength` matches the byte count and the CRC-32C is correct.
public struct RecordBatch: Sendable {
    /// Exactly the batch's bytes, reader index at its first byte.
    public private(set) var bytes: ByteBuffer
    public private(set) var header: RecordBatchHeader

    /// Checks framing, magic and CRC of the single batch that `bytes` must hold, without copying it.
    public init(validating bytes: ByteBuffer) throws(RecordBatchError) {
        let header = try Self.checkFrame(bytes, at: bytes.readerIndex, available: bytes.readableBytes)
        guard header.totalSize == bytes.readableBytes else {
            throw RecordBatchError(.invalidStructure, "batchLength \(header.batchLength) leaves \(bytes.readableBytes - header.totalSize) trailing bytes")
        }
        self.bytes = bytes
        self.header = header
    }

    /// Trusted construction (for bytes already validated, e.g. read back after a CRC check).
    public init(unchecked bytes: ByteBuffer, header: RecordBatchHeader) {
        self.bytes = bytes
        self.header = header
    }

    public var totalSize: Int { bytes.readableBytes }

    /// Sets baseOffset and partitionLeaderEpoch in place. Both lie outside the CRC, so it stays valid.
    public mutating func assign(baseOffset: Int64, partitionLeaderEpoch: Int32) {
        bytes.setInteger(baseOffset, at: bytes.readerIndex + RecordBatchHeader.Field.baseOffset)
        bytes.setInteger(partitionLeaderEpoch, at: bytes.readerIndex + RecordBatchHeader.Field.partitionLeaderEpoch)
        header.baseOffset = baseOffset
        header.partitionLeaderEpoch = partitionLeaderEpoch
    }

    /// Recomputes and stores the CRC over [attributes, end) after a change to covered fields.
    public mutating func recomputeCRC() {
        let start = bytes.readerIndex + RecordBatchHeader.Field.attributes
        let crc = CRC32C.checksum(bytes, at: start, length: bytes.writerIndex - start)!
        bytes.setInteger(crc, at: bytes.readerIndex + RecordBatchHeader.Field.crc)
        header.crc = crc
    }

    /// Validates the frame of the batch at absolute `index`: enough bytes for the header, a sane
    /// `batchLength` within `available` bytes, magic 2 and a matching CRC-32C.
    public static func checkFrame(_ buffer: ByteBuffer, at index: Int, available: Int) throws(RecordBatchError) -> RecordBatchHeader {
        guard available >= RecordBatchHeader.logOverhead,
            let batchLength: Int32 = buffer.getInteger(at: index + RecordBatchHeader.Field.batchLength)
        else {
            throw RecordBatchError(.truncated, "\(available) bytes cannot hold a batch header")
        }
        guard batchLength >= RecordBatchHeader.minimumBatchLength else {
            throw RecordBatchError(.invalidStructure, "batchLength \(batchLength) is below the minimum \(RecordBatchHeader.minimumBatchLength)")
        }
        let total = RecordBatchHeader.logOverhead + Int(batchLength)
        guard total <= available, let header = RecordBatchHeader(buffer, at: index) else {
            throw RecordBatchError(.truncated, "batch of \(total) bytes but only \(available) available")
        }
        guard header.magic == RecordBatchHeader.magicV2 else {
            throw RecordBatchError(.unsupportedMagic, "magic \(header.magic)")
        }
        let covered = total - RecordBatchHeader.Field.attributes
        let crc = CRC32C.checksum(buffer, at: index + RecordBatchHeader.Field.attributes, length: covered)!
        guard crc == header.crc else {
            throw RecordBatchError(.crcMismatch, "stored crc \(header.crc), computed \(crc)")
        }
        return header
    }
}

/// Walks the whole batches of a byte range (a log segment region or a Fetch/Produce `records` field).
///
/// Stops at the first batch that is incomplete or invalid and reports why in `stopReason`,
/// so a caller can tell a clean end from a torn or corrupted tail.
public struct RecordBatchScanner {
    public let buffer: ByteBuffer
    public private(set) var position: Int
    public private(set) var stopReason: RecordBatchError?
    private let verifyCRC: Bool

    public init(_ buffer: ByteBuffer, verifyCRC: Bool = true) {
        self.buffer = buffer
        self.position = buffer.readerIndex
        self.verifyCRC = verifyCRC
    }

    /// The next whole batch's header and its absolute start index, or nil at the end or at a bad batch.
    public mutating func next() -> (index: Int, header: RecordBatchHeader)? {
        let available = buffer.writerIndex - position
        guard available > 0, stopReason == nil else { return nil }
        do throws(RecordBatchError) {
            let header: RecordBatchHeader
            if verifyCRC {
                header = try RecordBatch.checkFrame(buffer, at: position, available: available)
            } else {
                guard let h = RecordBatchHeader(buffer, at: position) else {
                    throw RecordBatchError(.truncated, "\(available) bytes cannot hold a batch header")
                }
                guard h.batchLength >= RecordBatchHeader.minimumBatchLength, h.totalSize <= available else {
                    throw RecordBatchError(.truncated, "batch of \(h.totalSize) bytes but only \(available) available")
                }
                header = h
            }
            let index = position
            position += header.totalSize
            return (index, header)
        } catch {
            stopReason = error
            return nil
        }
    }
}
