import NIOCore

/// Kafka's variable-length integers: unsigned LEB128 (`uvarint`) and zig-zag signed varint/varlong.
public enum Varint {
    /// Size in bytes of `value` as an unsigned LEB128.
    @inlinable
    public static func size(unsigned value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    @inlinable
    public static func zigZag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    @inlinable
    public static func unZigZag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    @inlinable
    public static func size(signed value: Int64) -> Int { size(unsigned: zigZag(value)) }

    /// Decodes an unsigned LEB128 of at most `maxBytes` bytes from `base[position..<end]`, advancing
    /// `position` past it only on success. Throws `.truncated` when `end` comes first and `.tooLong` when
    /// `maxBytes` bytes all carry the continuation bit; bits beyond 64 in a 10th byte are dropped, as
    /// `ByteBuffer.readUnsignedVarint` always did. One byte (the common case for lengths and deltas
    /// below 64) is read without a loop.
    @inlinable @inline(__always)
    public static func decodeUnsigned(
        _ base: UnsafeRawPointer, _ position: inout Int, _ end: Int, maxBytes: Int
    ) throws(VarintError) -> UInt64 {
        if maxBytes > 0, position < end {
            let first = base.load(fromByteOffset: position, as: UInt8.self)
            if first & 0x80 == 0 {
                position += 1
                return UInt64(first)
            }
        }
        return try decodeUnsignedSlow(base, &position, end, maxBytes: maxBytes)
    }

    @inlinable
    static func decodeUnsignedSlow(
        _ base: UnsafeRawPointer, _ position: inout Int, _ end: Int, maxBytes: Int
    ) throws(VarintError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        for _ in 0..<max(0, maxBytes) {
            guard index < end else { throw VarintError(reason: .truncated) }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                position = index
                return result
            }
            shift += 7
        }
        throw VarintError(reason: .tooLong)
    }

    /// A zig-zag varint of the 32-bit range (at most 5 bytes, raw value ≤ UInt32.max), as Int64.
    @inlinable @inline(__always)
    public static func decodeSigned32(_ base: UnsafeRawPointer, _ position: inout Int, _ end: Int) throws(VarintError) -> Int64 {
        let raw = try decodeUnsigned(base, &position, end, maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw VarintError(reason: .tooLong) }
        return unZigZag(raw)
    }

    /// A zig-zag varlong (at most 10 bytes).
    @inlinable @inline(__always)
    public static func decodeSigned64(_ base: UnsafeRawPointer, _ position: inout Int, _ end: Int) throws(VarintError) -> Int64 {
        unZigZag(try decodeUnsigned(base, &position, end, maxBytes: 10))
    }
}

/// Malformed varint: more than the type's bytes, or the buffer ended inside it.
public struct VarintError: Error, Hashable, Sendable {
    public enum Reason: Sendable, Hashable { case truncated, tooLong }
    public let reason: Reason
    public init(reason: Reason) { self.reason = reason }
}

extension ByteBuffer {
    /// Writes `value` as an unsigned LEB128 and returns the number of bytes written.
    @inlinable
    @discardableResult
    public mutating func writeUnsignedVarint(_ value: UInt64) -> Int {
        var v = value
        var n = 0
        while v >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
            n += 1
        }
        self.writeInteger(UInt8(v))
        return n + 1
    }

    /// Writes a zig-zag signed varint/varlong.
    @inlinable
    @discardableResult
    public mutating func writeVarint(_ value: Int64) -> Int { writeUnsignedVarint(Varint.zigZag(value)) }

    /// Reads an unsigned LEB128 of at most `maxBytes` bytes (5 for 32-bit, 10 for 64-bit values).
    /// Throws on truncation or overlong encodings; the reader index moves only on success.
    @inlinable
    public mutating func readUnsignedVarint(maxBytes: Int = 10) throws(VarintError) -> UInt64 {
        // One pointer access for the whole varint instead of a bounds-checked getInteger per byte.
        let outcome: (value: UInt64, length: Int, error: VarintError?) = self.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress else {
                return (0, 0, maxBytes > 0 ? VarintError(reason: .truncated) : VarintError(reason: .tooLong))
            }
            var position = 0
            do throws(VarintError) {
                let value = try Varint.decodeUnsigned(base, &position, raw.count, maxBytes: maxBytes)
                return (value, position, nil)
            } catch {
                return (0, 0, error)
            }
        }
        if let error = outcome.error { throw error }
        self.moveReaderIndex(forwardBy: outcome.length)
        return outcome.value
    }

    /// Reads a zig-zag varint (32-bit range) as Int64.
    @inlinable
    public mutating func readVarint() throws(VarintError) -> Int64 {
        let raw = try readUnsignedVarint(maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw VarintError(reason: .tooLong) }
        return Varint.unZigZag(raw)
    }

    /// Reads a zig-zag varlong.
    @inlinable
    public mutating func readVarlong() throws(VarintError) -> Int64 {
        Varint.unZigZag(try readUnsignedVarint(maxBytes: 10))
    }
}
