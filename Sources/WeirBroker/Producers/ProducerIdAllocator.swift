import Foundation
import Synchronization

/// Hands out producer ids for InitProducerId. Ids are reserved on disk a block at a time (the file
/// `producer-id-block` holds the first id not yet reserved), so a restart never reuses an id.
final class ProducerIdAllocator: Sendable {
    static let blockSize: Int64 = 1000
    private let path: String
    private struct State { var next: Int64; var reservedEnd: Int64 }
    private let state: Mutex<State>

    init(directory: String) throws {
        path = directory + "/producer-id-block"
        var start: Int64 = 0
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let n = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), n >= 0 else {
                throw BrokerError("corrupt \(path): '\(text)'")
            }
            start = n
        }
        state = Mutex(State(next: start, reservedEnd: start))
    }

    func allocate() throws -> Int64 {
        try state.withLock { s throws -> Int64 in
            if s.next == s.reservedEnd {
                let end = s.reservedEnd + Self.blockSize
                try writeDurably("\(end)\n", to: path)  // reserved on disk before any id of the block is handed out
                s.reservedEnd = end
            }
            defer { s.next += 1 }
            return s.next
        }
    }
}

/// A broker-level failure (configuration, metadata files) with a message for the operator.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Writes `text` to `path` atomically and durably: temp file, fsync, rename, fsync of the directory.
func writeDurably(_ text: String, to path: String) throws {
    let temp = path + ".tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw BrokerError("cannot create \(temp): \(String(cString: strerror(errno)))") }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    let synced = fsync(fd)
    close(fd)
    guard written == bytes.count, synced == 0 else { throw BrokerError("cannot write \(temp): \(String(cString: strerror(errno)))") }
    guard rename(temp, path) == 0 else { throw BrokerError("cannot rename \(temp): \(String(cString: strerror(errno)))") }
    let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY)
    if dir >= 0 { _ = fsync(dir); close(dir) }
}
