import NIOCore
import Testing
import WeirRecords
import WeirStreams
@testable import WeirEngine

/// The host's own batch encoder must write exactly what `RecordBatchBuilder` writes.
struct BatchEncodingTests {
    @Test func outputBatchesAreByteForByteTheBuildersBatches() throws {
        let long = [UInt8](repeating: 0x61, count: 300)  // a two-byte length varint
        let records: [OutputRecord] = [
            OutputRecord(topic: "t", key: Array("k1".utf8), value: Array(#"{"a":1}"#.utf8), timestamp: 1_000,
                         headers: Provenance(topic: "in", partition: 3, offset: 123_456_789, version: "fraud@1").headers),
            OutputRecord(topic: "t", key: nil, value: nil, timestamp: 900, headers: []),  // earlier: a negative delta
            OutputRecord(topic: "t", key: [], value: long, timestamp: 5_000_000_000, headers: [("h", nil), ("é", [0, 255])]),
        ]
        var builder = RecordBatchBuilder()
        for r in records { r.append(to: &builder) }
        let expected = try builder.build()
        let built = try buildBatch(records)
        #expect(Array(built.bytes.readableBytesView) == Array(expected.bytes.readableBytesView))
        #expect(built.header == expected.header)
        #expect(throws: (any Error).self) { try buildBatch([]) }
    }
}
