#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import WeirRecords

/// The file-system operations the storage engine needs, so tests can swap in a simulated disk
/// whose unsynced writes vanish on a crash. One witness call per syscall-sized operation is cheap.
public protocol Disk: Sendable {
    /// Opens (and with `create`, creates) a file for reading and writing.
    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile
    func exists(_ path: String) -> Bool
    /// File names (not paths) in `directory`, unsorted.
    func list(_ directory: String) throws(StorageError) -> [String]
    func createDirectory(_ path: String) throws(StorageError)
    func remove(_ path: String) throws(StorageError)
    func rename(_ from: String, to: String) throws(StorageError)
    /// fsync of a directory, making created, renamed and removed entries durable.
    func syncDirectory(_ path: String) throws(StorageError)
}

/// An open file. Not thread-safe for concurrent writers; `pread` may run beside a writer
/// on regions already written.
public protocol StorageFile: AnyObject, Sendable {
    var path: String { get }
    /// Current size in bytes.
    func size() throws(StorageError) -> Int
    /// Writes all of `bytes` at `offset` (retries short writes).
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StorageError)
    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(count: Int, at offset: Int) throws(StorageError) -> ByteBuffer
    /// fdatasync: data written so far survives a crash once this returns.
    func sync() throws(StorageError)
    func truncate(to size: Int) throws(StorageError)
    func close()
    /// The OS descriptor, for sendfile; nil on simulated disks.
    var descriptor: Int32? { get }
    /// A new descriptor for the same open file (close-on-exec), owned by the caller, who must close it: it
    /// stays valid when this file is closed, evicted or removed. Nil when there is no descriptor (simulated
    /// disks) or the process is out of descriptors.
    func duplicateDescriptor() -> Int32?
}

extension StorageFile {
    public func duplicateDescriptor() -> Int32? {
        guard let fd = descriptor else { return nil }
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
    }
}

/// A storage failure. I/O errors take the partition offline; format errors are found by recovery.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The OS refused an operation (errno carried; ENOSPC and EIO among them).
        case io
        /// The partition was taken offline after an earlier I/O failure.
        case offline
        /// An offset outside [logStartOffset, logEndOffset].
        case offsetOutOfRange
        /// A batch handed to append was invalid.
        case invalidBatch
        /// A file's content could not be understood.
        case corrupt
    }
    public let kind: Kind
    public let errno: Int32
    public let detail: String
    /// For `.invalidBatch`: the validation failure, which names the Kafka error to answer.
    public let batchError: RecordBatchError?

    public init(_ kind: Kind, errno: Int32 = 0, _ detail: String, batchError: RecordBatchError? = nil) {
        self.kind = kind
        self.errno = errno
        self.detail = detail
        self.batchError = batchError
    }

    public var description: String { errno == 0 ? "\(kind): \(detail)" : "\(kind) (errno \(errno)): \(detail)" }
}
