import Foundation
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

/// Thousands of partitions open at once with a bounded number of file descriptors.
@Suite struct ManyPartitionsTests {
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    @Test func tenThousandPartitionsOnABoundedDescriptorPool() throws {
        try withTemporaryDirectory { dir in
            let disk = CachedDisk(POSIXDisk(), capacity: 64)
            let before = Self.openDescriptors()
            var logs: [PartitionLog] = []
            for p in 0..<10_000 {
                let log = try PartitionLog(directory: "\(dir)/topic-\(p)", disk: disk)
                try log.append(makeTestBatch(records: 1, valueSize: 8, seed: p))
                logs.append(log)
            }
            #expect(disk.openCount <= 64)
            // Other tests run in parallel in this process, so allow some slack over the pool size.
            #expect(Self.openDescriptors() - before < 64 + 200)
            // Every partition still reads and writes correctly after its descriptor was evicted.
            for p in stride(from: 0, to: 10_000, by: 997) {
                #expect(try logs[p].appendDurably(makeTestBatch(records: 2, valueSize: 8)).baseOffset == 1)
                #expect(batchOffsets(try logs[p].read(from: 0, maxBytes: 1 << 16)) == [0, 1])
            }
            #expect(disk.openCount <= 64)
        }
    }
}
