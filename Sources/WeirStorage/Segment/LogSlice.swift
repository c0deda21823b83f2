import NIOCore

/// Batches read from a log for a consumer: their bytes, or where they lie in a segment file so they can
/// be written to a socket with sendfile.
public enum LogSlice: Sendable {
    case bytes(ByteBuffer)
    /// `length` bytes at `offset` of the file open as `descriptor`: a duplicate that the receiver owns and
    /// must close. It stays valid when the segment is closed or deleted meanwhile.
    case file(descriptor: Int32, offset: Int, length: Int)

    /// Number of bytes.
    public var count: Int {
        switch self {
        case .bytes(let bytes): bytes.readableBytes
        case .file(_, _, let length): length
        }
    }
}
