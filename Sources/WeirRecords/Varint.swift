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
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = self.readerIndex
        for _ in 0..<maxBytes {
            guard let byte = self.getInteger(at: index, as: UInt8.self) else { throw VarintError(reason: .truncated) }
            index += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                self.moveReaderIndex(to: index)
                return result
            }
            shift += 7
        }
        throw VarintError(reason: .tooLong)
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
