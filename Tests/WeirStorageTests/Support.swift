import Foundation
import NIOCore
import WeirRecords
import WeirStorage
import WeirTestSupport

/// A fresh temporary directory per test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "weir-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Offsets of the batches in `bytes`, in order.
func batchOffsets(_ bytes: ByteBuffer) -> [Int64] {
    var scanner = RecordBatchScanner(bytes)
    var out: [Int64] = []
    while let (_, header) = scanner.next() { out.append(header.baseOffset) }
    return out
}

/// Reads the whole log [logStartOffset, logEndOffset) as a list of (baseOffset, record count).
func readAll(_ log: PartitionLog) throws -> [(Int64, Int32)] {
    var offset = log.logStartOffset
    var out: [(Int64, Int32)] = []
    while offset < log.logEndOffset {
        let bytes = try log.read(from: offset, maxBytes: 1 << 20)
        var scanner = RecordBatchScanner(bytes)
        var progressed = false
        while let (_, header) = scanner.next() {
            if header.lastOffset >= offset {
                out.append((header.baseOffset, header.recordCount))
                offset = header.nextOffset
                progressed = true
            }
        }
        precondition(progressed, "read made no progress at \(offset)")
    }
    return out
}

final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64 = 1_700_000_000_000) { value = start }
    var now: Int64 { lock.withLock { value } }
    func advance(_ ms: Int64) { lock.withLock { value += ms } }
}
