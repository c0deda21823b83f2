/// Why a record batch was refused. Each case names the Kafka error a broker answers with.
public struct RecordBatchError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Bytes end inside a batch or a length field disagrees with them (CORRUPT_MESSAGE).
        case truncated
        /// CRC-32C mismatch (CORRUPT_MESSAGE).
        case crcMismatch
        /// Magic other than 2 (UNSUPPORTED_FOR_MESSAGE_FORMAT for 0/1, INVALID_RECORD otherwise).
        case unsupportedMagic
        /// Structural error: lengths, counts, deltas, record layout (INVALID_RECORD).
        case invalidStructure
        /// Codec not supported by this build, or invalid (UNSUPPORTED_COMPRESSION_TYPE).
        case unsupportedCompression
        /// Batch larger than the topic's `max.message.bytes` (MESSAGE_TOO_LARGE).
        case tooLarge
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind): \(detail)" }
}
