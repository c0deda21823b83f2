#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Synchronization
import WeirStorage

/// An in-memory disk for durability tests: writes land in a volatile copy, `sync` makes them durable,
/// `syncDirectory` makes names durable, and `crash()` throws away everything not yet durable
/// (optionally keeping a torn prefix of unsynced appends). Faults can be injected per operation.
public final class SimulatedDisk: Disk, @unchecked Sendable {  // safe: all state behind `state`'s Mutex
    final class File: @unchecked Sendable {  // safe: only touched under the disk's Mutex
        var durable: [UInt8] = []
        var current: [UInt8] = []
    }
    struct State {
        var entries: [String: File] = [:]
        var durableEntries: [String: File] = [:]
        var directories: Set<String> = []
        var syncs = 0
        var failWrites: Int32? = nil
        var failSyncs: Int32? = nil
        var syncDelayMicroseconds: UInt32 = 0
    }
    let state = Mutex(State())

    public init() {}

    /// Number of fdatasync calls so far (group-commit tests compare it with appends).
    public var syncCount: Int { state.withLock { $0.syncs } }
    /// Make every later write fail with `errno` (e.g. ENOSPC = 28, EIO = 5); nil heals.
    public func failWrites(errno: Int32?) { state.withLock { $0.failWrites = errno } }
    public func failSyncs(errno: Int32?) { state.withLock { $0.failSyncs = errno } }
    /// Makes every fdatasync take this long, as a real disk does (group-commit tests need it).
    public func setSyncDelay(microseconds: UInt32) { state.withLock { $0.syncDelayMicroseconds = microseconds } }

    /// Simulates power loss: unsynced bytes and unsynced directory entries vanish. With
    /// `keepTornBytes`, up to that many unsynced bytes past each file's durable end survive.
    public func crash(keepTornBytes: Int = 0) {
        state.withLock { s in
            s.entries = s.durableEntries
            for file in s.entries.values {
                let extra = min(keepTornBytes, max(0, file.current.count - file.durable.count))
                let torn = file.current.count >= file.durable.count ? Array(file.current[file.durable.count..<(file.durable.count + extra)]) : []
                file.current = file.durable + torn
                file.durable = file.current
            }
            s.failWrites = nil
            s.failSyncs = nil
        }
    }

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        let file: File? = state.withLock { s in
            if let f = s.entries[path] { return f }
            guard create else { return nil }
            let f = File()
            s.entries[path] = f
            return f
        }
        guard let file else { throw StorageError(.io, errno: 2, "open \(path): no such file") }
        return SimulatedFile(path: path, file: file, disk: self)
    }

    public func exists(_ path: String) -> Bool { state.withLock { $0.entries[path] != nil || $0.directories.contains(path) } }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        state.withLock { s in
            s.entries.keys.compactMap { path in
                guard path.hasPrefix(directory + "/") else { return nil }
                let name = path.dropFirst(directory.count + 1)
                return name.contains("/") ? nil : String(name)
            }
        }
    }

    public func createDirectory(_ path: String) throws(StorageError) { state.withLock { _ = $0.directories.insert(path) } }

    public func remove(_ path: String) throws(StorageError) { state.withLock { _ = $0.entries.removeValue(forKey: path) } }

    public func rename(_ from: String, to: String) throws(StorageError) {
        try state.withLock { s throws(StorageError) in
            guard let f = s.entries.removeValue(forKey: from) else { throw StorageError(.io, errno: 2, "rename \(from)") }
            s.entries[to] = f
        }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        state.withLock { s in
            for key in s.durableEntries.keys where key.hasPrefix(path + "/") && s.entries[key] == nil {
                s.durableEntries.removeValue(forKey: key)
            }
            for (key, f) in s.entries where key.hasPrefix(path + "/") { s.durableEntries[key] = f }
        }
    }

    fileprivate func withFile<T>(_ body: (inout State) throws(StorageError) -> T) throws(StorageError) -> T {
        try state.withLock { s throws(StorageError) in try body(&s) }
    }
}

final class SimulatedFile: StorageFile, @unchecked Sendable {  // safe: delegates to the disk's Mutex
    let path: String
    private let file: SimulatedDisk.File
    private let disk: SimulatedDisk

    init(path: String, file: SimulatedDisk.File, disk: SimulatedDisk) {
        self.path = path
        self.file = file
        self.disk = disk
    }

    var descriptor: Int32? { nil }

    func size() throws(StorageError) -> Int { try disk.withFile { _ in file.current.count } }

    func write(_ bytes: ByteBuffer, at offset: Int) throws(StorageError) {
        try disk.withFile { s throws(StorageError) in
            if let e = s.failWrites { throw StorageError(.io, errno: e, "write \(path) (injected)") }
            let data = Array(bytes.readableBytesView)
            if file.current.count < offset + data.count {
                file.current.append(contentsOf: repeatElement(0, count: offset + data.count - file.current.count))
            }
            file.current.replaceSubrange(offset..<(offset + data.count), with: data)
        }
    }

    func read(count: Int, at offset: Int) throws(StorageError) -> ByteBuffer {
        try disk.withFile { _ in
            let end = min(file.current.count, offset + count)
            var buffer = ByteBuffer()
            if offset < end { buffer.writeBytes(file.current[offset..<end]) }
            return buffer
        }
    }

    func sync() throws(StorageError) {
        let delay = try disk.withFile { s in s.syncDelayMicroseconds }
        if delay > 0 { usleep(delay) }  // outside the lock, like a real device wait
        try disk.withFile { s throws(StorageError) in
            if let e = s.failSyncs { throw StorageError(.io, errno: e, "fdatasync \(path) (injected)") }
            s.syncs += 1
            file.durable = file.current
        }
    }

    func truncate(to size: Int) throws(StorageError) {
        try disk.withFile { _ in
            if file.current.count > size { file.current.removeSubrange(size...) } else {
                file.current.append(contentsOf: repeatElement(0, count: size - file.current.count))
            }
        }
    }

    func close() {}
}
