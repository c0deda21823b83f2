import NIOCore
import Testing
@testable import WeirRecords

/// Deterministic generator (SplitMix64) so every random test replays from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

/// Builds a batch with a mix of record shapes.
func sampleBatch(codec: CompressionCodec = .none, count: Int = 5, baseTimestamp: Int64 = 1_700_000_000_000) throws -> RecordBatch {
    var builder = RecordBatchBuilder(codec: codec)
    for i in 0..<count {
        switch i % 4 {
        case 0: builder.append(key: "k\(i)", value: "value \(i)", timestamp: baseTimestamp + Int64(i))
        case 1: builder.append(key: nil, value: "no key \(i)", timestamp: baseTimestamp + Int64(i) * 10)
        case 2: builder.append(key: "tomb\(i)", value: nil, timestamp: baseTimestamp - 5)
        default:
            builder.append(
                key: "h\(i)", value: String(repeating: "x", count: i), timestamp: baseTimestamp + 3,
                headers: [("trace", "abc"), ("trace", nil), ("", ""), ("trace", "def")])
        }
    }
    return try builder.build()
}

@Suite struct RecordBatchRoundTripTests {
    @Test(arguments: [CompressionCodec.none, .gzip, .lz4])
    func buildParseRoundTrip(codec: CompressionCodec) throws {
        let batch = try sampleBatch(codec: codec, count: 9)
        // The built bytes pass framing, magic and CRC checks from scratch.
        let reparsed = try RecordBatch(validating: batch.bytes)
        #expect(reparsed.header == batch.header)
        #expect(reparsed.compressionCodec == codec)
        #expect(reparsed.header.recordCount == 9)
        #expect(reparsed.header.lastOffsetDelta == 8)
        #expect(reparsed.header.baseTimestamp == 1_700_000_000_000)
        #expect(reparsed.header.maxTimestamp == 1_700_000_000_000 + 50)

        var records = try reparsed.records()
        var seen: [Record] = []
        while let record = try records.next() { seen.append(record) }
        #expect(seen.count == 9)
        #expect(seen.map(\.offsetDelta) == Array(0..<9))
        #expect(seen[0].key == buf("k0") && seen[0].value == buf("value 0"))
        #expect(seen[1].key == nil && seen[1].value == buf("no key 1"))
        #expect(seen[2].key == buf("tomb2") && seen[2].value == nil)
        #expect(records.timestamp(of: seen[2]) == 1_700_000_000_000 - 5)
        #expect(records.offset(of: seen[8]) == 8)
        #expect(
            seen[3].headers == [
                RecordHeader(key: "trace", value: buf("abc")), RecordHeader(key: "trace", value: nil),
                RecordHeader(key: "", value: buf("")), RecordHeader(key: "trace", value: buf("def")),
            ])
        #expect(try records.next() == nil, "iteration stays finished")

        let summary = try reparsed.validateForAppend(maxBatchBytes: 1 << 20)
        #expect(summary.recordCount == 9)
        #expect(summary.codec == codec)
        #expect(summary.firstTimestamp == 1_700_000_000_000)
        #expect(summary.lastTimestamp == 1_700_000_000_000 + 8)
        #expect(summary.minTimestamp == 1_700_000_000_000 - 5)
        #expect(summary.maxTimestamp == 1_700_000_000_000 + 50)
        #expect(summary.offsetDeltaOfMaxTimestamp == 5)
    }

    @Test func emptyBatchIsRefused() {
        #expect(throws: RecordBatchError.self) { try RecordBatchBuilder().build() }
    }

    @Test func uncompressedRecordEncodingMatchesTheSpec() throws {
        var builder = RecordBatchBuilder()
        builder.append(key: nil, value: "a", timestamp: 10)
        let batch = try builder.build()
        // length 7 | attributes 0 | tsDelta 0 | offsetDelta 0 | keyLength -1 | valueLength 1 | 'a' | headers 0
        #expect(Array(batch.recordsRegion.readableBytesView) == [0x0E, 0x00, 0x00, 0x00, 0x01, 0x02, 0x61, 0x00])
        #expect(batch.totalSize == 61 + 8)
        #expect(batch.header.batchLength == 49 + 8)
        // The CRC is CRC-32C of [21, end).
        let covered = Array(batch.bytes.readableBytesView.dropFirst(21))
        #expect(batch.header.crc == CRC32C.checksum(covered))
        #expect(batch.bytes.getInteger(at: 17, as: UInt32.self) == batch.header.crc)
    }

    @Test func producerFieldsAndAttributesAreWritten() throws {
        var builder = RecordBatchBuilder(codec: .lz4, producerId: 42, producerEpoch: 3, baseSequence: 100)
        builder.isTransactional = true
        builder.timestampIsLogAppendTime = true
        builder.append(key: "k", value: "v", timestamp: 5)
        let batch = try RecordBatch(validating: try builder.build().bytes)
        #expect(batch.header.producerId == 42)
        #expect(batch.header.producerEpoch == 3)
        #expect(batch.header.baseSequence == 100)
        #expect(batch.header.attributes.isTransactional)
        #expect(batch.header.attributes.timestampIsLogAppendTime)
        #expect(batch.header.attributes.compressionCodec == 3)
        #expect(!batch.header.attributes.isControl)
    }

    @Test func assignKeepsTheCRCValid() throws {
        var batch = try sampleBatch(codec: .gzip)
        batch.assign(baseOffset: 1234, partitionLeaderEpoch: 7)
        let reparsed = try RecordBatch(validating: batch.bytes)
        #expect(reparsed.header.baseOffset == 1234)
        var records = try reparsed.records()
        let first = try #require(try records.next())
        #expect(records.offset(of: first) == 1234)
    }

    @Test func firstRecordWithTimestampAtLeast() throws {
        var builder = RecordBatchBuilder(codec: .lz4)
        for (i, ts) in [100, 90, 120, 130, 125].enumerated() {
            builder.append(key: nil, value: "v\(i)", timestamp: Int64(ts))
        }
        var batch = try builder.build()
        batch.assign(baseOffset: 50, partitionLeaderEpoch: 0)
        #expect(try batch.firstRecord(withTimestampAtLeast: 0)! == (50, 100))
        #expect(try batch.firstRecord(withTimestampAtLeast: 100)! == (50, 100))
        #expect(try batch.firstRecord(withTimestampAtLeast: 101)! == (52, 120))
        #expect(try batch.firstRecord(withTimestampAtLeast: 126)! == (53, 130))
        #expect(try batch.firstRecord(withTimestampAtLeast: 131) == nil)
    }
}
