import NIOCore

/// One header of a record: keys may repeat and their order is kept; a nil value is a null header value.
public struct RecordHeader: Hashable, Sendable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

/// One record of a RecordBatch v2 (§5.3). `key` and `value` are slices sharing storage with the batch
/// (or with its decompressed records region); nil means a null key or value (a tombstone for values).
///
/// Wire layout: `length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
/// keyLength varint | key | valueLength varint | value | headersCount varint | headers`.
public struct Record: Hashable, Sendable {
    /// Offset relative to the batch's baseOffset: 0, 1, 2, … in a produced batch.
    public var offsetDelta: Int32
    /// Timestamp relative to the batch's baseTimestamp, in milliseconds.
    public var timestampDelta: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// The record's attributes byte (unused by Kafka, written as 0).
    public var attributes: Int8

    public init(
        offsetDelta: Int32, timestampDelta: Int64 = 0, key: ByteBuffer? = nil, value: ByteBuffer?,
        headers: [RecordHeader] = [], attributes: Int8 = 0
    ) {
        self.offsetDelta = offsetDelta
        self.timestampDelta = timestampDelta
        self.key = key
        self.value = value
        self.headers = headers
        self.attributes = attributes
    }

    /// The body size (everything after the length varint) when encoded.
    public var encodedBodySize: Int {
        var size = 1 + Varint.size(signed: timestampDelta) + Varint.size(signed: Int64(offsetDelta))
        size += Self.nullableSize(key) + Self.nullableSize(value)
        size += Varint.size(signed: Int64(headers.count))
        for header in headers {
            let keyLength = header.key.utf8.count
            size += Varint.size(signed: Int64(keyLength)) + keyLength + Self.nullableSize(header.value)
        }
        return size
    }

    /// The full encoded size, length varint included.
    public var encodedSize: Int {
        let body = encodedBodySize
        return Varint.size(signed: Int64(body)) + body
    }

    /// Appends the record in wire format (length prefix included) to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeVarint(Int64(encodedBodySize))
        buffer.writeInteger(attributes)
        buffer.writeVarint(timestampDelta)
        buffer.writeVarint(Int64(offsetDelta))
        Self.writeNullable(key, to: &buffer)
        Self.writeNullable(value, to: &buffer)
        buffer.writeVarint(Int64(headers.count))
        for header in headers {
            buffer.writeVarint(Int64(header.key.utf8.count))
            buffer.writeString(header.key)
            Self.writeNullable(header.value, to: &buffer)
        }
    }

    private static func nullableSize(_ bytes: ByteBuffer?) -> Int {
        guard let bytes else { return Varint.size(signed: -1) }
        return Varint.size(signed: Int64(bytes.readableBytes)) + bytes.readableBytes
    }

    private static func writeNullable(_ bytes: ByteBuffer?, to buffer: inout ByteBuffer) {
        guard let bytes else {
            buffer.writeVarint(-1)
            return
        }
        buffer.writeVarint(Int64(bytes.readableBytes))
        buffer.writeImmutableBuffer(bytes)
    }
}

extension Record {
    /// Parses one record (length prefix included) at the reader index of `buffer`, moving past it.
    ///
    /// Headers are materialised only when `decodeHeaders` is true (validation skips the String work
    /// but still checks their framing). Throws `invalidStructure` on any malformed field.
    static func read(from buffer: inout ByteBuffer, decodeHeaders: Bool) throws(RecordBatchError) -> Record {
        let length = try varint(&buffer, "record length")
        guard length >= 6 else {  // attributes + 5 one-byte varints at least
            throw RecordBatchError(.invalidStructure, "record length \(length) is too small")
        }
        guard length <= buffer.readableBytes, var body = buffer.readSlice(length: Int(length)) else {
            throw RecordBatchError(.invalidStructure, "record length \(length) exceeds the \(buffer.readableBytes) bytes left")
        }
        guard let attributes = body.readInteger(as: Int8.self) else {
            throw RecordBatchError(.invalidStructure, "record ends before its attributes")
        }
        let timestampDelta: Int64
        do throws(VarintError) {
            timestampDelta = try body.readVarlong()
        } catch {
            throw RecordBatchError(.invalidStructure, "malformed timestampDelta (\(error.reason))")
        }
        let offsetDelta = try varint(&body, "offsetDelta")
        let key = try nullableBytes(&body, "key")
        let value = try nullableBytes(&body, "value")
        let headerCount = try varint(&body, "headersCount")
        // Each header needs at least two bytes, so this bound also caps the array's reservation.
        guard headerCount >= 0, headerCount <= body.readableBytes / 2 else {
            throw RecordBatchError(.invalidStructure, "headersCount \(headerCount) is invalid for \(body.readableBytes) bytes")
        }
        var headers: [RecordHeader] = []
        if decodeHeaders { headers.reserveCapacity(Int(headerCount)) }
        for _ in 0..<headerCount {
            let keyLength = try varint(&body, "header key length")
            guard keyLength >= 0, let keyBytes = body.readSlice(length: Int(keyLength)) else {
                throw RecordBatchError(.invalidStructure, "header key length \(keyLength) is invalid")
            }
            let headerValue = try nullableBytes(&body, "header value")
            if decodeHeaders {
                headers.append(RecordHeader(key: String(buffer: keyBytes), value: headerValue))
            }
        }
        guard body.readableBytes == 0 else {
            throw RecordBatchError(.invalidStructure, "record has \(body.readableBytes) bytes after its headers")
        }
        return Record(
            offsetDelta: Int32(truncatingIfNeeded: offsetDelta), timestampDelta: timestampDelta, key: key, value: value,
            headers: headers, attributes: attributes)
    }

    /// A 32-bit zig-zag varint, or `invalidStructure` naming `field`.
    private static func varint(_ buffer: inout ByteBuffer, _ field: StaticString) throws(RecordBatchError) -> Int32 {
        do throws(VarintError) {
            // readVarint reads at most 5 bytes and refuses values beyond 32 bits, so the narrowing is exact.
            return Int32(truncatingIfNeeded: try buffer.readVarint())
        } catch {
            throw RecordBatchError(.invalidStructure, "malformed \(field) varint (\(error.reason))")
        }
    }

    /// A varint length (-1 = null) followed by that many bytes, as a slice.
    private static func nullableBytes(_ buffer: inout ByteBuffer, _ field: StaticString) throws(RecordBatchError) -> ByteBuffer? {
        let length = try varint(&buffer, field)
        if length == -1 { return nil }
        guard length >= 0, let slice = buffer.readSlice(length: Int(length)) else {
            throw RecordBatchError(.invalidStructure, "\(field) length \(length) is invalid for \(buffer.readableBytes) bytes")
        }
        return slice
    }
}
