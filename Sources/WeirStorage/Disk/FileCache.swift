import NIOCore

/// Bounds the number of open file descriptors across every partition of a broker.
///
/// `CachedDisk` wraps a `Disk`: the files it opens hold only a path, and take a descriptor from a
/// shared least-recently-used pool for each operation. With 10,000 partitions open, at most
/// `capacity` descriptors are (plus any pinned by operations in flight). A file evicted with
/// unsynced writes is fdatasynced first, so no write error can go unseen by a later fdatasync on a
/// fresh descriptor.
public final class CachedDisk: Disk, @unchecked Sendable {  // safe: mutable state guarded by `monitor`
    private let base: any Disk
    public let capacity: Int
    private let monitor = Monitor()
    private var open: [String: Entry] = [:]
    private var tick: UInt64 = 0

    final class Entry: @unchecked Sendable {  // safe: fields guarded by the cache's monitor
        let file: any StorageFile
        var lastUse: UInt64 = 0
        var pins = 0
        var dirty = false
        /// An fdatasync error met while trying to evict; reported by the owner's next sync.
        var pendingError: StorageError?
        init(file: any StorageFile) { self.file = file }
    }

    public init(_ base: any Disk, capacity: Int = 1024) {
        precondition(capacity >= 1)
        self.base = base
        self.capacity = capacity
    }

    /// Descriptors currently open through this cache.
    public var openCount: Int { monitor.withLock { open.count } }

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        if create || !base.exists(path) {
            let file = try base.open(path, create: create)  // surfaces ENOENT / creates now
            monitor.withLock { admit(path, Entry(file: file)) }
        }
        return CachedFile(path: path, cache: self)
    }

    public func exists(_ path: String) -> Bool { base.exists(path) }
    public func list(_ directory: String) throws(StorageError) -> [String] { try base.list(directory) }
    public func createDirectory(_ path: String) throws(StorageError) { try base.createDirectory(path) }
    public func remove(_ path: String) throws(StorageError) {
        close(path)
        try base.remove(path)
    }
    public func rename(_ from: String, to: String) throws(StorageError) {
        close(from)
        close(to)
        try base.rename(from, to: to)
    }
    public func syncDirectory(_ path: String) throws(StorageError) { try base.syncDirectory(path) }

    /// Runs `body` with an open descriptor for `path`, pinned so it cannot be evicted meanwhile.
    func withFile<T>(_ path: String, writing: Bool = false, _ body: (any StorageFile) throws(StorageError) -> T) throws(StorageError) -> T {
        monitor.lock()
        tick += 1
        var entry = open[path]
        if entry == nil {
            monitor.unlock()
            let file = try base.open(path, create: false)
            monitor.lock()
            if let raced = open[path] {
                file.close()
                entry = raced
            } else {
                entry = Entry(file: file)
                admit(path, entry!)
            }
        }
        let pinned = entry!
        pinned.pins += 1
        pinned.lastUse = tick
        if writing { pinned.dirty = true }
        monitor.unlock()
        defer { monitor.withLock { pinned.pins -= 1 } }
        return try body(pinned.file)
    }

    /// Syncs `path`, reporting an error met earlier by an eviction attempt.
    func sync(_ path: String) throws(StorageError) {
        try withFile(path) { f throws(StorageError) in
            if let pending = monitor.withLock({ () -> StorageError? in
                defer { open[path]?.pendingError = nil }
                return open[path]?.pendingError
            }) {
                throw pending
            }
            try f.sync()
        }
        monitor.withLock { open[path]?.dirty = false }
    }

    /// Inserts under the lock, evicting least-recently-used unpinned entries beyond capacity.
    private func admit(_ path: String, _ entry: Entry) {
        tick += 1
        entry.lastUse = tick
        open[path] = entry
        guard open.count > capacity else { return }
        let candidates = open.filter { $0.value.pins == 0 && $0.key != path }.sorted { $0.value.lastUse < $1.value.lastUse }
        for (victimPath, victim) in candidates where open.count > capacity {
            if victim.dirty {
                do throws(StorageError) {
                    try victim.file.sync()
                } catch {
                    victim.pendingError = error  // keep it open; the owner's next sync reports it
                    continue
                }
            }
            open.removeValue(forKey: victimPath)
            victim.file.close()
        }
    }

    private func close(_ path: String) {
        monitor.withLock {
            if let entry = open.removeValue(forKey: path) { entry.file.close() }
        }
    }
}

/// A file of a `CachedDisk`: a path; each operation borrows a descriptor from the cache.
final class CachedFile: StorageFile, @unchecked Sendable {  // safe: immutable; the cache serialises
    let path: String
    private let cache: CachedDisk

    init(path: String, cache: CachedDisk) {
        self.path = path
        self.cache = cache
    }

    var descriptor: Int32? { nil }  // not stable across evictions; sendfile must borrow via the cache
    /// Duplicated while the cached descriptor is pinned, so an eviction cannot close it meanwhile.
    func duplicateDescriptor() -> Int32? {
        try? cache.withFile(path) { f in f.duplicateDescriptor() }
    }
    func size() throws(StorageError) -> Int { try cache.withFile(path) { f throws(StorageError) in try f.size() } }
    func write(_ bytes: NIOCore.ByteBuffer, at offset: Int) throws(StorageError) {
        try cache.withFile(path, writing: true) { f throws(StorageError) in try f.write(bytes, at: offset) }
    }
    func read(count: Int, at offset: Int) throws(StorageError) -> NIOCore.ByteBuffer {
        try cache.withFile(path) { f throws(StorageError) in try f.read(count: count, at: offset) }
    }
    func sync() throws(StorageError) { try cache.sync(path) }
    func truncate(to size: Int) throws(StorageError) {
        try cache.withFile(path, writing: true) { f throws(StorageError) in try f.truncate(to: size) }
    }
    func close() {}  // descriptors belong to the cache
}
