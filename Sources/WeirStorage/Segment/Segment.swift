import NIOCore
import WeirRecords

/// One log segment: `<20-digit baseOffset>.log` plus its sparse offset and time indexes.
///
/// - The log file is a concatenation of whole RecordBatch v2 batches stored byte for byte, with
///   `baseOffset` assigned by the log. Offsets in it are strictly increasing.
/// - `.index`: 8-byte entries `relativeOffset uint32, position uint32` (big-endian), one per
///   `indexIntervalBytes` of log, each naming the start of a batch; relative offsets and positions
///   strictly increase. `.timeindex`: 12-byte entries `maxTimestampSoFar int64, relativeOffset uint32`,
///   timestamps non-decreasing. Both are written when the segment is sealed or closed, held in memory
///   meanwhile, and rebuilt from the log when missing or inconsistent (they carry no checksum).
///
/// Not thread-safe: the owning `PartitionLog` serialises access under its lock.
final class Segment: @unchecked Sendable {  // safe: only used under PartitionLog's monitor
    struct IndexEntry: Equatable {
        var relativeOffset: UInt32
        var position: UInt32
    }
    struct TimeEntry: Equatable {
        var timestamp: Int64
        var relativeOffset: UInt32
    }

    let baseOffset: Int64
    let directory: String
    let file: any StorageFile
    private let disk: any Disk
    private let indexIntervalBytes: Int
    /// Bytes of log; the position the next batch is written at.
    private(set) var size: Int
    /// The offset after the last batch (baseOffset when empty).
    private(set) var nextOffset: Int64
    /// Largest batch maxTimestamp seen, -1 when empty.
    private(set) var maxTimestamp: Int64 = -1
    /// Wall-clock ms when the segment was created or first written after open (for time-based roll).
    let createdAtMs: Int64
    private(set) var offsetIndex: [IndexEntry] = []
    private(set) var timeIndex: [TimeEntry] = []
    private var bytesSinceIndexEntry = 0

    static func fileName(_ baseOffset: Int64, _ suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    var logPath: String { directory + "/" + Self.fileName(baseOffset, ".log") }
    var indexPath: String { directory + "/" + Self.fileName(baseOffset, ".index") }
    var timeIndexPath: String { directory + "/" + Self.fileName(baseOffset, ".timeindex") }

    private init(disk: any Disk, directory: String, baseOffset: Int64, file: any StorageFile, size: Int, indexIntervalBytes: Int, nowMs: Int64) {
        self.disk = disk
        self.directory = directory
        self.baseOffset = baseOffset
        self.file = file
        self.size = size
        self.nextOffset = baseOffset
        self.indexIntervalBytes = indexIntervalBytes
        self.createdAtMs = nowMs
    }

    /// Creates an empty segment and makes its directory entry durable (unless `syncDirectory` is false: then
    /// the caller fsyncs the directory before it counts anything in the segment as durable).
    static func create(disk: any Disk, directory: String, baseOffset: Int64, indexIntervalBytes: Int, nowMs: Int64, syncDirectory: Bool = true) throws(StorageError) -> Segment {
        let path = directory + "/" + fileName(baseOffset, ".log")
        let file = try disk.open(path, create: true)
        try file.truncate(to: 0)
        if syncDirectory { try disk.syncDirectory(directory) }  // a new segment is durable only with its directory entry
        return Segment(disk: disk, directory: directory, baseOffset: baseOffset, file: file, size: 0, indexIntervalBytes: indexIntervalBytes, nowMs: nowMs)
    }

    /// Opens an existing segment. With `recover`, every batch is revalidated (framing, magic, CRC)
    /// and the log is truncated at the first invalid byte; the indexes are rebuilt. Without it,
    /// saved indexes are loaded when consistent, else rebuilt by a header-only scan.
    /// Returns the segment and the number of bytes truncated.
    static func open(disk: any Disk, directory: String, baseOffset: Int64, indexIntervalBytes: Int, recover: Bool, nowMs: Int64) throws(StorageError) -> (Segment, truncatedBytes: Int) {
        let file = try disk.open(directory + "/" + fileName(baseOffset, ".log"), create: false)
        let fileSize = try file.size()
        let segment = Segment(disk: disk, directory: directory, baseOffset: baseOffset, file: file, size: fileSize, indexIntervalBytes: indexIntervalBytes, nowMs: nowMs)
        if !recover, try segment.loadIndexes() {
            return (segment, 0)
        }
        let validEnd = try segment.rebuild(verifyCRC: recover)
        if validEnd < fileSize {
            try file.truncate(to: validEnd)
            try file.sync()
            segment.size = validEnd
        }
        return (segment, fileSize - validEnd)
    }

    /// Appends one batch (baseOffset already assigned). The caller guarantees offsets increase.
    func append(_ batch: RecordBatch) throws(StorageError) {
        let header = batch.header
        precondition(header.baseOffset >= nextOffset, "offsets must increase within a segment")
        precondition(header.lastOffset - baseOffset <= Int64(UInt32.max), "relative offset overflow")
        try file.write(batch.bytes, at: size)
        noteBatch(header, at: size)
        size += header.totalSize
    }

    /// Records a batch written at `position` in the in-memory indexes.
    private func noteBatch(_ header: RecordBatchHeader, at position: Int) {
        if offsetIndex.isEmpty || bytesSinceIndexEntry >= indexIntervalBytes {
            let relative = UInt32(header.baseOffset - baseOffset)
            offsetIndex.append(IndexEntry(relativeOffset: relative, position: UInt32(position)))
            if header.maxTimestamp > maxTimestamp {
                timeIndex.append(TimeEntry(timestamp: header.maxTimestamp, relativeOffset: relative))
            }
            bytesSinceIndexEntry = 0
        }
        bytesSinceIndexEntry += header.totalSize
        maxTimestamp = max(maxTimestamp, header.maxTimestamp)
        nextOffset = header.nextOffset
    }

    /// Scans the log from the start, rebuilding indexes; returns the end of the last valid batch.
    private func rebuild(verifyCRC: Bool) throws(StorageError) -> Int {
        offsetIndex.removeAll()
        timeIndex.removeAll()
        bytesSinceIndexEntry = 0
        maxTimestamp = -1
        nextOffset = baseOffset
        var position = 0
        let chunk = 1 << 20
        while position < size {  // each pass advances or returns, so it ends
            let window = try file.read(count: min(chunk, size - position), at: position)
            var scanner = RecordBatchScanner(window, verifyCRC: verifyCRC)
            var advanced = 0
            while let (index, header) = scanner.next() {
                guard header.baseOffset >= nextOffset else { return position + advanced }  // offsets went back: corrupt tail
                noteBatch(header, at: position + index - window.readerIndex)
                advanced = index - window.readerIndex + header.totalSize
            }
            if advanced > 0 {
                position += advanced  // a batch cut by the window edge is re-read on the next pass
                continue
            }
            // No whole batch in the window: either one batch larger than the window, or the invalid tail.
            guard let needed = Self.batchSize(window, at: window.readerIndex), needed > window.readableBytes,
                position + needed <= size
            else { return position }
            let whole = try file.read(count: needed, at: position)
            var single = RecordBatchScanner(whole, verifyCRC: verifyCRC)
            guard let (_, header) = single.next(), header.baseOffset >= nextOffset else { return position }
            noteBatch(header, at: position)
            position += header.totalSize
        }
        return position
    }

    private static func batchSize(_ buffer: ByteBuffer, at index: Int) -> Int? {
        guard let length: Int32 = buffer.getInteger(at: index + RecordBatchHeader.Field.batchLength),
            length >= RecordBatchHeader.minimumBatchLength
        else { return nil }
        return RecordBatchHeader.logOverhead + Int(length)
    }

    /// The position of the batch containing `offset`, or nil when offset ≥ nextOffset.
    func position(of offset: Int64) throws(StorageError) -> Int? {
        guard offset < nextOffset else { return nil }
        let start = indexedPosition(atOrBefore: UInt32(max(0, offset - baseOffset)))
        var position = start
        while position < size {
            let head = try file.read(count: RecordBatchHeader.size, at: position)
            guard let header = RecordBatchHeader(head, at: head.readerIndex) else { return nil }
            if header.lastOffset >= offset { return position }
            position += header.totalSize
        }
        return nil
    }

    /// Position of the last offset-index entry whose relative offset is ≤ `relative` (0 if none).
    private func indexedPosition(atOrBefore relative: UInt32) -> Int {
        var low = 0, high = offsetIndex.count - 1, start = 0
        while low <= high {
            let mid = (low + high) / 2
            if offsetIndex[mid].relativeOffset <= relative { start = Int(offsetIndex[mid].position); low = mid + 1 } else { high = mid - 1 }
        }
        return start
    }

    /// The first offset whose batch maxTimestamp ≥ `timestamp`, as (batch position), or nil.
    func position(forTimestamp timestamp: Int64) throws(StorageError) -> Int? {
        guard maxTimestamp >= timestamp else { return nil }
        // The last time-index entry below `timestamp` bounds where a later batch can start.
        var low = 0, high = timeIndex.count - 1, relative: UInt32 = 0
        while low <= high {
            let mid = (low + high) / 2
            if timeIndex[mid].timestamp < timestamp { relative = timeIndex[mid].relativeOffset; low = mid + 1 } else { high = mid - 1 }
        }
        let start = indexedPosition(atOrBefore: relative)
        var position = start
        while position < size {
            let head = try file.read(count: RecordBatchHeader.size, at: position)
            guard let header = RecordBatchHeader(head, at: head.readerIndex) else { return nil }
            if header.maxTimestamp >= timestamp { return position }
            position += header.totalSize
        }
        return nil
    }

    /// Reads whole batches from `position`: at most `maxBytes` unless the first batch alone is
    /// larger (then that batch whole, KIP-74), and nothing at or past `endOffset`.
    func read(from position: Int, maxBytes: Int, endOffset: Int64) throws(StorageError) -> ByteBuffer {
        let range = try byteRange(from: position, maxBytes: maxBytes, endOffset: endOffset)
        guard !range.isEmpty else { return ByteBuffer() }
        return try file.read(count: range.count, at: range.lowerBound)
    }

    /// The batches `read` returns, for sending: a byte range of this segment's file with a duplicated
    /// descriptor (sendfile, no copy through user space), or the bytes when the disk has no descriptor.
    func slice(from position: Int, maxBytes: Int, endOffset: Int64) throws(StorageError) -> LogSlice {
        let range = try byteRange(from: position, maxBytes: maxBytes, endOffset: endOffset)
        guard !range.isEmpty else { return .bytes(ByteBuffer()) }
        if let descriptor = file.duplicateDescriptor() {
            return .file(descriptor: descriptor, offset: range.lowerBound, length: range.count)
        }
        return .bytes(try file.read(count: range.count, at: range.lowerBound))
    }

    /// The bytes `read` returns, found from batch headers only: whole batches from `position` within
    /// `max(maxBytes, one header)` bytes and below `endOffset`, or the first batch whole when it alone is
    /// larger. The sparse offset index skips whole batches; the last stretch (about one index interval)
    /// is walked header by header from small reads.
    func byteRange(from position: Int, maxBytes: Int, endOffset: Int64) throws(StorageError) -> Range<Int> {
        guard position < size else { return position..<position }
        let limit = position + min(size - position, max(maxBytes, RecordBatchHeader.size))
        var end = position
        // An index entry at P ≤ limit names a batch start: the batches before it are whole and end by P,
        // with offsets below the entry's base offset, which must not exceed endOffset.
        var low = 0, high = offsetIndex.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let entry = offsetIndex[mid]
            if Int(entry.position) <= limit && baseOffset + Int64(entry.relativeOffset) <= endOffset {
                end = max(end, Int(entry.position))
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        let chunkBytes = 16 << 10
        var chunk = ByteBuffer()
        var chunkStart = 0
        while limit - end >= RecordBatchHeader.size {
            if end < chunkStart || end + RecordBatchHeader.size > chunkStart + chunk.readableBytes {
                chunk = try file.read(count: min(chunkBytes, limit - end), at: end)
                chunkStart = end
            }
            guard let header = RecordBatchHeader(chunk, at: chunk.readerIndex + end - chunkStart),
                header.batchLength >= RecordBatchHeader.minimumBatchLength,
                header.totalSize <= limit - end, header.lastOffset < endOffset
            else { break }
            end += header.totalSize
        }
        if end == position {  // the first batch alone is larger than maxBytes: whole (KIP-74)
            let head = try file.read(count: RecordBatchHeader.size, at: position)
            if let header = RecordBatchHeader(head, at: head.readerIndex), header.lastOffset < endOffset {
                return position..<min(position + header.totalSize, size)
            }
        }
        return position..<end
    }

    /// Truncates so that the segment ends before `offset` (which must fall on a batch boundary
    /// or inside a batch, which is then dropped whole).
    func truncate(before offset: Int64) throws(StorageError) {
        guard offset < nextOffset else { return }
        let cut = try position(of: offset) ?? size
        try file.truncate(to: cut)
        try file.sync()
        size = cut
        _ = try rebuild(verifyCRC: false)
    }

    // MARK: Index files

    func saveIndexes() throws(StorageError) {
        var index = ByteBufferAllocator().buffer(capacity: offsetIndex.count * 8)
        for e in offsetIndex { index.writeMultipleIntegers(e.relativeOffset, e.position) }
        var time = ByteBufferAllocator().buffer(capacity: timeIndex.count * 12)
        for e in timeIndex { time.writeMultipleIntegers(e.timestamp, e.relativeOffset) }
        for (path, bytes) in [(indexPath, index), (timeIndexPath, time)] {
            let f = try disk.open(path, create: true)
            defer { f.close() }
            try f.truncate(to: 0)
            try f.write(bytes, at: 0)
            try f.sync()
        }
    }

    /// Loads saved indexes; false when missing or inconsistent with the log (then rebuild).
    private func loadIndexes() throws(StorageError) -> Bool {
        guard disk.exists(indexPath), disk.exists(timeIndexPath), size > 0 else { return false }
        let f = try disk.open(indexPath, create: false)
        defer { f.close() }
        let n = try f.size()
        guard n > 0, n % 8 == 0 else { return false }
        var bytes = try f.read(count: n, at: 0)
        var entries: [IndexEntry] = []
        while let (rel, pos) = bytes.readMultipleIntegers(as: (UInt32, UInt32).self) {
            guard entries.last.map({ $0.relativeOffset < rel && $0.position < pos }) ?? (pos == 0) else { return false }
            guard Int(pos) < size else { return false }
            entries.append(IndexEntry(relativeOffset: rel, position: pos))
        }
        let t = try disk.open(timeIndexPath, create: false)
        defer { t.close() }
        let tn = try t.size()
        guard tn % 12 == 0 else { return false }
        var tbytes = try t.read(count: tn, at: 0)
        var times: [TimeEntry] = []
        while let (ts, rel) = tbytes.readMultipleIntegers(as: (Int64, UInt32).self) {
            guard times.last.map({ $0.timestamp <= ts }) ?? true else { return false }
            times.append(TimeEntry(timestamp: ts, relativeOffset: rel))
        }
        // The tail after the last index entry is scanned by headers to find nextOffset/maxTimestamp.
        offsetIndex = entries
        timeIndex = times
        maxTimestamp = times.last?.timestamp ?? -1
        var position = Int(entries.last!.position)
        while position < size {
            let head = try file.read(count: RecordBatchHeader.size, at: position)
            guard let header = RecordBatchHeader(head, at: head.readerIndex), position + header.totalSize <= size else { return false }
            maxTimestamp = max(maxTimestamp, header.maxTimestamp)
            nextOffset = header.nextOffset
            bytesSinceIndexEntry += header.totalSize
            position += header.totalSize
        }
        return true
    }

    func close() { file.close() }

    /// Closes and removes the segment's files.
    func delete() throws(StorageError) {
        file.close()
        for path in [logPath, indexPath, timeIndexPath] where disk.exists(path) {
            try disk.remove(path)
        }
    }
}
