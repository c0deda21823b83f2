// Fetch (API key 1), versions 4-11. Flexible from v12.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's FetchRequest/Response.json schemas.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

public struct FetchRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .fetch
    public struct FetchTopic: Sendable, Hashable {
        public struct FetchPartition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partition: Int32
            /// The current leader epoch known to the client, or -1. (versions 9+)
            public var currentLeaderEpoch: Int32
            /// The offset to fetch from. (versions 0+)
            public var fetchOffset: Int64
            /// The follower's log start offset (-1 from consumers). (versions 5+)
            public var logStartOffset: Int64
            /// Maximum bytes to return for this partition. (versions 0+)
            public var partitionMaxBytes: Int32

            public init(partition: Int32 = 0, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64 = 0, logStartOffset: Int64 = -1, partitionMaxBytes: Int32 = 0) {
                self.partition = partition
                self.currentLeaderEpoch = currentLeaderEpoch
                self.fetchOffset = fetchOffset
                self.logStartOffset = logStartOffset
                self.partitionMaxBytes = partitionMaxBytes
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partition = try b.readI32()
                if v >= 9 { currentLeaderEpoch = try b.readI32() }
                fetchOffset = try b.readI64()
                if v >= 5 { logStartOffset = try b.readI64() }
                partitionMaxBytes = try b.readI32()
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partition)
                if v >= 9 { w.buffer.writeI32(currentLeaderEpoch) }
                w.buffer.writeI64(fetchOffset)
                if v >= 5 { w.buffer.writeI64(logStartOffset) }
                w.buffer.writeI32(partitionMaxBytes)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var topic: String
        /// The partitions to fetch. (versions 0+)
        public var partitions: [FetchPartition]

        public init(topic: String = "", partitions: [FetchPartition] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            topic = try b.readStr(flexible: f)
            partitions = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try FetchPartition(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(topic, flexible: f)
            w.writeArray(partitions, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    public struct ForgottenTopic: Sendable, Hashable {
        /// The topic name. (versions 0+)
        public var topic: String
        /// The partition indexes to forget. (versions 0+)
        public var partitions: [Int32]

        public init(topic: String = "", partitions: [Int32] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            topic = try b.readStr(flexible: f)
            partitions = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(topic, flexible: f)
            w.writeArray(partitions, flexible: f) { $0.buffer.writeI32($1) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The broker ID of the follower, or -1 for a consumer. (versions 0+)
    public var replicaId: Int32
    /// Maximum time to wait for minBytes, in milliseconds. (versions 0+)
    public var maxWaitMs: Int32
    /// Minimum bytes to accumulate before answering. (versions 0+)
    public var minBytes: Int32
    /// Maximum bytes in the whole response. (versions 3+)
    public var maxBytes: Int32
    /// 0 read_uncommitted, 1 read_committed. (versions 4+)
    public var isolationLevel: Int8
    /// The fetch session ID (0 = none). (versions 7+)
    public var sessionId: Int32
    /// The fetch session epoch (-1 = no session). (versions 7+)
    public var sessionEpoch: Int32
    /// The topics to fetch. (versions 0+)
    public var topics: [FetchTopic]
    /// Partitions to remove from the fetch session. (versions 7+)
    public var forgottenTopicsData: [ForgottenTopic]
    /// The consumer's rack, or empty. (versions 11+)
    public var rackId: String

    public init(replicaId: Int32 = -1, maxWaitMs: Int32 = 0, minBytes: Int32 = 0, maxBytes: Int32 = 0x7fffffff, isolationLevel: Int8 = 0, sessionId: Int32 = 0, sessionEpoch: Int32 = -1, topics: [FetchTopic] = [], forgottenTopicsData: [ForgottenTopic] = [], rackId: String = "") {
        self.replicaId = replicaId
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
        self.rackId = rackId
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        replicaId = try b.readI32()
        maxWaitMs = try b.readI32()
        minBytes = try b.readI32()
        if v >= 3 { maxBytes = try b.readI32() }
        if v >= 4 { isolationLevel = try b.readI8() }
        if v >= 7 { sessionId = try b.readI32() }
        if v >= 7 { sessionEpoch = try b.readI32() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try FetchTopic(from: &e, version: v, flexible: f) }
        if v >= 7 { forgottenTopicsData = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try ForgottenTopic(from: &e, version: v, flexible: f) } }
        if v >= 11 { rackId = try b.readStr(flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(replicaId)
        w.buffer.writeI32(maxWaitMs)
        w.buffer.writeI32(minBytes)
        if v >= 3 { w.buffer.writeI32(maxBytes) }
        if v >= 4 { w.buffer.writeI8(isolationLevel) }
        if v >= 7 { w.buffer.writeI32(sessionId) }
        if v >= 7 { w.buffer.writeI32(sessionEpoch) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 7 { w.writeArray(forgottenTopicsData, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) } }
        if v >= 11 { w.buffer.writeStr(rackId, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct FetchResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .fetch
    public struct FetchableTopicResponse: Sendable, Hashable {
        public struct PartitionData: Sendable, Hashable {
            public struct AbortedTransaction: Sendable, Hashable {
                /// The producer ID of the aborted transaction. (versions 0+)
                public var producerId: Int64
                /// The first offset of the aborted transaction. (versions 0+)
                public var firstOffset: Int64

                public init(producerId: Int64 = 0, firstOffset: Int64 = 0) {
                    self.producerId = producerId
                    self.firstOffset = firstOffset
                }

                init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                    self.init()
                    producerId = try b.readI64()
                    firstOffset = try b.readI64()
                    try b.readTaggedFields(flexible: f)
                }

                func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                    w.buffer.writeI64(producerId)
                    w.buffer.writeI64(firstOffset)
                    w.buffer.writeTaggedFields(flexible: f)
                }
            }

            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The partition error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode
            /// The high watermark. (versions 0+)
            public var highWatermark: Int64
            /// The last stable offset. (versions 4+)
            public var lastStableOffset: Int64
            /// The log start offset. (versions 5+)
            public var logStartOffset: Int64
            /// Aborted transactions (nullable). (versions 4+)
            public var abortedTransactions: [AbortedTransaction]?
            /// The preferred read replica, or -1. (versions 11+)
            public var preferredReadReplica: Int32
            /// The record data (a slice; encoded without copying via encodePieces). (versions 0+)
            /// When the broker left them in a log file (`recordsFile`), reading this reads the file.
            public var records: ByteBuffer? {
                get { recordsFile.map { $0.bytes() } ?? storedRecords }
                set {
                    storedRecords = newValue
                    recordsFile = nil
                }
            }
            private var storedRecords: ByteBuffer?
            /// The record data as a range of a log file, written with sendfile by `encodeFrameIO`; replaces `records`.
            public var recordsFile: FileRecords? {
                didSet { if recordsFile != nil { storedRecords = nil } }
            }

            public init(partitionIndex: Int32 = 0, errorCode: KafkaErrorCode = .none, highWatermark: Int64 = 0, lastStableOffset: Int64 = -1, logStartOffset: Int64 = -1, abortedTransactions: [AbortedTransaction]? = nil, preferredReadReplica: Int32 = -1, records: ByteBuffer? = nil) {
                self.partitionIndex = partitionIndex
                self.errorCode = errorCode
                self.highWatermark = highWatermark
                self.lastStableOffset = lastStableOffset
                self.logStartOffset = logStartOffset
                self.abortedTransactions = abortedTransactions
                self.preferredReadReplica = preferredReadReplica
                self.storedRecords = records
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                errorCode = try b.readErrorCode()
                highWatermark = try b.readI64()
                if v >= 4 { lastStableOffset = try b.readI64() }
                if v >= 5 { logStartOffset = try b.readI64() }
                if v >= 4 { abortedTransactions = try b.readNullableArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try AbortedTransaction(from: &e, version: v, flexible: f) } }
                if v >= 11 { preferredReadReplica = try b.readI32() }
                records = try b.readNullableBytesField(flexible: f)
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeErrorCode(errorCode)
                w.buffer.writeI64(highWatermark)
                if v >= 4 { w.buffer.writeI64(lastStableOffset) }
                if v >= 5 { w.buffer.writeI64(logStartOffset) }
                if v >= 4 { w.writeNullableArray(abortedTransactions, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) } }
                if v >= 11 { w.buffer.writeI32(preferredReadReplica) }
                if let recordsFile {
                    w.writeRecords(recordsFile, flexible: f)
                } else {
                    w.writeRecords(storedRecords, flexible: f)
                }
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var topic: String
        /// The partitions. (versions 0+)
        public var partitions: [PartitionData]

        public init(topic: String = "", partitions: [PartitionData] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            topic = try b.readStr(flexible: f)
            partitions = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try PartitionData(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(topic, flexible: f)
            w.writeArray(partitions, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// Top-level error code (fetch sessions). (versions 7+)
    public var errorCode: KafkaErrorCode
    /// The fetch session ID, or 0 when sessions are declined. (versions 7+)
    public var sessionId: Int32
    /// The response topics. (versions 0+)
    public var responses: [FetchableTopicResponse]

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, sessionId: Int32 = 0, responses: [FetchableTopicResponse] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.responses = responses
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 1 { throttleTimeMs = try b.readI32() }
        if v >= 7 { errorCode = try b.readErrorCode() }
        if v >= 7 { sessionId = try b.readI32() }
        responses = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try FetchableTopicResponse(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        if v >= 7 { w.buffer.writeErrorCode(errorCode) }
        if v >= 7 { w.buffer.writeI32(sessionId) }
        w.writeArray(responses, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

/// Record bytes left in a log file until they are written: `length` bytes at `offset` of a descriptor this object
/// owns and closes (a duplicate of the segment's, so the log may close or delete the segment meanwhile). A broker
/// writes them with sendfile (`region`); `bytes()` reads them for any other use. Equal only to itself.
public final class FileRecords: Sendable, Hashable {
    public let handle: NIOFileHandle
    public let offset: Int
    public let length: Int

    public init(takingOwnershipOf descriptor: Int32, offset: Int, length: Int) {
        self.handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        self.offset = offset
        self.length = length
    }

    deinit { close() }

    /// Closes the descriptor (once the region is written, or never used); later calls do nothing.
    public func close() {
        if handle.isOpen { try? handle.close() }
    }

    /// The bytes as a region to write on a channel (sendfile); close this object once the write completes.
    public var region: FileRegion { FileRegion(fileHandle: handle, readerIndex: offset, endIndex: offset + length) }

    /// Reads the bytes. Always `length` bytes: should the file have shrunk meanwhile, zeros pad the rest, so a
    /// frame that announced `length` stays well-formed (the record set then fails its CRC at the reader).
    public func bytes() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(length)
        let (offset, length) = (self.offset, self.length)
        let done: Int = (try? handle.withUnsafeFileDescriptor { fd in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
                var done = 0
                while done < length {
                    let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset + done))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                }
                return done
            }
            return buffer.readableBytes
        }) ?? 0
        if done < length { buffer.writeRepeatingByte(0, count: length - done) }
        return buffer
    }

    public static func == (a: FileRecords, b: FileRecords) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
