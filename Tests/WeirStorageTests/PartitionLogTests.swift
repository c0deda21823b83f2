import Foundation
import NIOCore
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

@Suite struct PartitionLogTests {
    @Test func appendAssignsConsecutiveOffsetsAndReadsThemBack() throws {
        try withTemporaryDirectory { dir in
            let log = try PartitionLog(directory: dir + "/t-0")
            let a = try log.appendDurably(makeTestBatch(records: 3, valueSize: 10))
            let b = try log.appendDurably(makeTestBatch(records: 2, valueSize: 10))
            #expect(a.baseOffset == 0 && a.lastOffset == 2)
            #expect(b.baseOffset == 3 && b.lastOffset == 4)
            #expect(log.logEndOffset == 5)
            #expect(log.durableOffset == 5)
            // Reading from an offset inside a batch returns the batch containing it.
            #expect(batchOffsets(try log.read(from: 1, maxBytes: 1 << 20)) == [0, 3])
            #expect(batchOffsets(try log.read(from: 3, maxBytes: 1 << 20)) == [3])
            // At the end: empty, not an error. Past the end: out of range.
            #expect(try log.read(from: 5, maxBytes: 100).readableBytes == 0)
            #expect(throws: StorageError.self) { try log.read(from: 6, maxBytes: 100) }
        }
    }

    @Test func readStopsAtHighWatermarkAndReturnsAnOversizeFirstBatchWhole() throws {
        try withTemporaryDirectory { dir in
            let log = try PartitionLog(directory: dir)
            for _ in 0..<4 { try log.append(makeTestBatch(records: 1, valueSize: 500)) }
            #expect(batchOffsets(try log.read(from: 0, maxBytes: 1 << 20, upTo: 2)) == [0, 1])
            // maxBytes smaller than one batch still returns that batch whole (KIP-74 progress rule).
            #expect(batchOffsets(try log.read(from: 2, maxBytes: 10)) == [2])
        }
    }

    @Test func storedBytesAreTheProducedBytesWithOnlyOffsetAndEpochRewritten() throws {
        try withTemporaryDirectory { dir in
            let log = try PartitionLog(directory: dir)
            try log.append(makeTestBatch(records: 1, valueSize: 4))
            let original = makeTestBatch(records: 5, valueSize: 33, seed: 7)
            try log.append(original, leaderEpoch: 9)
            let stored = try log.read(from: 1, maxBytes: 1 << 20)
            let batch = try RecordBatch(validating: stored)  // CRC still valid
            #expect(batch.header.baseOffset == 1 && batch.header.partitionLeaderEpoch == 9)
            #expect(stored.getBytes(at: stored.readerIndex + 16, length: stored.readableBytes - 16) ==
                original.bytes.getBytes(at: original.bytes.readerIndex + 16, length: original.totalSize - 16))
        }
    }

    @Test func reopenAfterCleanCloseKeepsEverythingAndScansNothing() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 2_000
            let log = try PartitionLog(directory: dir, config: config)
            for i in 0..<50 { try log.append(makeTestBatch(records: 1 + i % 3, valueSize: 100, seed: i)) }
            let expected = try readAll(log).map { $0.0 }
            try log.close()
            let reopened = try PartitionLog(directory: dir, config: config)
            #expect(reopened.recoveryReport.segmentsScanned == 1)  // only the active segment
            #expect(reopened.recoveryReport.truncatedBytes == 0)
            #expect(try readAll(reopened).map { $0.0 } == expected)
            #expect(reopened.segmentCount > 5)
        }
    }

    @Test func rollsBySizeAndByAge() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            var config = LogConfig()
            config.segmentBytes = 1_000
            config.segmentMs = 60_000
            let log = try PartitionLog(directory: dir, config: config, clock: { clock.now })
            for _ in 0..<3 { try log.append(makeTestBatch(records: 1, valueSize: 400)) }
            #expect(log.segmentCount == 2)  // third batch would exceed 1000 bytes
            clock.advance(61_000)
            try log.append(makeTestBatch(records: 1, valueSize: 10))
            #expect(log.segmentCount == 3)
        }
    }

    @Test func retentionDeletesWholeOldSegmentsAndPersistsLogStart() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            var config = LogConfig()
            config.segmentBytes = 700
            config.retentionMs = 3_600_000
            let log = try PartitionLog(directory: dir, config: config, clock: { clock.now })
            for i in 0..<10 {
                try log.appendDurably(makeTestBatch(records: 1, valueSize: 300, timestamp: clock.now + Int64(i)))
            }
            let segmentsBefore = log.segmentCount
            clock.advance(2 * 3_600_000)
            try log.appendDurably(makeTestBatch(records: 1, valueSize: 300, timestamp: clock.now))
            let deleted = try log.applyRetention()
            #expect(deleted == segmentsBefore)  // all old segments; the active one stays
            #expect(log.logStartOffset == 10)
            #expect(throws: StorageError.self) { try log.read(from: 0, maxBytes: 100) }
            try log.close()
            let reopened = try PartitionLog(directory: dir, config: config, clock: { clock.now })
            #expect(reopened.logStartOffset == 10)
            #expect(reopened.logEndOffset == 11)
        }
    }

    /// DeleteRecords: the log starts at the given offset (mid-batch allowed), whole segments below it go, the new
    /// start survives a reopen, and it never moves back or past the log end.
    @Test func advancingTheLogStartDeletesOlderSegmentsAndPersists() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 700
            let log = try PartitionLog(directory: dir, config: config)
            for _ in 0..<10 { try log.appendDurably(makeTestBatch(records: 2, valueSize: 150)) }  // offsets 0..<20
            let segmentsBefore = log.segmentCount
            #expect(try log.advanceLogStart(to: 9) == 9)  // inside the batch 8..<10
            #expect(log.logStartOffset == 9)
            #expect(log.segmentCount < segmentsBefore)
            #expect(throws: StorageError.self) { try log.read(from: 8, maxBytes: 100) }
            let first = try log.read(from: 9, maxBytes: 1)
            #expect(RecordBatchHeader(first, at: first.readerIndex)?.baseOffset == 8)  // the batch holding 9, whole
            #expect(try log.advanceLogStart(to: 3) == 9)  // never back
            #expect(throws: StorageError.self) { try log.advanceLogStart(to: 21) }  // never past the end
            #expect(try log.advanceLogStart(to: 20) == 20)  // everything: the active segment stays, empty of readable records
            #expect(log.logEndOffset == 20)
            try log.close()
            let reopened = try PartitionLog(directory: dir, config: config)
            #expect(reopened.logStartOffset == 20)
            try reopened.appendDurably(makeTestBatch(records: 1, valueSize: 10))
            #expect(reopened.logEndOffset == 21)
            let next = try reopened.read(from: 20, maxBytes: 100)
            #expect(RecordBatchHeader(next, at: next.readerIndex)?.baseOffset == 20)
        }
    }

    @Test func retentionBySize() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 1_000
            config.retentionBytes = 2_500
            config.retentionMs = -1
            let log = try PartitionLog(directory: dir, config: config)
            for _ in 0..<20 { try log.appendDurably(makeTestBatch(records: 1, valueSize: 400)) }
            try log.applyRetention()
            #expect(log.sizeInBytes <= 2_500 + 1_000)
            #expect(log.sizeInBytes >= 2_500 - 1_000)
            #expect(log.logStartOffset > 0)
        }
    }

    @Test func lookupByTimestamp() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.indexIntervalBytes = 1
            let log = try PartitionLog(directory: dir, config: config)
            for i in 0..<20 { try log.append(makeTestBatch(records: 2, valueSize: 10, timestamp: 1_000 + Int64(i) * 100)) }
            #expect(try log.batchOffset(forTimestamp: 0)?.baseOffset == 0)
            #expect(try log.batchOffset(forTimestamp: 1_250)?.baseOffset == 6)
            #expect(try log.batchOffset(forTimestamp: 1_300)?.baseOffset == 6)
            #expect(try log.batchOffset(forTimestamp: 99_999) == nil)
        }
    }

    @Test func truncateDropsTheSuffix() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 600
            let log = try PartitionLog(directory: dir, config: config)
            for _ in 0..<10 { try log.append(makeTestBatch(records: 2, valueSize: 100)) }
            try log.truncate(to: 8)
            #expect(log.logEndOffset == 8)
            let next = try log.append(makeTestBatch(records: 1, valueSize: 1))
            #expect(next.baseOffset == 8)
        }
    }
}

/// Bad input gets a typed error and nothing is written.
@Suite struct BadInputTests {
    static func expectRejected(_ mutate: (inout ByteBuffer) -> Void, _ comment: Comment) throws {
        try withTemporaryDirectory { dir in
            let log = try PartitionLog(directory: dir)
            try log.appendDurably(makeTestBatch(records: 2, valueSize: 10))
            let sizeBefore = log.sizeInBytes
            var bytes = makeTestBatch(records: 3, valueSize: 20).bytes
            mutate(&bytes)
            #expect(throws: StorageError.self, comment) { try log.append(validating: bytes) }
            #expect(log.logEndOffset == 2, comment)
            #expect(log.sizeInBytes == sizeBefore, comment)
            #expect(!log.isOffline, comment)
        }
    }

    @Test func badCRC() throws {
        try Self.expectRejected({ $0.setInteger(UInt8(0xAB), at: $0.writerIndex - 1) }, "flipped last byte")
    }

    @Test func wrongMagic() throws {
        try Self.expectRejected({ $0.setInteger(Int8(1), at: RecordBatchHeader.Field.magic) }, "magic 1")
    }

    @Test func inconsistentLength() throws {
        try Self.expectRejected({ $0.setInteger(Int32(30), at: RecordBatchHeader.Field.batchLength) }, "batchLength below minimum")
        try Self.expectRejected({ $0.setInteger(Int32(5_000), at: RecordBatchHeader.Field.batchLength) }, "batchLength past the end")
        try Self.expectRejected({ $0.writeBytes([0, 0, 0]) }, "trailing bytes")
    }

    @Test func truncatedAtEveryLength() throws {
        let full = makeTestBatch(records: 3, valueSize: 20).bytes
        for cut in stride(from: 0, to: full.readableBytes, by: 7) {
            try Self.expectRejected({ $0 = full.getSlice(at: 0, length: cut)! }, "cut at \(cut)")
        }
    }
}

extension BadInputTests {
    @Test func recordLevelProblemsAreCaughtUnderAValidCRC() throws {
        // lastOffsetDelta disagreeing with the record count (KAFKA-6554), with a correct CRC.
        var batch = makeTestBatch(records: 3, valueSize: 5)
        var bytes = batch.bytes
        bytes.setInteger(Int32(5), at: RecordBatchHeader.Field.lastOffsetDelta)
        batch = RecordBatch(unchecked: bytes, header: RecordBatchHeader(bytes, at: 0)!)
        batch.recomputeCRC()
        let fixed = batch.bytes
        try Self.expectRejected({ $0 = fixed }, "lastOffsetDelta mismatch")
    }

    @Test func compactedTopicsRequireKeys() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.compacted = true
            let log = try PartitionLog(directory: dir, config: config)
            let error = #expect(throws: StorageError.self) { try log.append(validating: makeTestBatch(records: 1, valueSize: 3).bytes) }
            #expect(error?.batchError?.kind == .invalidStructure)
            #expect(log.logEndOffset == 0)
        }
    }
}
