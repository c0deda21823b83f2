import CWeirCRC
import NIOCore

/// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2.
///
/// Backed by the SSE4.2 `crc32` instruction when the CPU has it (several GB/s per core),
/// otherwise by a slicing-by-8 table. Never byte-at-a-time on the hot path.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 for a fresh checksum).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return weir_crc32c(crc, base, bytes.count)
    }

    /// The checksum of `length` bytes of `buffer` starting at absolute index `index`; nil when out of range.
    @inlinable
    public static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int) -> UInt32? {
        guard index >= buffer.readerIndex, length >= 0, index + length <= buffer.writerIndex else { return nil }
        return buffer.withUnsafeReadableBytes { raw in
            let start = index - buffer.readerIndex
            return checksum(UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]))
        }
    }

    public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }

    /// True when the hardware instruction is in use.
    public static var isHardwareAccelerated: Bool { weir_crc32c_hardware() != 0 }
}
