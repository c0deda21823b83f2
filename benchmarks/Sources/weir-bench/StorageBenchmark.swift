#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import WeirRecords
import WeirStorage
import WeirTestSupport

/// Durable append and sequential read of the storage engine against raw pwrite+fdatasync / pread
/// on the same disk, in the same process and run. Options: `--dir PATH` (default: a fresh directory
/// under /var/tmp), `--seconds S` per cell (default 1.5).
enum StorageBenchmark {
    static func run(_ args: [String]) throws {
        var seconds = 1.5
        var root = "/var/tmp/weir-bench-\(getpid())"
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--seconds": seconds = Double(args[i + 1]) ?? seconds; i += 2
            case "--dir": root = args[i + 1]; i += 2
            default: throw BenchError("unknown option \(args[i])")
            }
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("Storage: durable append (fdatasync before acknowledge) vs raw pwrite+fdatasync of the same bytes")
        print("CRC-32C hardware: \(CRC32C.isHardwareAccelerated)   seconds per cell: \(seconds)   dir: \(root)")
        print("")
        print(pad("record", 7) + pad("batch", 6) + pad("writers", 8) + pad("weir rec/s", 13) + pad("weir MB/s", 11)
            + pad("raw rec/s", 13) + pad("raw MB/s", 10) + "ratio")
        var cell = 0
        for recordSize in [100, 1024] {
            for batchRecords in [1, 16, 256] {
                for writers in [1, 8] {
                    cell += 1
                    let batch = makeTestBatch(records: batchRecords, valueSize: recordSize - 8)
                    // Alternate the two (raw, weir, raw, weir) so a noisy neighbour hits both alike.
                    var weir = Rate(batchesPerSecond: 0), raw = Rate(batchesPerSecond: 0)
                    for round in 0..<2 {
                        let r = try rawAppend(path: "\(root)/raw-\(cell)-\(round)", batch: batch, writers: writers, seconds: seconds / 2)
                        let w = try weirAppend(dir: "\(root)/weir-\(cell)-\(round)", batch: batch, writers: writers, seconds: seconds / 2)
                        raw.batchesPerSecond += r.batchesPerSecond / 2
                        weir.batchesPerSecond += w.batchesPerSecond / 2
                    }
                    let rec = Double(batchRecords)
                    let size = Double(batch.totalSize)
                    print(pad("\(recordSize)B", 7) + pad("\(batchRecords)", 6) + pad("\(writers)", 8)
                        + pad(fmt(weir.batchesPerSecond * rec), 13) + pad(fmt(weir.batchesPerSecond * size / 1e6, 1), 11)
                        + pad(fmt(raw.batchesPerSecond * rec), 13) + pad(fmt(raw.batchesPerSecond * size / 1e6, 1), 10)
                        + fmt(weir.batchesPerSecond / raw.batchesPerSecond, 2))
                }
            }
        }
        print("")
        try sequentialRead(root: root, seconds: seconds)
        crcThroughput(seconds: seconds)
    }

    /// CRC-32C over 1 MiB and over 1 KiB buffers, one core.
    static func crcThroughput(seconds: Double) {
        for size in [1 << 20, 1024] {
            let bytes = [UInt8](repeating: 0x5A, count: size)
            var total = 0
            var sink: UInt32 = 0
            let start = now()
            while now() - start < seconds / 2 {
                for _ in 0..<64 { sink &+= bytes.withUnsafeBytes { CRC32C.checksum($0) } }
                total += 64 * size
            }
            let rate = Double(total) / (now() - start)
            print("CRC-32C over \(size >= 1 << 20 ? "1 MiB" : "1 KiB") buffers: \(fmt(rate / 1e9, 2)) GB/s (one core, hardware: \(CRC32C.isHardwareAccelerated)) [\(sink & 1)]")
        }
    }

    struct Rate {
        var batchesPerSecond: Double
    }

    /// `writers` threads each appending durably for `seconds`.
    static func weirAppend(dir: String, batch: RecordBatch, writers: Int, seconds: Double) throws -> Rate {
        let log = try PartitionLog(directory: dir)
        let counter = Counter()
        let start = now()
        let group = DispatchGroup()
        for _ in 0..<writers {
            group.enter()
            Thread.detachNewThread {
                while now() - start < seconds {
                    guard (try? log.appendDurably(batch)) != nil else { break }
                    counter.add(1)
                }
                group.leave()
            }
        }
        group.wait()
        let elapsed = now() - start
        try log.close()
        return Rate(batchesPerSecond: Double(counter.value) / elapsed)
    }

    /// The baseline: the same bytes with pwrite + fdatasync per batch, `writers` threads sharing one
    /// file and one lock (what a log without group commit does).
    static func rawAppend(path: String, batch: RecordBatch, writers: Int, seconds: Double) throws -> Rate {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("open \(path): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(batch.bytes.readableBytesView)
        let counter = Counter()  // its lock also serialises the file position
        let start = now()
        let group = DispatchGroup()
        for _ in 0..<writers {
            group.enter()
            Thread.detachNewThread {
                while now() - start < seconds {
                    counter.withLock { position in
                        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(position)) }
                        position += written
                        fdatasync(fd)
                    }
                }
                group.leave()
            }
        }
        group.wait()
        return Rate(batchesPerSecond: Double(counter.value) / (now() - start))
    }

    static func sequentialRead(root: String, seconds: Double) throws {
        let dir = root + "/read"
        let log = try PartitionLog(directory: dir)
        let batch = makeTestBatch(records: 256, valueSize: 1016)
        let target = 512 << 20
        var written = 0
        while written < target {
            try log.append(batch)
            written += batch.totalSize
        }
        try log.flush()
        // Warm the page cache, then time full passes.
        var bytesRead = 0
        let chunk = 1 << 20
        func pass() throws -> Int {
            var offset: Int64 = 0
            var total = 0
            while offset < log.logEndOffset {
                let bytes = try log.read(from: offset, maxBytes: chunk)
                guard let last = lastBatchEnd(bytes) else { break }
                total += bytes.readableBytes
                offset = last
            }
            return total
        }
        _ = try pass()
        var start = now()
        while now() - start < seconds { bytesRead += try pass() }
        let weirRate = Double(bytesRead) / (now() - start)
        // Raw baseline: pread of the segment file in the same chunk size.
        let fd = open(dir + "/00000000000000000000.log", O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: chunk)
        var rawRead = 0
        start = now()
        while now() - start < seconds {
            var position = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunk, off_t(position)) }
                if n <= 0 { break }
                position += n
                rawRead += n
            }
        }
        let rawRate = Double(rawRead) / (now() - start)
        print("Sequential read from page cache (\(written >> 20) MiB log, 1 MiB reads):")
        print("  weir \(fmt(weirRate / 1e9, 2)) GB/s   raw pread \(fmt(rawRate / 1e9, 2)) GB/s   ratio \(fmt(weirRate / rawRate, 2))")
        try log.close()
    }

    static func lastBatchEnd(_ bytes: ByteBuffer) -> Int64? {
        var scanner = RecordBatchScanner(bytes, verifyCRC: false)
        var end: Int64? = nil
        while let (_, header) = scanner.next() { end = header.nextOffset }
        return end
    }
}

final class Counter: @unchecked Sendable {  // safe: guarded by the lock
    private let lock = NSLock()
    private var count = 0
    private var position = 0
    func add(_ n: Int) { lock.withLock { count += n } }
    var value: Int { lock.withLock { count } }
    /// Runs `body` with the shared file position under the lock, then counts one operation.
    func withLock(_ body: (inout Int) -> Void) {
        lock.withLock {
            body(&position)
            count += 1
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

func fmt(_ value: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", value) }
