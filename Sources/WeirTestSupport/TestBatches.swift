import NIOCore
import WeirRecords

/// Builds small uncompressed RecordBatch v2 batches for tests and benchmarks: `count` records whose
/// values are `valueSize` bytes (deterministic content derived from `seed`).
/// With `keys`, record i gets key `keys[i]` (nil = null key); without, every key is null.
public func makeTestBatch(records count: Int, valueSize: Int, seed: Int = 0, timestamp: Int64 = 1_700_000_000_000, keys: [String?]? = nil) -> RecordBatch {
    precondition(count > 0)
    var records = ByteBuffer()
    for i in 0..<count {
        var body = ByteBuffer()
        body.writeInteger(Int8(0))  // attributes
        body.writeVarint(0)  // timestampDelta
        body.writeVarint(Int64(i))  // offsetDelta
        if let key = keys?[i] {
            body.writeVarint(Int64(key.utf8.count))
            body.writeString(key)
        } else {
            body.writeVarint(-1)  // null key
        }
        body.writeVarint(Int64(valueSize))
        for j in 0..<valueSize { body.writeInteger(UInt8(truncatingIfNeeded: seed &+ i &* 31 &+ j)) }
        body.writeVarint(0)  // no headers
        records.writeVarint(Int64(body.readableBytes))
        records.writeBuffer(&body)
    }
    var header = RecordBatchHeader(
        batchLength: Int32(RecordBatchHeader.minimumBatchLength + records.readableBytes),
        lastOffsetDelta: Int32(count - 1), baseTimestamp: timestamp, maxTimestamp: timestamp, recordCount: Int32(count))
    var bytes = ByteBuffer()
    header.write(to: &bytes)
    bytes.writeBuffer(&records)
    header.crc = CRC32C.checksum(bytes, at: RecordBatchHeader.Field.attributes, length: bytes.readableBytes - RecordBatchHeader.Field.attributes)!
    bytes.setInteger(header.crc, at: RecordBatchHeader.Field.crc)
    return RecordBatch(unchecked: bytes, header: header)
}

/// A tiny seeded generator (SplitMix64) so randomized tests replay from their seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
