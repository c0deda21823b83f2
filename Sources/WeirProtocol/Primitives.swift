import NIOCore

/// Why a Kafka message could not be decoded. Decoders never trap on bad input; they throw this.
public struct ProtocolDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The input ended inside a field.
        case truncated
        /// A length or count was negative (where not allowed) or larger than the remaining input.
        case invalidLength
        /// A uvarint was longer than 5 bytes or overflowed 32 bits.
        case invalidVarint
        /// The API key is not one Weir knows.
        case unknownApiKey
        /// The API is known but this version is not implemented.
        case unsupportedVersion
        /// A frame exceeded the configured maximum size (or had a negative size).
        case frameTooLarge
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "ProtocolDecodingError(\(kind)): \(detail)" }
}

// MARK: - Reading

extension ByteBuffer {
    @inline(__always)
    mutating func readFixed<T: FixedWidthInteger>(_: T.Type, _ what: StaticString) throws(ProtocolDecodingError) -> T {
        guard let value = readInteger(endianness: .big, as: T.self) else {
            throw ProtocolDecodingError(.truncated, "\(what)")
        }
        return value
    }

    public mutating func readI8() throws(ProtocolDecodingError) -> Int8 { try readFixed(Int8.self, "int8") }
    public mutating func readI16() throws(ProtocolDecodingError) -> Int16 { try readFixed(Int16.self, "int16") }
    public mutating func readI32() throws(ProtocolDecodingError) -> Int32 { try readFixed(Int32.self, "int32") }
    public mutating func readI64() throws(ProtocolDecodingError) -> Int64 { try readFixed(Int64.self, "int64") }
    /// Kafka boolean: int8, non-zero is true.
    public mutating func readBool() throws(ProtocolDecodingError) -> Bool { try readI8() != 0 }

    /// Unsigned LEB128, at most 5 bytes, fitting in 32 bits.
    public mutating func readUVarint() throws(ProtocolDecodingError) -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        for index in 0..<5 {
            guard let byte = readInteger(as: UInt8.self) else {
                throw ProtocolDecodingError(.truncated, "uvarint")
            }
            if index == 4 && byte > 0x0F {
                throw ProtocolDecodingError(.invalidVarint, "uvarint overflows 32 bits")
            }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw ProtocolDecodingError(.invalidVarint, "uvarint longer than 5 bytes")
    }

    /// Reads a length prefix: int16 (strings) / int32 (bytes, arrays), or compact uvarint(length+1).
    /// Returns nil for null. Never returns a length larger than the remaining bytes.
    @inline(__always)
    mutating func readLength(flexible: Bool, wide: Bool, _ what: StaticString) throws(ProtocolDecodingError) -> Int? {
        let length: Int
        if flexible {
            let raw = try readUVarint()
            if raw == 0 { return nil }
            length = Int(raw) - 1
        } else {
            let raw = wide ? Int(try readI32()) : Int(try readI16())
            if raw == -1 { return nil }
            guard raw >= 0 else { throw ProtocolDecodingError(.invalidLength, "negative \(what) length \(raw)") }
            length = raw
        }
        guard length <= readableBytes else {
            throw ProtocolDecodingError(.invalidLength, "\(what) length \(length) exceeds remaining \(readableBytes)")
        }
        return length
    }

    /// Nullable string (int16 length, or compact when `flexible`).
    public mutating func readNullableStr(flexible: Bool) throws(ProtocolDecodingError) -> String? {
        guard let length = try readLength(flexible: flexible, wide: false, "string") else { return nil }
        guard let string = readString(length: length) else { throw ProtocolDecodingError(.truncated, "string") }
        return string
    }

    /// Non-nullable string: null is rejected.
    public mutating func readStr(flexible: Bool) throws(ProtocolDecodingError) -> String {
        guard let string = try readNullableStr(flexible: flexible) else {
            throw ProtocolDecodingError(.invalidLength, "null in a non-nullable string")
        }
        return string
    }

    /// Nullable bytes (int32 length, or compact). Returns a slice sharing storage with `self` (no copy).
    public mutating func readNullableBytesField(flexible: Bool) throws(ProtocolDecodingError) -> ByteBuffer? {
        guard let length = try readLength(flexible: flexible, wide: true, "bytes") else { return nil }
        guard let slice = readSlice(length: length) else { throw ProtocolDecodingError(.truncated, "bytes") }
        return slice
    }

    /// Non-nullable bytes.
    public mutating func readBytesField(flexible: Bool) throws(ProtocolDecodingError) -> ByteBuffer {
        guard let bytes = try readNullableBytesField(flexible: flexible) else {
            throw ProtocolDecodingError(.invalidLength, "null in non-nullable bytes")
        }
        return bytes
    }

    /// Nullable array (int32 count, or compact). The count is capped by the remaining bytes before allocating.
    /// `allowNull: false` rejects null (for versions before the field became nullable).
    public mutating func readNullableArray<T>(
        flexible: Bool,
        allowNull: Bool = true,
        _ element: (inout ByteBuffer) throws(ProtocolDecodingError) -> T
    ) throws(ProtocolDecodingError) -> [T]? {
        guard let count = try readLength(flexible: flexible, wide: true, "array") else {
            guard allowNull else { throw ProtocolDecodingError(.invalidLength, "null array in a version where it is not nullable") }
            return nil
        }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            result.append(try element(&self))
        }
        return result
    }

    /// Non-nullable array: null is rejected.
    public mutating func readArray<T>(flexible: Bool, _ element: (inout ByteBuffer) throws(ProtocolDecodingError) -> T) throws(ProtocolDecodingError) -> [T] {
        guard let array = try readNullableArray(flexible: flexible, element) else {
            throw ProtocolDecodingError(.invalidLength, "null in a non-nullable array")
        }
        return array
    }

    /// Skips a tag section (KIP-482) when `flexible`; unknown tags are ignored.
    public mutating func readTaggedFields(flexible: Bool) throws(ProtocolDecodingError) {
        guard flexible else { return }
        let count = Int(try readUVarint())
        guard count <= readableBytes else {
            throw ProtocolDecodingError(.invalidLength, "tag count \(count) exceeds remaining \(readableBytes)")
        }
        for _ in 0..<count {
            _ = try readUVarint()
            let size = Int(try readUVarint())
            guard size <= readableBytes else {
                throw ProtocolDecodingError(.invalidLength, "tagged field size \(size) exceeds remaining")
            }
            moveReaderIndex(forwardBy: size)
        }
    }
}

// MARK: - Writing

extension ByteBuffer {
    public mutating func writeI8(_ value: Int8) { writeInteger(value, endianness: .big) }
    public mutating func writeI16(_ value: Int16) { writeInteger(value, endianness: .big) }
    public mutating func writeI32(_ value: Int32) { writeInteger(value, endianness: .big) }
    public mutating func writeI64(_ value: Int64) { writeInteger(value, endianness: .big) }
    public mutating func writeBool(_ value: Bool) { writeInteger(value ? Int8(1) : Int8(0)) }

    /// Unsigned LEB128.
    public mutating func writeUVarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    mutating func writeLength(_ length: Int?, flexible: Bool, wide: Bool) {
        if flexible {
            writeUVarint(length.map { UInt32(truncatingIfNeeded: $0 + 1) } ?? 0)
        } else if wide {
            writeI32(length.map { Int32(truncatingIfNeeded: $0) } ?? -1)
        } else {
            writeI16(length.map { Int16(truncatingIfNeeded: $0) } ?? -1)
        }
    }

    /// Nullable string. Strings longer than 32767 UTF-8 bytes cannot be encoded non-compact; callers must not pass them.
    public mutating func writeNullableStr(_ value: String?, flexible: Bool) {
        guard let value else {
            writeLength(nil, flexible: flexible, wide: false)
            return
        }
        writeLength(value.utf8.count, flexible: flexible, wide: false)
        writeString(value)
    }

    public mutating func writeStr(_ value: String, flexible: Bool) { writeNullableStr(value, flexible: flexible) }

    public mutating func writeNullableBytesField(_ value: ByteBuffer?, flexible: Bool) {
        guard let value else {
            writeLength(nil, flexible: flexible, wide: true)
            return
        }
        writeLength(value.readableBytes, flexible: flexible, wide: true)
        writeImmutableBuffer(value)
    }

    public mutating func writeBytesField(_ value: ByteBuffer, flexible: Bool) {
        writeNullableBytesField(value, flexible: flexible)
    }

    /// An empty tag section (one zero byte) when `flexible`.
    public mutating func writeTaggedFields(flexible: Bool) {
        if flexible { writeInteger(UInt8(0)) }
    }
}

/// One piece of an encoded frame: bytes, or record bytes left in a log file (written with sendfile).
public enum FramePiece: Sendable {
    case bytes(ByteBuffer)
    case file(FileRecords)

    public var count: Int {
        switch self {
        case .bytes(let bytes): bytes.readableBytes
        case .file(let file): file.length
        }
    }
}

/// Writes Kafka messages. Record payloads can be kept out of `buffer` as separate pieces (zero-copy), so a
/// broker can hand the header bytes and the record slices read from its log to the channel as a list.
public struct KafkaWriter: Sendable {
    /// The piece being written.
    public var buffer: ByteBuffer
    private var finished: [FramePiece] = []
    private let zeroCopy: Bool

    /// - Parameter zeroCopyRecords: when true, `records` fields larger than 256 bytes are appended as their own
    ///   piece, and records left in files stay file pieces.
    public init(buffer: ByteBuffer = ByteBuffer(), zeroCopyRecords: Bool = false) {
        self.buffer = buffer
        self.zeroCopy = zeroCopyRecords
    }

    /// Writes a `records` field (nullable bytes).
    public mutating func writeRecords(_ records: ByteBuffer?, flexible: Bool) {
        guard let records else {
            buffer.writeLength(nil, flexible: flexible, wide: true)
            return
        }
        buffer.writeLength(records.readableBytes, flexible: flexible, wide: true)
        if zeroCopy && records.readableBytes > 256 {
            finished.append(.bytes(buffer))
            finished.append(.bytes(records))
            buffer = ByteBuffer()
        } else {
            buffer.writeImmutableBuffer(records)
        }
    }

    /// Writes a `records` field whose bytes are in a file: a file piece when zero-copy, else read and copied.
    public mutating func writeRecords(_ file: FileRecords, flexible: Bool) {
        buffer.writeLength(file.length, flexible: flexible, wide: true)
        if zeroCopy {
            finished.append(.bytes(buffer))
            finished.append(.file(file))
            buffer = ByteBuffer()
        } else {
            buffer.writeImmutableBuffer(file.bytes())
        }
    }

    public mutating func writeArray<T>(_ array: [T], flexible: Bool, _ element: (inout KafkaWriter, T) -> Void) {
        buffer.writeLength(array.count, flexible: flexible, wide: true)
        for item in array { element(&self, item) }
    }

    /// `allowNull: false` writes nil as an empty array (for versions before the field became nullable).
    public mutating func writeNullableArray<T>(
        _ array: [T]?,
        flexible: Bool,
        allowNull: Bool = true,
        _ element: (inout KafkaWriter, T) -> Void
    ) {
        guard let array else {
            guard allowNull else {
                writeArray([], flexible: flexible, element)
                return
            }
            buffer.writeLength(nil, flexible: flexible, wide: true)
            return
        }
        writeArray(array, flexible: flexible, element)
    }

    /// The written pieces in order (empty pieces dropped), file pieces read into bytes.
    public func pieces() -> [ByteBuffer] {
        framePieces().map { piece in
            switch piece {
            case .bytes(let bytes): bytes
            case .file(let file): file.bytes()
            }
        }
    }

    /// The written pieces in order (empty pieces dropped), file pieces kept as such.
    public func framePieces() -> [FramePiece] {
        (finished + [.bytes(buffer)]).filter { $0.count > 0 }
    }

    /// Total bytes written across all pieces.
    public var totalBytes: Int { finished.reduce(buffer.readableBytes) { $0 + $1.count } }

    /// All pieces concatenated into one buffer (copies record slices).
    public func joined() -> ByteBuffer {
        if finished.isEmpty { return buffer }
        var out = ByteBuffer()
        out.reserveCapacity(totalBytes)
        for piece in pieces() { out.writeImmutableBuffer(piece) }
        return out
    }
}
