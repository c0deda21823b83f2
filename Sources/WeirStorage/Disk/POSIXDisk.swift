#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The real disk: POSIX open/pwrite/pread/fdatasync. Blocking; never call it from an event loop.
public struct POSIXDisk: Disk {
    public init() {}

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw StorageError(.io, errno: errno, "open \(path)") }
        return POSIXFile(path: path, fd: fd)
    }

    public func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        guard let dir = opendir(directory) else { throw StorageError(.io, errno: errno, "opendir \(directory)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw StorageError(.io, errno: errno, "mkdir \(prefix)")
            }
        }
    }

    public func remove(_ path: String) throws(StorageError) {
        if unlink(path) != 0 && errno != ENOENT {
            if rmdir(path) != 0 { throw StorageError(.io, errno: errno, "remove \(path)") }
        }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw StorageError(.io, errno: errno, "rename \(from) -> \(to)") }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(.io, errno: errno, "open directory \(path)") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StorageError(.io, errno: errno, "fsync directory \(path)") }
    }
}

/// An open POSIX file. The descriptor is immutable after init, so sharing the object across
/// threads is safe; callers serialise writes (one writer per partition).
final class POSIXFile: StorageFile, @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    var descriptor: Int32? { fd }

    func size() throws(StorageError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StorageError(.io, errno: errno, "fstat \(path)") }
        return Int(st.st_size)
    }

    func write(_ bytes: ByteBuffer, at offset: Int) throws(StorageError) {
        var written = 0
        let total = bytes.readableBytes
        let failure: Int32? = bytes.withUnsafeReadableBytes { raw in
            while written < total {
                let n = pwrite(fd, raw.baseAddress! + written, total - written, off_t(offset + written))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return nil
        }
        if let failure { throw StorageError(.io, errno: failure, "pwrite \(path) at \(offset + written)") }
    }

    func read(count: Int, at offset: Int) throws(StorageError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var failure: Int32? = nil
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            var done = 0
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            return done
        }
        if let failure { throw StorageError(.io, errno: failure, "pread \(path) at \(offset)") }
        return buffer
    }

    func sync() throws(StorageError) {
        guard fdatasync(fd) == 0 else { throw StorageError(.io, errno: errno, "fdatasync \(path)") }
    }

    func truncate(to size: Int) throws(StorageError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw StorageError(.io, errno: errno, "ftruncate \(path)") }
    }

    func close() { Glibc.close(fd) }
}
