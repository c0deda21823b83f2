#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

/// `read` finds its batches from headers and the sparse index (no window read), and `readForSending` hands
/// out the same bytes as a file range with a duplicated descriptor. Both are checked against a reference that
/// scans the whole segment bytes the way `read` always did.
@Suite struct ReadForSendingTests {
    /// Reference: whole batches of the segment holding `offset`, from the batch containing it, within
    /// max(maxBytes, 61) bytes and below `end`; else the first batch whole when below `end`.
    static func expected(_ segments: [(base: Int64, bytes: ByteBuffer)], offset: Int64, maxBytes: Int, end: Int64) -> ByteBuffer {
        guard offset < end else { return ByteBuffer() }
        let first = segments.lastIndex { $0.base <= offset } ?? 0
        for segment in segments[first...] {
            var scanner = RecordBatchScanner(segment.bytes, verifyCRC: false)
            var start: Int?
            while let (index, header) = scanner.next() {
                if header.lastOffset >= offset {
                    start = index
                    break
                }
            }
            guard let start else { continue }  // offset past this segment (or in a gap): the next one
            let window = min(segment.bytes.writerIndex - start, max(maxBytes, RecordBatchHeader.size))
            var stop = start
            var walk = RecordBatchScanner(segment.bytes.getSlice(at: start, length: window)!, verifyCRC: false)
            while let (index, header) = walk.next(), header.lastOffset < end { stop = start + index + header.totalSize }
            if stop == start {
                guard let header = RecordBatchHeader(segment.bytes, at: start), header.lastOffset < end else { return ByteBuffer() }
                return segment.bytes.getSlice(at: start, length: header.totalSize)!
            }
            return segment.bytes.getSlice(at: start, length: stop - start)!
        }
        return ByteBuffer()
    }

    static func segmentFiles(_ directory: String) throws -> [(base: Int64, bytes: ByteBuffer)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            return (Int64(name.prefix(20))!, ByteBuffer(bytes: data))
        }
    }

    static func bytes(of slice: LogSlice) -> ByteBuffer {
        switch slice {
        case .bytes(let bytes): return bytes
        case .file(let fd, let offset, let length):
            defer { close(fd) }
            var out = ByteBuffer()
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: max(length, 1)) { raw in
                var done = 0
                while done < length {
                    let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset + done))
                    if n <= 0 { break }
                    done += n
                }
                return done
            }
            return out
        }
    }

    @Test(arguments: [false, true])
    func sameBatchesAsTheReference(cached: Bool) async throws {
        try await onDedicatedThread {
            try withTemporaryDirectory { dir in
                var config = LogConfig()
                config.segmentBytes = 48 << 10
                config.indexIntervalBytes = 1024
                let disk: any Disk = cached ? CachedDisk(POSIXDisk(), capacity: 2) : POSIXDisk()
                let log = try PartitionLog(directory: dir, config: config, disk: disk)
                var rng = SplitMix64(seed: 0x5E_ADF11E)
                for i in 0..<400 {
                    // Mostly small batches, some of several KiB (larger than small maxBytes).
                    let count = 1 + Int(rng.next() % (i % 9 == 0 ? 40 : 4))
                    let size = i % 13 == 0 ? 900 : 20 + Int(rng.next() % 200)
                    try log.append(makeTestBatch(records: count, valueSize: size, seed: i))
                }
                try log.flush()
                #expect(log.segmentCount > 3)
                let segments = try Self.segmentFiles(dir)
                let leo = log.logEndOffset
                var checked = 0
                for _ in 0..<1500 {
                    let offset = Int64(rng.next() % UInt64(leo + 1))
                    let maxBytes = [0, 1, 61, 100, 1000, 4096, 10_000, 1 << 20][Int(rng.next() % 8)] + Int(rng.next() % 50)
                    let upTo: Int64? = rng.next() % 3 == 0 ? offset + Int64(rng.next() % 100) : nil
                    let end = min(upTo ?? leo, leo)
                    let want = Self.expected(segments, offset: offset, maxBytes: maxBytes, end: end)
                    let read = try log.read(from: offset, maxBytes: maxBytes, upTo: upTo)
                    #expect(read == want, "read offset \(offset) max \(maxBytes) upTo \(String(describing: upTo))")
                    let slice = try log.readForSending(from: offset, maxBytes: maxBytes, upTo: upTo)
                    if want.readableBytes > 0, case .bytes = slice { Issue.record("a real disk should give a file range") }
                    #expect(slice.count == want.readableBytes)
                    #expect(Self.bytes(of: slice) == want, "slice offset \(offset) max \(maxBytes)")
                    checked += want.readableBytes > 0 ? 1 : 0
                }
                #expect(checked > 500)
                try log.close()
            }
        }
    }

    @Test func descriptorOutlivesRetention() async throws {
        try await onDedicatedThread {
            try withTemporaryDirectory { dir in
                var config = LogConfig()
                config.segmentBytes = 8 << 10
                config.retentionBytes = 0
                let log = try PartitionLog(directory: dir, config: config, disk: CachedDisk(POSIXDisk(), capacity: 1))
                for i in 0..<40 { try log.append(makeTestBatch(records: 3, valueSize: 300, seed: i)) }
                try log.flush()
                let want = try log.read(from: 0, maxBytes: 1 << 20)
                let slice = try log.readForSending(from: 0, maxBytes: 1 << 20)
                #expect(try log.applyRetention() > 0)  // the first segment's files are gone
                #expect(log.logStartOffset > 0)
                #expect(Self.bytes(of: slice) == want)  // still readable through the duplicate
                try log.close()
            }
        }
    }

    @Test func simulatedDiskGivesBytes() async throws {
        try await onDedicatedThread {
            let disk = SimulatedDisk()
            let log = try PartitionLog(directory: "/sim", disk: disk)
            for i in 0..<5 { try log.append(makeTestBatch(records: 2, valueSize: 50, seed: i)) }
            let slice = try log.readForSending(from: 0, maxBytes: 1 << 20)
            guard case .bytes(let bytes) = slice else {
                Issue.record("no descriptor on a simulated disk: bytes expected")
                return
            }
            #expect(bytes == (try log.read(from: 0, maxBytes: 1 << 20)))
            #expect(batchOffsets(bytes).count == 5)
        }
    }
}
