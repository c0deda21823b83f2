import NIOCore
import WeirCompression
import WeirRecords

/// Log compaction for keyed topics (`cleanup.policy=compact`): in the sealed segments, only the latest
/// record of each key survives; tombstones (null values) survive until they are older than
/// `delete.retention.ms`, so consumers that were behind still see the delete.
///
/// Runs without holding the partition lock while it reads and rewrites: sealed segments are immutable,
/// so appends to the active segment go on. Only the swap of each cleaned segment takes the lock.
/// Crash safety: a cleaned segment is written as `<base>.log.cleaned`, fsynced, then renamed over
/// `<base>.log` and the directory fsynced; a leftover `.cleaned` file is deleted on open.
/// Offsets never change: a cleaned batch keeps its baseOffset and lastOffsetDelta (so the next
/// offset is unchanged), and holds fewer records.
extension PartitionLog {
    /// What one compaction pass did.
    public struct CompactionReport: Sendable, Hashable {
        public var segmentsCleaned = 0
        public var recordsRemoved = 0
        public var tombstonesRemoved = 0
        public var bytesBefore = 0
        public var bytesAfter = 0
    }

    /// Compacts every sealed segment. `deleteRetentionMs`: tombstones whose timestamp is older than
    /// `nowMs - deleteRetentionMs` are removed too. Safe to call while other threads append and read.
    @discardableResult
    public func compact(nowMs: Int64? = nil, deleteRetentionMs: Int64? = nil) throws(StorageError) -> CompactionReport {
        let now = nowMs ?? currentTimeMs()
        let deleteRetentionMs = deleteRetentionMs ?? config.deleteRetentionMs
        let sealed = sealedSegmentsSnapshot()
        guard !sealed.isEmpty else { return CompactionReport() }

        // Pass 1: the latest offset of every key in the sealed range.
        var latest: [ByteBuffer: Int64] = [:]
        for segment in sealed {
            try forEachRecord(in: segment) { _, offset, key, _, _ in
                if let key { latest[key] = offset }
            }
        }

        // Pass 2: rewrite each segment that loses records, then swap it in.
        var report = CompactionReport()
        for segment in sealed {
            var cleaned = ByteBuffer()
            var removed = 0, tombstones = 0
            var position = 0
            while position < segment.size {
                let window = try segment.file.read(count: min(segment.size - position, 1 << 20), at: position)
                var scanner = RecordBatchScanner(window, verifyCRC: false)
                var consumed = 0
                while let (index, header) = scanner.next() {
                    consumed = index - window.readerIndex + header.totalSize
                    guard let slice = window.getSlice(at: index, length: header.totalSize) else { break }
                    let batch = RecordBatch(unchecked: slice, header: header)
                    let (kept, dropped, droppedTombstones) = try filter(batch, latest: latest, tombstoneHorizon: now - deleteRetentionMs)
                    removed += dropped
                    tombstones += droppedTombstones
                    if var kept { cleaned.writeBuffer(&kept) }
                }
                guard consumed > 0 else {
                    // A batch larger than the window: read it whole.
                    guard let head = RecordBatchHeader(window, at: window.readerIndex) else { break }
                    let whole = try segment.file.read(count: head.totalSize, at: position)
                    let batch = RecordBatch(unchecked: whole, header: head)
                    let (kept, dropped, droppedTombstones) = try filter(batch, latest: latest, tombstoneHorizon: now - deleteRetentionMs)
                    removed += dropped
                    tombstones += droppedTombstones
                    if var kept { cleaned.writeBuffer(&kept) }
                    position += head.totalSize
                    continue
                }
                position += consumed
            }
            guard removed > 0 else { continue }
            report.segmentsCleaned += 1
            report.recordsRemoved += removed
            report.tombstonesRemoved += tombstones
            report.bytesBefore += segment.size
            report.bytesAfter += cleaned.readableBytes
            try swapCleaned(segment, with: cleaned)
        }
        return report
    }

    /// The batch with only surviving records (nil when none survive), and how many were dropped.
    private func filter(_ batch: RecordBatch, latest: [ByteBuffer: Int64], tombstoneHorizon: Int64) throws(StorageError) -> (ByteBuffer?, Int, Int) {
        let header = batch.header
        if header.attributes.isControl { return (batch.bytes, 0, 0) }  // transaction markers are kept
        var region = ByteBuffer()
        var kept = 0, dropped = 0, tombstones = 0
        do throws(RecordBatchError) {
            var records = try batch.records()
            while let record = try records.next() {
                let offset = header.baseOffset + Int64(record.offsetDelta)
                let timestamp = header.baseTimestamp + record.timestampDelta
                let superseded = record.key.map { latest[$0].map { $0 > offset } ?? false } ?? false
                let expiredTombstone = record.value == nil && record.key != nil && timestamp < tombstoneHorizon
                if superseded || expiredTombstone {
                    dropped += 1
                    if expiredTombstone && !superseded { tombstones += 1 }
                    continue
                }
                record.write(to: &region)
                kept += 1
            }
        } catch {
            throw StorageError(.corrupt, "compaction cannot read batch at offset \(header.baseOffset): \(error)")
        }
        if dropped == 0 { return (batch.bytes, 0, 0) }
        if kept == 0 { return (nil, dropped, tombstones) }
        // Re-encode with the batch's own codec; offsets, timestamps and producer fields are kept.
        let codec = CompressionCodec(rawValue: header.attributes.compressionCodec) ?? .none
        var encoded = region
        if codec != .none {
            do throws(CompressionError) {
                let compressed = try region.withUnsafeReadableBytes { raw throws(CompressionError) in try Compression.compress(raw, codec: codec) }
                encoded = ByteBuffer(bytes: compressed)
            } catch {
                throw StorageError(.corrupt, "compaction cannot recompress batch at offset \(header.baseOffset): \(error)")
            }
        }
        var newHeader = header
        newHeader.recordCount = Int32(kept)
        do throws(RecordBatchError) {
            return (try RecordBatchBuilder.assemble(header: newHeader, recordsRegion: encoded).bytes, dropped, tombstones)
        } catch {
            throw StorageError(.corrupt, "compaction cannot assemble batch at offset \(header.baseOffset): \(error)")
        }
    }

    /// Calls `body(batchHeader, offset, key, value, timestamp)` for every record of `segment`.
    private func forEachRecord(in segment: Segment, _ body: (RecordBatchHeader, Int64, ByteBuffer?, ByteBuffer?, Int64) -> Void) throws(StorageError) {
        var position = 0
        while position < segment.size {
            let head = try segment.file.read(count: RecordBatchHeader.size, at: position)
            guard let header = RecordBatchHeader(head, at: head.readerIndex) else { break }
            let bytes = try segment.file.read(count: header.totalSize, at: position)
            let batch = RecordBatch(unchecked: bytes, header: header)
            do throws(RecordBatchError) {
                var records = try batch.records()
                while let record = try records.next() {
                    body(header, header.baseOffset + Int64(record.offsetDelta), record.key, record.value, header.baseTimestamp + record.timestampDelta)
                }
            } catch {
                throw StorageError(.corrupt, "compaction cannot read batch at offset \(header.baseOffset): \(error)")
            }
            position += header.totalSize
        }
    }
}
