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
        var headerRanges: [RawRecord.HeaderRange] = []
        let parsed: Result<RawRecord, RecordBatchError> = withUnsafeMutablePointer(to: &headerRanges) { ranges in
            buffer.withUnsafeReadableBytes { raw in
                do throws(RecordBatchError) {
                    guard let base = raw.baseAddress else { throw RawRecord.emptyRegionError }
                    var position = 0
                    return .success(try RawRecord.parse(base, &position, raw.count, headers: decodeHeaders ? ranges : nil))
                } catch {
                    return .failure(error)
                }
            }
        }
        let record = try parsed.get()
        let start = buffer.readerIndex
        func slice(_ at: Int, _ length: Int32) -> ByteBuffer? {
            length < 0 ? nil : buffer.getSlice(at: start + at, length: Int(length))
        }
        var headers: [RecordHeader] = []
        if decodeHeaders {
            headers.reserveCapacity(headerRanges.count)
            for h in headerRanges {
                let key = buffer.getString(at: start + h.keyStart, length: Int(h.keyLength)) ?? ""
                headers.append(RecordHeader(key: key, value: slice(h.valueStart, h.valueLength)))
            }
        }
        let result = Record(
            offsetDelta: record.offsetDelta, timestampDelta: record.timestampDelta,
            key: slice(record.keyStart, record.keyLength), value: slice(record.valueStart, record.valueLength),
            headers: headers, attributes: record.attributes)
        buffer.moveReaderIndex(forwardBy: record.end)
        return result
    }
}

/// The layout of one record found by `parse` over raw bytes: field values and where the key, value and
/// headers lie (positions relative to the pointer given to `parse`). Lengths of -1 mean null.
struct RawRecord {
    struct HeaderRange {
        var keyStart: Int
        var keyLength: Int32
        var valueStart: Int
        var valueLength: Int32
    }
    var attributes: Int8
    var timestampDelta: Int64
    var offsetDelta: Int32
    var keyStart: Int
    var keyLength: Int32
    var valueStart: Int
    var valueLength: Int32
    /// Position just past the record.
    var end: Int

    /// What `parse` throws for an empty region (the message the ByteBuffer reader gave).
    static var emptyRegionError: RecordBatchError {
        RecordBatchError(.invalidStructure, "malformed record length varint (\(VarintError.Reason.truncated))")
    }

    /// Parses one record (length prefix included) at `position` of `base[..<end]`, moving past it, with the
    /// same checks, in the same order and with the same messages as the ByteBuffer reader always had: one
    /// pass, no slices, no allocation. With `headers`, the header ranges are appended to it.
    @inline(__always)
    static func parse(
        _ base: UnsafeRawPointer, _ position: inout Int, _ end: Int, headers: UnsafeMutablePointer<[HeaderRange]>?
    ) throws(RecordBatchError) -> RawRecord {
        let length = try varint(base, &position, end, "record length")
        guard length >= 6 else {  // attributes + 5 one-byte varints at least
            throw RecordBatchError(.invalidStructure, "record length \(length) is too small")
        }
        guard Int(length) <= end - position else {
            throw RecordBatchError(.invalidStructure, "record length \(length) exceeds the \(end - position) bytes left")
        }
        let bodyEnd = position + Int(length)
        var p = position
        let attributes = base.load(fromByteOffset: p, as: Int8.self)  // length ≥ 6: present
        p += 1
        let timestampDelta: Int64
        do throws(VarintError) {
            timestampDelta = try Varint.decodeSigned64(base, &p, bodyEnd)
        } catch {
            throw RecordBatchError(.invalidStructure, "malformed timestampDelta (\(error.reason))")
        }
        let offsetDelta = try varint(base, &p, bodyEnd, "offsetDelta")
        let (keyStart, keyLength) = try nullableBytes(base, &p, bodyEnd, "key")
        let (valueStart, valueLength) = try nullableBytes(base, &p, bodyEnd, "value")
        let headerCount = try varint(base, &p, bodyEnd, "headersCount")
        // Each header needs at least two bytes, so this bound also caps the array's reservation.
        guard headerCount >= 0, Int(headerCount) <= (bodyEnd - p) / 2 else {
            throw RecordBatchError(.invalidStructure, "headersCount \(headerCount) is invalid for \(bodyEnd - p) bytes")
        }
        if let headers, headerCount > 0 { headers.pointee.reserveCapacity(Int(headerCount)) }
        for _ in 0..<headerCount {
            let keyLength = try varint(base, &p, bodyEnd, "header key length")
            guard keyLength >= 0, Int(keyLength) <= bodyEnd - p else {
                throw RecordBatchError(.invalidStructure, "header key length \(keyLength) is invalid")
            }
            let headerKeyStart = p
            p += Int(keyLength)
            let (valueStart, valueLength) = try nullableBytes(base, &p, bodyEnd, "header value")
            headers?.pointee.append(HeaderRange(keyStart: headerKeyStart, keyLength: keyLength, valueStart: valueStart, valueLength: valueLength))
        }
        guard p == bodyEnd else {
            throw RecordBatchError(.invalidStructure, "record has \(bodyEnd - p) bytes after its headers")
        }
        position = bodyEnd
        return RawRecord(
            attributes: attributes, timestampDelta: timestampDelta, offsetDelta: offsetDelta, keyStart: keyStart,
            keyLength: keyLength, valueStart: valueStart, valueLength: valueLength, end: bodyEnd)
    }

    /// A 32-bit zig-zag varint, or `invalidStructure` naming `field`.
    @inline(__always)
    private static func varint(_ base: UnsafeRawPointer, _ p: inout Int, _ end: Int, _ field: StaticString) throws(RecordBatchError) -> Int32 {
        do throws(VarintError) {
            // At most 5 bytes and no value beyond 32 bits, so the narrowing is exact.
            return Int32(truncatingIfNeeded: try Varint.decodeSigned32(base, &p, end))
        } catch {
            throw RecordBatchError(.invalidStructure, "malformed \(field) varint (\(error.reason))")
        }
    }

    /// A varint length (-1 = null) followed by that many bytes: (start, length), length -1 for null.
    @inline(__always)
    private static func nullableBytes(_ base: UnsafeRawPointer, _ p: inout Int, _ end: Int, _ field: StaticString) throws(RecordBatchError) -> (Int, Int32) {
        let length = try varint(base, &p, end, field)
        if length == -1 { return (p, -1) }
        guard length >= 0, Int(length) <= end - p else {
            throw RecordBatchError(.invalidStructure, "\(field) length \(length) is invalid for \(end - p) bytes")
        }
        let start = p
        p += Int(length)
        return (start, length)
    }
}
