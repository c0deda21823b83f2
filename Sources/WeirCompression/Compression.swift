// Compression codecs for record batches: gzip (RFC 1952 through zlib) and the LZ4 frame format (liblz4).
//
// Every decoder here bounds its output (`maxOutputBytes`) and reports malformed input as a
// `CompressionError`; none of them traps on external input.
import CLZ4
import CZlib

/// The codec of a RecordBatch v2 (attribute bits 0-2). Raw values are Kafka's wire values; 5-7 are invalid.
public enum CompressionCodec: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// True when this build can compress and decompress the codec (none, gzip, lz4; not snappy or zstd).
    public var isSupported: Bool {
        switch self {
        case .none, .gzip, .lz4: true
        case .snappy, .zstd: false
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// Why compressing or decompressing failed. Corrupt input is always reported here, never by a trap.
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The codec is not built in (snappy, zstd).
        case unsupportedCodec
        /// The compressed bytes are malformed (bad header, checksum, block or stream).
        case corruptInput
        /// The compressed stream ends before its end marker.
        case truncatedInput
        /// The decompressed size would exceed the caller's `maxOutputBytes` (decompression bomb guard).
        case outputLimitExceeded
        /// The library failed for a reason unrelated to the input (allocation, bad parameter).
        case libraryFailure
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind): \(detail)" }
}

/// Options for LZ4 frames written by `Compression.compressLZ4`. Defaults match Kafka's Java producer.
public struct LZ4FrameOptions: Sendable, Hashable {
    /// Maximum block size in bytes: 64 KiB, 256 KiB, 1 MiB or 4 MiB (other values round up to one of these).
    public var blockSize: Int
    /// Whether the frame carries an xxHash32 content checksum after the end mark.
    public var contentChecksum: Bool
    /// Whether blocks are independent (true, Kafka's choice) or may reference the previous block.
    public var independentBlocks: Bool
    /// Compression level: 0 fast (default), 3...12 high compression.
    public var level: Int

    public init(blockSize: Int = 64 * 1024, contentChecksum: Bool = false, independentBlocks: Bool = true, level: Int = 0) {
        self.blockSize = blockSize
        self.contentChecksum = contentChecksum
        self.independentBlocks = independentBlocks
        self.level = level
    }
}

/// Stateless compression entry points. Thread-safe: each call uses its own library context.
public enum Compression {
    /// The default gzip level (zlib's 6).
    public static let defaultGzipLevel = 6

    /// Compresses `input` as one stream of `codec` (`none` copies). Throws `unsupportedCodec` for snappy and zstd.
    public static func compress(_ input: UnsafeRawBufferPointer, codec: CompressionCodec) throws(CompressionError) -> [UInt8] {
        switch codec {
        case .none: return Array(input)
        case .gzip: return try compressGzip(input, level: defaultGzipLevel)
        case .lz4: return try compressLZ4(input, options: LZ4FrameOptions())
        case .snappy, .zstd: throw CompressionError(.unsupportedCodec, "\(codec) is not supported by this build")
        }
    }

    /// Compresses `input` as one stream of `codec` (`none` copies).
    public static func compress(_ input: [UInt8], codec: CompressionCodec) throws(CompressionError) -> [UInt8] {
        try withRawBytes(input) { (raw) throws(CompressionError) in try compress(raw, codec: codec) }
    }

    /// Decompresses one `codec` stream; the result never exceeds `maxOutputBytes` (else `outputLimitExceeded`).
    public static func decompress(
        _ input: UnsafeRawBufferPointer, codec: CompressionCodec, maxOutputBytes: Int
    ) throws(CompressionError) -> [UInt8] {
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        switch codec {
        case .none:
            guard input.count <= maxOutputBytes else {
                throw CompressionError(.outputLimitExceeded, "\(input.count) bytes exceed the limit of \(maxOutputBytes)")
            }
            return Array(input)
        case .gzip: return try decompressGzip(input, maxOutputBytes: maxOutputBytes)
        case .lz4: return try decompressLZ4(input, maxOutputBytes: maxOutputBytes)
        case .snappy, .zstd: throw CompressionError(.unsupportedCodec, "\(codec) is not supported by this build")
        }
    }

    /// Decompresses one `codec` stream held in an array; bounded by `maxOutputBytes`.
    public static func decompress(_ input: [UInt8], codec: CompressionCodec, maxOutputBytes: Int) throws(CompressionError) -> [UInt8] {
        try withRawBytes(input) { (raw) throws(CompressionError) in
            try decompress(raw, codec: codec, maxOutputBytes: maxOutputBytes)
        }
    }

    private static func withRawBytes<R>(
        _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(CompressionError) -> R
    ) throws(CompressionError) -> R {
        let result: Result<R, CompressionError> = array.withUnsafeBytes { raw in
            do throws(CompressionError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

// MARK: - Growing output with a hard cap

/// An output buffer that grows geometrically up to `limit` bytes and never beyond.
struct BoundedOutput {
    private(set) var bytes: [UInt8]
    private(set) var count = 0
    let limit: Int

    init(expected: Int, limit: Int) {
        self.limit = limit
        self.bytes = [UInt8](repeating: 0, count: Swift.min(Swift.max(expected, 256), limit))
    }

    /// True when the buffer holds `limit` bytes and cannot grow.
    var isAtLimit: Bool { count == limit }

    /// Makes room for more output: doubles the free space, capped at `limit`. Returns false at the limit.
    mutating func grow() -> Bool {
        guard bytes.count < limit else { return count < bytes.count }
        if count < bytes.count { return true }
        let newSize = Swift.min(Swift.max(bytes.count * 2, 256), limit)
        bytes.append(contentsOf: repeatElement(0, count: newSize - bytes.count))
        return true
    }

    /// Calls `body` with the free space; `body` returns how many bytes it wrote there.
    mutating func withFreeSpace<R>(_ body: (UnsafeMutableRawBufferPointer) -> (written: Int, result: R)) -> R {
        let start = count
        let (written, result) = bytes.withUnsafeMutableBytes { raw in
            body(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
        assert(written >= 0 && start + written <= bytes.count, "codec wrote past the free space")
        count += written
        return result
    }

    /// The written bytes, trimmed.
    consuming func finish() -> [UInt8] {
        bytes.removeSubrange(count...)
        return bytes
    }
}

// MARK: - gzip (zlib)

extension Compression {
    /// Compresses `input` as a single RFC 1952 gzip member at zlib `level` (0...9, or -1 for zlib's default).
    public static func compressGzip(_ input: UnsafeRawBufferPointer, level: Int) throws(CompressionError) -> [UInt8] {
        guard (-1...9).contains(level) else { throw CompressionError(.libraryFailure, "gzip level \(level) out of range") }
        guard input.count <= Int(UInt32.max) else { throw CompressionError(.libraryFailure, "input too large for one zlib call") }
        var stream = z_stream()
        let initStatus = deflateInit2_(
            &stream, Int32(level), Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw CompressionError(.libraryFailure, "deflateInit2 failed: \(initStatus)") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else { throw CompressionError(.libraryFailure, "deflate returned \(status)") }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Compresses an array as gzip at `level`.
    public static func compressGzip(_ input: [UInt8], level: Int) throws(CompressionError) -> [UInt8] {
        try withRawBytes(input) { (raw) throws(CompressionError) in try compressGzip(raw, level: level) }
    }

    /// Inflates gzip (or zlib, auto-detected) members back to back; output bounded by `maxOutputBytes`.
    static func decompressGzip(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(CompressionError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) else { throw CompressionError(.corruptInput, "compressed input too large") }
        guard input.count > 0 else { throw CompressionError(.truncatedInput, "empty gzip stream") }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw CompressionError(.libraryFailure, "inflateInit2 failed: \(initStatus)") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var output = BoundedOutput(expected: input.count * 4, limit: maxOutputBytes)
        while true {
            if !output.grow() {
                // At the limit: the stream may still end without more output. Probe with one byte.
                var probe: UInt8 = 0
                let status = withUnsafeMutablePointer(to: &probe) { p in
                    stream.next_out = p
                    stream.avail_out = 1
                    return inflate(&stream, Z_NO_FLUSH)
                }
                if stream.avail_out == 0 {
                    throw CompressionError(.outputLimitExceeded, "gzip output exceeds \(maxOutputBytes) bytes")
                }
                if status == Z_STREAM_END, stream.avail_in == 0 { return output.finish() }
                if status == Z_STREAM_END {
                    guard inflateReset(&stream) == Z_OK else { throw CompressionError(.libraryFailure, "inflateReset failed") }
                    continue
                }
                throw Self.gzipError(status, &stream)
            }
            let status: Int32 = output.withFreeSpace { free in
                stream.next_out = free.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(free.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (free.count - Int(stream.avail_out), status)
            }
            switch status {
            case Z_STREAM_END:
                if stream.avail_in == 0 { return output.finish() }
                // Another gzip member follows (RFC 1952 allows concatenation; Java's GZIPInputStream reads it).
                guard inflateReset(&stream) == Z_OK else { throw CompressionError(.libraryFailure, "inflateReset failed") }
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw CompressionError(.truncatedInput, "gzip stream ends before its trailer")
            case Z_BUF_ERROR:
                continue  // Output space was exhausted; the loop grows it.
            default:
                throw Self.gzipError(status, &stream)
            }
        }
    }

    private static func gzipError(_ status: Int32, _ stream: inout z_stream) -> CompressionError {
        if status == Z_BUF_ERROR, stream.avail_in == 0 {
            return CompressionError(.truncatedInput, "gzip stream ends before its trailer")
        }
        let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
        if status == Z_MEM_ERROR { return CompressionError(.libraryFailure, "zlib: \(message)") }
        return CompressionError(.corruptInput, "gzip: \(message)")
    }
}

// MARK: - LZ4 frame (liblz4)

extension Compression {
    /// Compresses `input` as one standard LZ4 frame (magic 0x184D2204) with `options`.
    public static func compressLZ4(_ input: UnsafeRawBufferPointer, options: LZ4FrameOptions) throws(CompressionError) -> [UInt8] {
        var prefs = LZ4F_preferences_t()
        prefs.frameInfo.blockSizeID =
            switch options.blockSize {
            case ...(64 * 1024): LZ4F_max64KB
            case ...(256 * 1024): LZ4F_max256KB
            case ...(1024 * 1024): LZ4F_max1MB
            default: LZ4F_max4MB
            }
        prefs.frameInfo.blockMode = options.independentBlocks ? LZ4F_blockIndependent : LZ4F_blockLinked
        prefs.frameInfo.contentChecksumFlag = options.contentChecksum ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum
        prefs.compressionLevel = Int32(clamping: options.level)
        let bound = LZ4F_compressFrameBound(input.count, &prefs)
        guard LZ4F_isError(bound) == 0 else { throw lz4Error(bound, .libraryFailure) }
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            LZ4F_compressFrame(out.baseAddress, out.count, input.baseAddress, input.count, &prefs)
        }
        guard LZ4F_isError(written) == 0 else { throw lz4Error(written, .libraryFailure) }
        output.removeSubrange(written...)
        return output
    }

    /// Compresses an array as one LZ4 frame with `options`.
    public static func compressLZ4(_ input: [UInt8], options: LZ4FrameOptions) throws(CompressionError) -> [UInt8] {
        try withRawBytes(input) { (raw) throws(CompressionError) in try compressLZ4(raw, options: options) }
    }

    /// Decodes one or more back-to-back LZ4 frames; output bounded by `maxOutputBytes`.
    static func decompressLZ4(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(CompressionError) -> [UInt8] {
        guard let base = input.baseAddress, input.count > 0 else {
            throw CompressionError(.truncatedInput, "empty lz4 frame")
        }
        var context: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let dctx = context else { throw lz4Error(created, .libraryFailure) }
        defer { _ = LZ4F_freeDecompressionContext(dctx) }

        var consumed = 0
        var hint = 1  // LZ4F_decompress's size hint: 0 exactly when the current frame is complete.
        var output = BoundedOutput(expected: input.count * 4, limit: maxOutputBytes)
        while consumed < input.count || hint != 0 {
            let remaining = input.count - consumed
            var srcSize = remaining
            var dstSize: Int
            var result: Int
            if output.grow() {
                (dstSize, result) = output.withFreeSpace { free in
                    var dst = free.count
                    let result = LZ4F_decompress(dctx, free.baseAddress, &dst, base + consumed, &srcSize, nil)
                    return LZ4F_isError(result) != 0 ? (0, (0, result)) : (dst, (dst, result))
                }
            } else {
                // At the limit: keep feeding input, but any further output byte means the limit is exceeded.
                var probe: UInt8 = 0
                dstSize = 1
                result = LZ4F_decompress(dctx, &probe, &dstSize, base + consumed, &srcSize, nil)
                if LZ4F_isError(result) == 0, dstSize > 0 {
                    throw CompressionError(.outputLimitExceeded, "lz4 output exceeds \(maxOutputBytes) bytes")
                }
            }
            guard LZ4F_isError(result) == 0 else { throw lz4Error(result, .corruptInput) }
            consumed += srcSize
            hint = result
            if srcSize == 0, dstSize == 0, consumed < input.count || hint != 0 {
                if consumed == input.count { throw CompressionError(.truncatedInput, "lz4 frame ends before its end mark") }
                throw CompressionError(.corruptInput, "lz4 decoder made no progress")
            }
        }
        return output.finish()
    }

    private static func lz4Error(_ code: Int, _ kind: CompressionError.Kind) -> CompressionError {
        let name = LZ4F_getErrorName(code).map { String(cString: $0) } ?? "error \(code)"
        return CompressionError(kind, "lz4: \(name)")
    }
}
