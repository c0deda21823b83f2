import Foundation
import NIOCore
import Testing
import WeirCompression
import WeirRecords
import WeirStorage
import WeirTestSupport

/// Compaction keeps the latest record per key, removes old tombstones, never changes offsets and
/// never blocks or loses appends.
@Suite struct CompactionTests {
    static func keyedBatch(_ pairs: [(String, String?)], codec: CompressionCodec = .none, timestamp: Int64) throws -> RecordBatch {
        var builder = RecordBatchBuilder(codec: codec)
        for (key, value) in pairs { builder.append(key: key, value: value, timestamp: timestamp) }
        return try builder.build()
    }

    /// Every (offset, key, value) in the log, in order.
    static func records(_ log: PartitionLog) throws -> [(Int64, String, String?)] {
        var out: [(Int64, String, String?)] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let bytes = try log.read(from: offset, maxBytes: 1 << 20)
            var scanner = RecordBatchScanner(bytes)
            var next = offset
            while let (index, header) = scanner.next() {
                let batch = RecordBatch(unchecked: bytes.getSlice(at: index, length: header.totalSize)!, header: header)
                var it = try batch.records()
                while let r = try it.next() {
                    let o = header.baseOffset + Int64(r.offsetDelta)
                    if o >= offset {
                        out.append((o, r.key.map { String(buffer: $0) } ?? "", r.value.map { String(buffer: $0) }))
                    }
                }
                next = header.nextOffset
            }
            guard next > offset else { break }
            offset = next
        }
        return out
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .lz4])
    func latestValuePerKeySurvivesAndOffsetsStay(codec: CompressionCodec) throws {
        var rng = SplitMix64(seed: 42)
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 2_000
            let log = try PartitionLog(directory: dir, config: config)
            var latest: [String: (Int64, String)] = [:]
            for i in 0..<200 {
                let pairs = (0..<Int.random(in: 1...4, using: &rng)).map { j in ("k\(Int.random(in: 0..<20, using: &rng))", "v\(i)-\(j)") }
                let info = try log.append(Self.keyedBatch(pairs, codec: codec, timestamp: 1_000))
                for (j, (k, v)) in pairs.enumerated() { latest[k] = (info.baseOffset + Int64(j), v) }
            }
            let endBefore = log.logEndOffset
            let before = try Self.records(log)
            let report = try log.compact(nowMs: 2_000)
            #expect(report.segmentsCleaned > 0)
            #expect(report.recordsRemoved > 0)
            #expect(log.logEndOffset == endBefore)
            let after = try Self.records(log)
            // Every key's latest record is still there, at its original offset.
            for (key, (offset, value)) in latest {
                #expect(after.contains { $0.0 == offset && $0.1 == key && $0.2 == value }, "key \(key)")
            }
            // Offsets only increase; every surviving record was in the log before at the same offset.
            #expect(zip(after, after.dropFirst()).allSatisfy { $0.0 < $1.0 })
            let original = Dictionary(uniqueKeysWithValues: before.map { ($0.0, $0) })
            #expect(after.allSatisfy { original[$0.0]?.1 == $0.1 && original[$0.0]?.2 == $0.2 })
            // Within the sealed range no key appears twice.
            let activeBase = after.last!.0  // conservative: compare only keys whose records are all sealed
            let sealedKeys = after.filter { $0.0 < activeBase }.map(\.1)
            let counts = Dictionary(sealedKeys.map { ($0, 1) }, uniquingKeysWith: +)
            #expect(counts.values.filter { $0 > 1 }.count <= 20)  // a key may recur in the active segment only
            // Survives a restart, and appends continue at the same offset.
            try log.close()
            let reopened = try PartitionLog(directory: dir, config: config)
            #expect(try Self.records(reopened).map(\.0) == after.map(\.0))
            #expect(try reopened.append(Self.keyedBatch([("x", "y")], timestamp: 3_000)).baseOffset == endBefore)
        }
    }

    @Test func tombstonesStayUntilDeleteRetentionThenGo() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 300
            let log = try PartitionLog(directory: dir, config: config)
            try log.append(Self.keyedBatch([("a", "1"), ("b", "1")], timestamp: 1_000))
            try log.append(Self.keyedBatch([("a", nil)], timestamp: 1_000))  // tombstone for a
            for i in 0..<10 { try log.append(Self.keyedBatch([("c", "\(i)")], timestamp: 1_000)) }
            try log.compact(nowMs: 1_500, deleteRetentionMs: 10_000)
            var recs = try Self.records(log)
            #expect(recs.contains { $0.1 == "a" && $0.2 == nil })  // tombstone kept: not old enough
            #expect(!recs.contains { $0.1 == "a" && $0.2 == "1" })  // the deleted value is gone
            #expect(recs.contains { $0.1 == "b" && $0.2 == "1" })
            let report = try log.compact(nowMs: 20_000, deleteRetentionMs: 10_000)
            #expect(report.tombstonesRemoved == 1)
            recs = try Self.records(log)
            #expect(!recs.contains { $0.1 == "a" })
        }
    }

    @Test func appendsContinueDuringCompaction() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 4_000
            let log = try PartitionLog(directory: dir, config: config)
            for i in 0..<400 { try log.append(Self.keyedBatch([("k\(i % 10)", "\(i)")], timestamp: 1)) }
            let done = DispatchGroup()
            done.enter()
            nonisolated(unsafe) var appendError: (any Error)? = nil
            Thread.detachNewThread {
                do {
                    for i in 0..<300 { try log.append(Self.keyedBatch([("n\(i)", "\(i)")], timestamp: 2)) }
                } catch { appendError = error }
                done.leave()
            }
            for _ in 0..<5 { try log.compact(nowMs: 10) }
            #expect(done.wait(timeout: .now() + 60) == .success)
            #expect(appendError == nil)
            #expect(log.logEndOffset == 700)
            let keys = Set(try Self.records(log).map(\.1))
            for i in 0..<300 { #expect(keys.contains("n\(i)")) }  // unique keys all survive
        }
    }

    @Test func leftoverCleanedFileFromACrashIsDiscarded() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 300
            let log = try PartitionLog(directory: dir, config: config)
            for i in 0..<20 { try log.append(Self.keyedBatch([("k", "\(i)")], timestamp: 1)) }
            try log.close()
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/00000000000000000000.log.cleaned"))
            let reopened = try PartitionLog(directory: dir, config: config)
            #expect(!FileManager.default.fileExists(atPath: dir + "/00000000000000000000.log.cleaned"))
            #expect(try Self.records(reopened).count == 20)
        }
    }
}

@Suite struct LogCleanerTests {
    @Test func backgroundCleanerCompactsWhileAppendsContinue() throws {
        try withTemporaryDirectory { dir in
            var config = LogConfig()
            config.segmentBytes = 1_000
            config.compacted = true
            let log = try PartitionLog(directory: dir, config: config)
            let cleaner = LogCleaner(intervalMs: 20)
            cleaner.register(log)
            cleaner.start()
            for i in 0..<500 { try log.append(CompactionTests.keyedBatch([("k\(i % 5)", "\(i)")], timestamp: 1)) }
            let deadline = Date().addingTimeInterval(20)
            while cleaner.passes < 3 && Date() < deadline { usleep(10_000) }
            cleaner.stop()
            cleaner.runOnce()  // a final pass after the last append
            #expect(cleaner.passes >= 3)
            #expect(log.logEndOffset == 500)
            let records = try CompactionTests.records(log)
            #expect(records.count < 100)  // 500 records over 5 keys: the sealed part holds ≤ 5 per segment run
            for k in 0..<5 {  // each key's latest value survives
                #expect(records.last { $0.1 == "k\(k)" }?.2 == "\(495 + k)")
            }
        }
    }
}
