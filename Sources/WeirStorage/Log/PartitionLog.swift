#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import NIOCore
import WeirRecords

/// The append-only log of one topic-partition: an ordered set of `Segment`s in one directory,
/// plus the checkpoints `recovery-point` (all data below it was fsynced) and `log-start-offset`.
///
/// Offsets: `logStartOffset` ≤ every retained offset < `logEndOffset`; `durableOffset` ≤ `logEndOffset`
/// is the end of what fdatasync has covered. Thread-safe: one monitor serialises writers; group commit
/// lets many threads wait on one fdatasync. Blocking: call from a thread pool, never an event loop.
public final class PartitionLog: @unchecked Sendable {  // safe: all mutable state is guarded by `monitor`
    public let directory: String
    private var _config: LogConfig
    /// The topic configuration in force; `updateConfig` changes it at runtime (AlterConfigs).
    public var config: LogConfig { monitor.withLock { _config } }
    private let disk: any Disk
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let monitor = Monitor()

    private var segments: [Segment] = []
    private var _logStartOffset: Int64 = 0
    private var _durableOffset: Int64 = 0
    private var syncInProgress = false
    /// Segments rolled but not yet sealed on disk (fdatasync, indexes, recovery checkpoint). The next durability
    /// wait seals them off the lock, before it moves the durable offset past them; until then retention keeps them.
    private var unsealed: [Segment] = []
    /// A segment file was created since the directory was last fsynced (the next durability wait fsyncs it).
    private var directoryUnsynced = false
    /// Batches appended since the last fdatasync started: the group-commit size of the next one.
    private var batchesSinceSync = 0
    /// Told after every fdatasync: how many batches it made durable and how long it took.
    private var syncObserver: (@Sendable (_ batches: Int, _ nanoseconds: UInt64) -> Void)?
    private var offlineReason: StorageError?

    /// Everything that happened while opening: what recovery truncated.
    public struct RecoveryReport: Sendable {
        public var segmentsScanned = 0
        public var truncatedBytes = 0
        public var segmentsDropped = 0
    }
    public private(set) var recoveryReport = RecoveryReport()

    /// The result of an append: offsets given to the batch and where it lies.
    public struct AppendInfo: Sendable, Hashable {
        public var baseOffset: Int64
        public var lastOffset: Int64
        public var logStartOffset: Int64
    }

    /// Opens or creates the log in `directory`, recovering segments written after the recovery point.
    public init(directory: String, config: LogConfig = LogConfig(), disk: any Disk = POSIXDisk(), logger: Logger = Logger(label: "weir.storage"), clock: @escaping @Sendable () -> Int64 = wallClockMs) throws(StorageError) {
        self.directory = directory
        self._config = config
        self.disk = disk
        self.logger = logger
        self.clock = clock
        try disk.createDirectory(directory)
        try load()
    }

    // MARK: Offsets

    public var logEndOffset: Int64 { monitor.withLock { segments.last!.nextOffset } }
    public var logStartOffset: Int64 { monitor.withLock { _logStartOffset } }
    public var durableOffset: Int64 { monitor.withLock { _durableOffset } }
    public var sizeInBytes: Int { monitor.withLock { segments.reduce(0) { $0 + $1.size } } }
    public var segmentCount: Int { monitor.withLock { segments.count } }
    /// Base offset of the active segment: offsets below it are sealed (and compactable).
    public var activeSegmentBaseOffset: Int64 { monitor.withLock { segments.last!.baseOffset } }
    public var isOffline: Bool { monitor.withLock { offlineReason != nil } }

    // MARK: Append

    /// Appends a validated batch: assigns `baseOffset` = log end offset and the leader epoch, rolls
    /// the segment when needed, writes. Not yet durable: see `waitUntilDurable` / `appendDurably`.
    /// All or nothing: on an I/O error the partition goes offline and the partial write is cut off.
    @discardableResult
    public func append(_ batch: RecordBatch, leaderEpoch: Int32 = 0) throws(StorageError) -> AppendInfo {
        try append(batch, leaderEpoch: leaderEpoch, followerBase: nil)
    }

    /// A replica's append of its primary's batch, byte for byte: base offset and leader epoch as the batch
    /// carries them. The base may lie above the log end offset (the primary's compaction leaves gaps).
    @discardableResult
    public func appendAsFollower(_ batch: RecordBatch) throws(StorageError) -> AppendInfo {
        try append(batch, leaderEpoch: batch.header.partitionLeaderEpoch, followerBase: batch.header.baseOffset)
    }

    private func append(_ batch: RecordBatch, leaderEpoch: Int32, followerBase: Int64?) throws(StorageError) -> AppendInfo {
        var batch = batch
        guard batch.totalSize <= config.maxMessageBytes else {
            throw StorageError(.invalidBatch, "batch of \(batch.totalSize) bytes exceeds max.message.bytes \(config.maxMessageBytes)")
        }
        monitor.lock()
        defer { monitor.unlock() }
        if let offlineReason { throw StorageError(.offline, "partition offline after: \(offlineReason)") }
        let base = followerBase ?? segments.last!.nextOffset
        guard base >= segments.last!.nextOffset else {  // offsets only ever increase
            throw StorageError(.invalidBatch, "batch at offset \(base) is below the log end offset \(segments.last!.nextOffset)")
        }
        if followerBase == nil { batch.assign(baseOffset: base, partitionLeaderEpoch: leaderEpoch) }
        do throws(StorageError) {
            try rollIfNeeded(incoming: batch.totalSize)
            let active = segments.last!
            let sizeBefore = active.size
            do throws(StorageError) {
                try active.append(batch)
            } catch {
                try? active.file.truncate(to: sizeBefore)  // never leave a partial batch behind
                throw error
            }
        } catch {
            takeOffline(error)
            throw error
        }
        assert(segments.last!.nextOffset == base + Int64(batch.header.lastOffsetDelta) + 1)  // LEO advanced by the batch
        batchesSinceSync += 1
        return AppendInfo(baseOffset: base, lastOffset: batch.header.lastOffset, logStartOffset: _logStartOffset)
    }

    /// Validates raw bytes as exactly one RecordBatch v2 — framing, magic, CRC-32C, record count and
    /// offset deltas, codec, size against `max.message.bytes`, every record (decompressed), keys on
    /// compacted topics — and appends it. Invalid input throws `.invalidBatch` with the reason
    /// (its `batchError` tells the Kafka error to answer) and nothing is written.
    @discardableResult
    public func append(validating bytes: ByteBuffer, leaderEpoch: Int32 = 0) throws(StorageError) -> AppendInfo {
        let batch: RecordBatch
        do throws(RecordBatchError) {
            batch = try RecordBatch.validateForAppend(bytes, maxBatchBytes: config.maxMessageBytes, requireKeys: config.compacted).batch
        } catch {
            throw StorageError(.invalidBatch, "\(error)", batchError: error)
        }
        return try append(batch, leaderEpoch: leaderEpoch)
    }

    /// Appends and returns only after the batch is fsynced (group commit with concurrent callers).
    @discardableResult
    public func appendDurably(_ batch: RecordBatch, leaderEpoch: Int32 = 0) throws(StorageError) -> AppendInfo {
        let info = try append(batch, leaderEpoch: leaderEpoch)
        try waitUntilDurable(info.lastOffset + 1)
        return info
    }

    /// Blocks until every offset below `target` is fsynced. Group commit: while one fdatasync runs,
    /// later callers queue; the next fdatasync covers all of them at once.
    public func waitUntilDurable(_ target: Int64) throws(StorageError) {
        monitor.lock()
        defer { monitor.unlock() }
        while _durableOffset < target {
            if let offlineReason { throw StorageError(.offline, "partition offline after: \(offlineReason)") }
            if syncInProgress {
                monitor.wait()
                continue
            }
            syncInProgress = true
            let goal = segments.last!.nextOffset
            let file = segments.last!.file
            let sealing = unsealed.filter { s in segments.contains { $0 === s } }
            let syncDirectory = directoryUnsynced
            directoryUnsynced = false
            let covered = batchesSinceSync
            batchesSinceSync = 0
            let observer = syncObserver
            monitor.unlock()
            var failure: StorageError? = nil
            let started = DispatchTime.now().uptimeNanoseconds
            do throws(StorageError) {
                try seal(sealing, syncDirectory: syncDirectory)
                try file.sync()
            } catch { failure = error }
            observer?(covered, DispatchTime.now().uptimeNanoseconds - started)
            monitor.lock()
            syncInProgress = false
            if let failure {
                takeOffline(failure)
                monitor.broadcast()
                throw failure
            }
            unsealed.removeAll { s in sealing.contains { $0 === s } }
            _durableOffset = max(_durableOffset, goal)  // never moves back
            monitor.broadcast()
        }
    }

    /// fsyncs everything appended so far.
    public func flush() throws(StorageError) { try waitUntilDurable(logEndOffset) }

    /// Installs a callback told after every fdatasync (for group-commit size and fsync latency metrics).
    public func observeSyncs(_ observer: @escaping @Sendable (_ batches: Int, _ nanoseconds: UInt64) -> Void) {
        monitor.withLock { syncObserver = observer }
    }

    /// Replaces the configuration; later appends, rolls, retention and compaction use it.
    public func updateConfig(_ config: LogConfig) {
        monitor.withLock { _config = config }
    }

    private func rollIfNeeded(incoming: Int) throws(StorageError) {
        let active = segments.last!
        let now = clock()
        let full = active.size > 0 && active.size + incoming > _config.segmentBytes
        let old = active.size > 0 && now - active.createdAtMs >= _config.segmentMs
        guard full || old else { return }
        // The old segment's data is fdatasynced *before* the new segment file exists: any later directory
        // fsync (a checkpoint, another file) may make the new file durable, and recovery must never find
        // offsets after a lost tail (a gap a replica or consumer would skip silently; the replication
        // simulation found it, seed 516). Group commit keeps the active segment nearly synced, so this is
        // short. Indexes, the directory entry and the recovery checkpoint are still done off the lock by
        // the next durability wait (`seal`); until then recovery scans the old segment and retention keeps it.
        try active.file.sync()
        unsealed.append(active)
        segments.append(try Segment.create(disk: disk, directory: directory, baseOffset: active.nextOffset, indexIntervalBytes: _config.indexIntervalBytes, nowMs: now, syncDirectory: false))
        directoryUnsynced = true
    }

    /// Seals rolled segments on disk; run by the one thread doing a durability wait, off the lock. Truncation,
    /// retention, a compaction swap and close wait for it (`syncInProgress`), so the segments and their
    /// in-memory indexes do not change meanwhile.
    private func seal(_ sealing: [Segment], syncDirectory: Bool) throws(StorageError) {
        for segment in sealing { try segment.file.sync() }
        if syncDirectory { try disk.syncDirectory(directory) }  // the new segments' entries
        guard let last = sealing.last else { return }
        for segment in sealing { try segment.saveIndexes() }
        try writeCheckpoint("recovery-point", last.nextOffset)  // after the data it covers is durable
    }

    /// Waits (lock held) until no durability wait is sealing or syncing off the lock.
    private func waitForSyncs() {
        while syncInProgress { monitor.wait() }
    }

    private func takeOffline(_ error: StorageError) {
        guard offlineReason == nil else { return }
        offlineReason = error
        logger.error("partition taken offline", metadata: ["directory": "\(directory)", "error": "\(error)"])
    }

    // MARK: Read

    /// Whole batches starting with the one containing `offset`, up to `maxBytes` (the first batch is
    /// returned whole even if larger), never including offsets ≥ `upTo` (the high watermark).
    /// Empty when `offset` == `upTo`. Throws `.offsetOutOfRange` below the log start or past the end.
    public func read(from offset: Int64, maxBytes: Int, upTo: Int64? = nil) throws(StorageError) -> ByteBuffer {
        monitor.lock()
        defer { monitor.unlock() }
        guard let (segment, position, end) = try locate(offset, upTo: upTo) else { return ByteBuffer() }
        return try segment.read(from: position, maxBytes: maxBytes, endOffset: end)
    }

    /// The batches `read` returns, as a range of a segment file with a duplicated descriptor the caller owns
    /// (for sendfile: the bytes never pass through user space), or as bytes on disks without descriptors.
    public func readForSending(from offset: Int64, maxBytes: Int, upTo: Int64? = nil) throws(StorageError) -> LogSlice {
        monitor.lock()
        defer { monitor.unlock() }
        guard let (segment, position, end) = try locate(offset, upTo: upTo) else { return .bytes(ByteBuffer()) }
        return try segment.slice(from: position, maxBytes: maxBytes, endOffset: end)
    }

    /// Under the lock: the segment and position of the batch holding `offset` and the exclusive end offset,
    /// or nil when nothing is readable there yet.
    private func locate(_ offset: Int64, upTo: Int64?) throws(StorageError) -> (Segment, Int, Int64)? {
        let end = min(upTo ?? segments.last!.nextOffset, segments.last!.nextOffset)
        guard offset >= _logStartOffset, offset <= segments.last!.nextOffset else {
            throw StorageError(.offsetOutOfRange, "offset \(offset) outside [\(_logStartOffset), \(segments.last!.nextOffset)]")
        }
        guard offset < end else { return nil }
        var index = segmentIndex(containing: offset)
        while index < segments.count {
            let segment = segments[index]
            if let position = try segment.position(of: offset) { return (segment, position, end) }
            index += 1  // offset falls in a gap left by compaction: continue in the next segment
        }
        return nil
    }

    /// The base offset of the first batch whose maxTimestamp ≥ `timestamp`, or nil when none.
    /// (Callers refine to the record level by scanning that batch.)
    public func batchOffset(forTimestamp timestamp: Int64) throws(StorageError) -> (batch: ByteBuffer, baseOffset: Int64)? {
        monitor.lock()
        defer { monitor.unlock() }
        for segment in segments where segment.maxTimestamp >= timestamp {
            guard let position = try segment.position(forTimestamp: timestamp) else { continue }
            let bytes = try segment.read(from: position, maxBytes: 1, endOffset: Int64.max)
            guard let header = RecordBatchHeader(bytes, at: bytes.readerIndex) else { return nil }
            return (bytes, header.baseOffset)
        }
        return nil
    }

    private func segmentIndex(containing offset: Int64) -> Int {
        var low = 0, high = segments.count - 1, found = 0
        while low <= high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset { found = mid; low = mid + 1 } else { high = mid - 1 }
        }
        return found
    }

    // MARK: Truncation and retention

    /// Removes every offset ≥ `offset` (used when a replica's divergent suffix is discarded).
    public func truncate(to offset: Int64) throws(StorageError) {
        try monitor.withLock { () throws(StorageError) in
            waitForSyncs()
            guard offset < segments.last!.nextOffset else { return }
            while segments.count > 1, segments.last!.baseOffset >= offset {
                try segments.removeLast().delete()
            }
            try segments.last!.truncate(before: offset)
            if segments.last!.nextOffset < offset {
                // Compaction removed the batches just below `offset`: an empty segment named by it keeps
                // the log end offset at `offset` across restarts, so no offset is ever handed out twice.
                segments.append(try Segment.create(disk: disk, directory: directory, baseOffset: offset, indexIntervalBytes: _config.indexIntervalBytes, nowMs: clock()))
            }
            unsealed.removeAll { s in s === segments.last! || !segments.contains { $0 === s } }  // deleted or active again
            _durableOffset = min(_durableOffset, segments.last!.nextOffset)
            try writeCheckpoint("recovery-point", min(_durableOffset, segments.last!.nextOffset))
        }
    }

    /// Empties the log and restarts it at `offset`: every segment goes, an empty one based at `offset`
    /// replaces them, and the log start offset is persisted first (a replica whose primary's retention
    /// removed what it would fetch next).
    public func reset(startingAt offset: Int64) throws(StorageError) {
        try monitor.withLock { () throws(StorageError) in
            waitForSyncs()  // a durability wait may be sealing segments off the lock
            unsealed.removeAll()
            try writeCheckpoint("log-start-offset", offset)  // first: a crash from here on reopens empty at `offset`
            for segment in segments { try segment.delete() }
            segments = [try Segment.create(disk: disk, directory: directory, baseOffset: offset, indexIntervalBytes: _config.indexIntervalBytes, nowMs: clock())]
            _logStartOffset = offset
            _durableOffset = offset
            try writeCheckpoint("recovery-point", offset)
        }
    }

    /// Deletes whole segments past `retention.ms` or beyond `retention.bytes`, oldest first,
    /// never the active segment, and persists the new log start offset. Returns segments deleted.
    @discardableResult
    public func applyRetention(nowMs: Int64? = nil) throws(StorageError) -> Int {
        try monitor.withLock { () throws(StorageError) -> Int in
            waitForSyncs()
            let now = nowMs ?? clock()
            var total = segments.reduce(0) { $0 + $1.size }
            var deleted = 0
            while segments.count > 1 {
                let oldest = segments[0]
                let expired = _config.retentionMs >= 0 && oldest.maxTimestamp >= 0 && now - oldest.maxTimestamp > _config.retentionMs
                let oversize = _config.retentionBytes >= 0 && total - oldest.size >= _config.retentionBytes
                guard expired || oversize else { break }
                // Below the durable offset only: never delete what might still be rewritten.
                // The next segment's base, not oldest.nextOffset: compaction may have emptied the tail.
                let nextBase = segments[1].baseOffset
                guard nextBase <= _durableOffset, !unsealed.contains(where: { $0 === oldest }) else { break }
                _logStartOffset = max(_logStartOffset, nextBase)
                try writeCheckpoint("log-start-offset", _logStartOffset)  // persisted before the files go
                total -= oldest.size
                try segments.removeFirst().delete()
                deleted += 1
            }
            return deleted
        }
    }

    /// DeleteRecords (and a replica following its primary's): moves the log start offset forward to `offset`
    /// (never back, never past the log end), persisted before any file goes; offsets below it are no longer
    /// readable, and whole segments below it that fsync covered are deleted (never the active one).
    /// Returns the log start offset after the call.
    @discardableResult
    public func advanceLogStart(to offset: Int64) throws(StorageError) -> Int64 {
        try monitor.withLock { () throws(StorageError) -> Int64 in
            guard offset > _logStartOffset else { return _logStartOffset }
            guard offset <= segments.last!.nextOffset else {
                throw StorageError(.offsetOutOfRange, "cannot start the log at \(offset): it ends at \(segments.last!.nextOffset)")
            }
            waitForSyncs()
            _logStartOffset = offset
            try writeCheckpoint("log-start-offset", offset)  // persisted before the files go
            while segments.count > 1, segments[1].baseOffset <= offset, segments[1].baseOffset <= _durableOffset,
                  !unsealed.contains(where: { $0 === segments[0] }) {
                try segments.removeFirst().delete()
            }
            return _logStartOffset
        }
    }

    // MARK: Compaction support

    /// The sealed (non-active) segments; they are immutable until retention, truncation or a swap.
    func sealedSegmentsSnapshot() -> [Segment] { monitor.withLock { Array(segments.dropLast()) } }

    func currentTimeMs() -> Int64 { clock() }

    /// Replaces `segment` with `cleaned` bytes (same base offset). Writes `<base>.log.cleaned`, fsyncs,
    /// then under the lock renames it over the log, fsyncs the directory and rebuilds the indexes.
    /// A no-op when the segment was removed meanwhile (retention or truncation won the race).
    func swapCleaned(_ segment: Segment, with cleaned: ByteBuffer) throws(StorageError) {
        let cleanedPath = segment.logPath + ".cleaned"
        let file = try disk.open(cleanedPath, create: true)
        do throws(StorageError) {
            try file.truncate(to: 0)
            try file.write(cleaned, at: 0)
            try file.sync()
        } catch {
            file.close()
            try? disk.remove(cleanedPath)
            throw error
        }
        file.close()
        try monitor.withLock { () throws(StorageError) in
            waitForSyncs()  // a seal writes index files off the lock
            guard let index = segments.firstIndex(where: { $0 === segment }), index < segments.count - 1 else {
                try disk.remove(cleanedPath)
                return
            }
            for path in [segment.indexPath, segment.timeIndexPath] where disk.exists(path) { try disk.remove(path) }
            segment.close()
            try disk.rename(cleanedPath, to: segment.logPath)
            try disk.syncDirectory(directory)
            let (replacement, _) = try Segment.open(disk: disk, directory: directory, baseOffset: segment.baseOffset, indexIntervalBytes: _config.indexIntervalBytes, recover: false, nowMs: clock())
            try replacement.saveIndexes()
            segments[index] = replacement
            unsealed.removeAll { $0 === segment }  // the replacement was fsynced with its directory entry
        }
    }

    // MARK: Open / close

    /// Saves indexes and the recovery point after a final fsync: the next open scans nothing.
    public func close() throws(StorageError) {
        try flush()
        try monitor.withLock { () throws(StorageError) in
            waitForSyncs()
            for segment in unsealed { try segment.file.sync() }  // normally none left after the flush
            unsealed.removeAll()
            if directoryUnsynced { try disk.syncDirectory(directory) }
            directoryUnsynced = false
            for segment in segments { try segment.saveIndexes() }
            try writeCheckpoint("recovery-point", segments.last!.nextOffset)
            for segment in segments { segment.close() }
        }
    }

    private func load() throws(StorageError) {
        let names = try disk.list(directory)
        for name in names where name.hasSuffix(".cleaned") || name.hasSuffix(".tmp") {
            try disk.remove(directory + "/" + name)  // an interrupted compaction or checkpoint write
        }
        let bases = names.compactMap { name -> Int64? in
            guard name.hasSuffix(".log"), name.count == 24 else { return nil }
            return Int64(name.prefix(20))
        }.sorted()
        let recoveryPoint = try readCheckpoint("recovery-point") ?? 0
        _logStartOffset = try readCheckpoint("log-start-offset") ?? 0
        let now = clock()
        for (i, base) in bases.enumerated() {
            let nextBase = i + 1 < bases.count ? bases[i + 1] : Int64.max
            let needsRecovery = nextBase > recoveryPoint  // contains or follows the recovery point
            let (segment, truncated) = try Segment.open(disk: disk, directory: directory, baseOffset: base, indexIntervalBytes: _config.indexIntervalBytes, recover: needsRecovery, nowMs: now)
            if needsRecovery { recoveryReport.segmentsScanned += 1 }
            if truncated > 0 {
                recoveryReport.truncatedBytes += truncated
                logger.warning("recovery truncated a torn or corrupt tail", metadata: ["segment": "\(segment.logPath)", "bytes": "\(truncated)"])
            }
            if let last = segments.last, segment.baseOffset < last.nextOffset {
                segment.close()
                throw StorageError(.corrupt, "segment \(segment.logPath) overlaps its predecessor")
            }
            segments.append(segment)
            if truncated > 0 {
                // Everything after a truncated segment is unreachable: drop it (Kafka does the same).
                for later in bases[(i + 1)...] {
                    let orphan = try Segment.open(disk: disk, directory: directory, baseOffset: later, indexIntervalBytes: _config.indexIntervalBytes, recover: false, nowMs: now).0
                    try orphan.delete()
                    recoveryReport.segmentsDropped += 1
                }
                break
            }
        }
        if let last = segments.last, last.nextOffset < _logStartOffset {
            // A `reset(startingAt:)` interrupted by a crash: everything lies below the log start.
            for segment in segments { try segment.delete() }
            segments.removeAll()
        }
        if segments.isEmpty {
            segments.append(try Segment.create(disk: disk, directory: directory, baseOffset: _logStartOffset, indexIntervalBytes: _config.indexIntervalBytes, nowMs: now))
        }
        _logStartOffset = max(_logStartOffset, segments[0].baseOffset)
        _durableOffset = segments.last!.nextOffset  // recovered data was read back from disk
        try segments.last!.file.sync()
    }

    /// A small file kept beside the segments for the log's owner (replication's leader-epoch checkpoint),
    /// replaced atomically and durably. `name` must not end in `.log`, `.index`, `.timeindex` or `.tmp`.
    public func writeSidecar(_ name: String, _ text: String) throws(StorageError) {
        try writeFile(name, text)
    }

    /// The content of a sidecar file, nil when there is none.
    public func readSidecar(_ name: String) throws(StorageError) -> String? {
        let path = directory + "/" + name
        guard disk.exists(path) else { return nil }
        let file = try disk.open(path, create: false)
        defer { file.close() }
        let bytes = try file.read(count: try file.size(), at: 0)
        return bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) ?? ""
    }

    private func writeCheckpoint(_ name: String, _ value: Int64) throws(StorageError) {
        try writeFile(name, "\(value)\n")
    }

    private func writeFile(_ name: String, _ text: String) throws(StorageError) {
        // Write-new, fsync, rename, fsync directory: the checkpoint is either old or new, never torn.
        let path = directory + "/" + name
        let file = try disk.open(path + ".tmp", create: true)
        var bytes = ByteBuffer()
        bytes.writeString(text)
        do throws(StorageError) {
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            file.close()
            throw error
        }
        file.close()
        try disk.rename(path + ".tmp", to: path)
        try disk.syncDirectory(directory)
    }

    private func readCheckpoint(_ name: String) throws(StorageError) -> Int64? {
        let path = directory + "/" + name
        guard disk.exists(path) else { return nil }
        let file = try disk.open(path, create: false)
        defer { file.close() }
        let bytes = try file.read(count: try file.size(), at: 0)
        let text = bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) ?? ""
        guard let value = Int64(text.trimmingNewline()), value >= 0 else {
            throw StorageError(.corrupt, "checkpoint \(path) holds \(text.debugDescription)")
        }
        return value
    }
}

extension String {
    fileprivate func trimmingNewline() -> Substring {
        var s = Substring(self)
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}

/// Milliseconds since the Unix epoch from the system clock.
public func wallClockMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
