import Foundation
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

/// Thousands of partitions open at once with a bounded number of file descriptors.
@Suite struct ManyPartitionsTests {
    /// Descriptors of this process that point into `directory` (other tests run in parallel in the
    /// same process, so only ours are counted).
    static func openDescriptors(under directory: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { fd in
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)) ?? "").hasPrefix(directory)
        }.count
    }

    @Test func tenThousandPartitionsOnABoundedDescriptorPool() throws {
        try withTemporaryDirectory { dir in
            let disk = CachedDisk(POSIXDisk(), capacity: 64)
            var logs: [PartitionLog] = []
            for p in 0..<10_000 {
                let log = try PartitionLog(directory: "\(dir)/topic-\(p)", disk: disk)
                try log.append(makeTestBatch(records: 1, valueSize: 8, seed: p))
                logs.append(log)
            }
            #expect(disk.openCount <= 64)
            #expect(Self.openDescriptors(under: dir) <= 64)
            // Every partition still reads and writes correctly after its descriptor was evicted.
            for p in stride(from: 0, to: 10_000, by: 997) {
                #expect(try logs[p].appendDurably(makeTestBatch(records: 2, valueSize: 8)).baseOffset == 1)
                #expect(batchOffsets(try logs[p].read(from: 0, maxBytes: 1 << 16)) == [0, 1])
            }
            #expect(disk.openCount <= 64)
        }
    }
}
