import NIOCore
import Testing
@testable import WeirRecords

@Suite struct RecordBatchValidationTests {
    func kind(_ bytes: ByteBuffer, requireKeys: Bool = false, max: Int = 1 << 20) -> RecordBatchError.Kind? {
        do {
            _ = try RecordBatch.validateForAppend(bytes, maxBatchBytes: max, requireKeys: requireKeys)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func errorKinds() throws {
        let batch = try sampleBatch(count: 3)
        #expect(kind(batch.bytes) == nil)
        var flipped = batch.bytes
        flipped.setInteger(flipped.getInteger(at: 70, as: UInt8.self)! ^ 1, at: 70)
        #expect(kind(flipped) == .crcMismatch)
        var magic = batch.bytes
        magic.setInteger(Int8(1), at: 16)
        #expect(kind(magic) == .unsupportedMagic)
        #expect(kind(batch.bytes, max: batch.totalSize - 1) == .tooLarge)
        #expect(kind(batch.bytes, requireKeys: true) == .invalidStructure)
        var header = batch.header
        header.lastOffsetDelta = 5
        #expect(kind(try RecordBatchBuilder.assemble(header: header, recordsRegion: batch.recordsRegion).bytes) == .invalidStructure)
        header = batch.header
        header.attributes = .withCodec(4)
        #expect(kind(try RecordBatchBuilder.assemble(header: header, recordsRegion: batch.recordsRegion).bytes) == .unsupportedCompression)
        // A bad varint in the records region (under a valid CRC).
        var region = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        region.writeImmutableBuffer(batch.recordsRegion)
        #expect(kind(try RecordBatchBuilder.assemble(header: batch.header, recordsRegion: region).bytes) == .invalidStructure)
    }

    @Test func truncatedAtEveryByteNeverTraps() throws {
        let batch = try sampleBatch(count: 4)
        for cut in 0..<batch.totalSize {
            let prefix = batch.bytes.getSlice(at: 0, length: cut)!
            #expect(kind(prefix) != nil, "cut at \(cut)")
        }
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .lz4])
    func seededGarbageNeverTraps(codec: CompressionCodec) throws {
        let batch = try sampleBatch(codec: codec, count: 6)
        var rng = SplitMix64(seed: 0x5EED + UInt64(codec.rawValue))
        for _ in 0..<7000 {
            var region = batch.recordsRegion
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(region.readableBytes))
                region.setInteger(UInt8(truncatingIfNeeded: rng.next()), at: at)
            }
            var header = batch.header
            if rng.next() % 4 == 0 { header.recordCount = Int32(truncatingIfNeeded: rng.next() % 10) }
            let mutated = try RecordBatchBuilder.assemble(header: header, recordsRegion: region)
            _ = kind(mutated.bytes)
            if var it = try? mutated.records() { while (try? it.next()) != nil {} }
        }
    }
}
