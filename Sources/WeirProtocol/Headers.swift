import NIOCore

/// Request header v1/v2 (§1.2). `clientId` always uses the int16-length nullable string, even in v2.
public struct RequestHeader: Sendable, Hashable {
    /// The API key of the request.
    public var apiKey: ApiKey
    /// The API version of the request.
    public var apiVersion: Int16
    /// Echoed in the response.
    public var correlationId: Int32
    /// The client ID, or null.
    public var clientId: String?

    public init(apiKey: ApiKey, apiVersion: Int16, correlationId: Int32, clientId: String? = nil) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// Header version for this (key, version): 2 when the request version is flexible, 1 otherwise.
    /// Unknown keys are read as v1 (their body is rejected anyway).
    public var headerVersion: Int16 { apiKey.requestHeaderVersion(version: apiVersion) }

    /// Decodes a request header from the start of a frame, leaving `buffer` at the body.
    public static func decode(from buffer: inout ByteBuffer) throws(ProtocolDecodingError) -> RequestHeader {
        let key = ApiKey(rawValue: try buffer.readI16())
        let version = try buffer.readI16()
        let correlationId = try buffer.readI32()
        let clientId = try buffer.readNullableStr(flexible: false)
        let header = RequestHeader(apiKey: key, apiVersion: version, correlationId: correlationId, clientId: clientId)
        try buffer.readTaggedFields(flexible: header.headerVersion >= 2)
        return header
    }

    /// Encodes this header (v1 or v2 by `headerVersion`).
    public func encode(to buffer: inout ByteBuffer) {
        buffer.writeI16(apiKey.rawValue)
        buffer.writeI16(apiVersion)
        buffer.writeI32(correlationId)
        buffer.writeNullableStr(clientId, flexible: false)
        buffer.writeTaggedFields(flexible: headerVersion >= 2)
    }
}

/// Response header v0/v1 (§1.3). ApiVersions responses always use v0.
public struct ResponseHeader: Sendable, Hashable {
    /// The correlation ID of the request being answered.
    public var correlationId: Int32

    public init(correlationId: Int32) { self.correlationId = correlationId }

    /// Encodes the header for a response to `apiKey` at `apiVersion`.
    public func encode(to buffer: inout ByteBuffer, apiKey: ApiKey, apiVersion: Int16) {
        buffer.writeI32(correlationId)
        buffer.writeTaggedFields(flexible: apiKey.responseHeaderVersion(version: apiVersion) >= 1)
    }

    /// Decodes the header of a response to `apiKey` at `apiVersion`, leaving `buffer` at the body.
    public static func decode(from buffer: inout ByteBuffer, apiKey: ApiKey, apiVersion: Int16) throws(ProtocolDecodingError) -> ResponseHeader {
        let correlationId = try buffer.readI32()
        try buffer.readTaggedFields(flexible: apiKey.responseHeaderVersion(version: apiVersion) >= 1)
        return ResponseHeader(correlationId: correlationId)
    }
}

/// A request or response body type.
public protocol KafkaMessageBody: Sendable, Hashable {
    static var apiKey: ApiKey { get }
    /// Decodes the body at `version`. Throws `ProtocolDecodingError` on short or malformed input.
    init(from buffer: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError)
    /// Encodes the body at `version`. Fields absent from `version` are skipped.
    func encode(to writer: inout KafkaWriter, version: Int16)
}

public protocol KafkaRequestBody: KafkaMessageBody {}
public protocol KafkaResponseBody: KafkaMessageBody {}

extension KafkaMessageBody {
    /// The body alone, in one buffer.
    public func encoded(version: Int16) -> ByteBuffer {
        var writer = KafkaWriter()
        encode(to: &writer, version: version)
        return writer.joined()
    }
}

extension KafkaResponseBody {
    /// A complete response frame (int32 size, header, body) as pieces to write in order. Record slices are kept
    /// as their own pieces when `zeroCopyRecords` (no copy of the record bytes).
    public func encodeFramePieces(
        correlationId: Int32,
        version: Int16,
        zeroCopyRecords: Bool = true
    ) -> [ByteBuffer] {
        var writer = KafkaWriter(zeroCopyRecords: zeroCopyRecords)
        encodeFrame(into: &writer, correlationId: correlationId, version: version)
        var pieces = writer.pieces()
        pieces[0].setInteger(Int32(truncatingIfNeeded: writer.totalBytes - 4), at: pieces[0].readerIndex, endianness: .big)
        return pieces
    }

    /// As `encodeFramePieces` with zero-copy records, keeping records left in files as file pieces (sendfile).
    public func encodeFrameIO(correlationId: Int32, version: Int16) -> [FramePiece] {
        var writer = KafkaWriter(zeroCopyRecords: true)
        encodeFrame(into: &writer, correlationId: correlationId, version: version)
        var pieces = writer.framePieces()
        if case .bytes(var first) = pieces[0] {  // always: the size prefix is written first
            first.setInteger(Int32(truncatingIfNeeded: writer.totalBytes - 4), at: first.readerIndex, endianness: .big)
            pieces[0] = .bytes(first)
        }
        return pieces
    }

    private func encodeFrame(into writer: inout KafkaWriter, correlationId: Int32, version: Int16) {
        writer.buffer.writeI32(0)  // size, patched by the caller
        ResponseHeader(correlationId: correlationId).encode(to: &writer.buffer, apiKey: Self.apiKey, apiVersion: version)
        encode(to: &writer, version: version)
    }

    /// A complete response frame in one buffer.
    public func encodeFrame(correlationId: Int32, version: Int16) -> ByteBuffer {
        var out = ByteBuffer()
        for piece in encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: false) {
            out.writeImmutableBuffer(piece)
        }
        return out
    }

    /// Client side: decodes a response frame payload (without the size prefix): header, then body.
    public static func decodeFrame(
        _ frame: ByteBuffer,
        version: Int16
    ) throws(ProtocolDecodingError) -> (header: ResponseHeader, body: Self) {
        var buffer = frame
        let header = try ResponseHeader.decode(from: &buffer, apiKey: apiKey, apiVersion: version)
        return (header, try Self(from: &buffer, version: version))
    }
}

extension KafkaRequestBody {
    /// Client side: a complete request frame (int32 size, header, body).
    public func encodeFrame(version: Int16, correlationId: Int32, clientId: String?) -> ByteBuffer {
        var writer = KafkaWriter()
        writer.buffer.writeI32(0)
        RequestHeader(apiKey: Self.apiKey, apiVersion: version, correlationId: correlationId, clientId: clientId)
            .encode(to: &writer.buffer)
        encode(to: &writer, version: version)
        var out = writer.joined()
        out.setInteger(Int32(truncatingIfNeeded: out.readableBytes - 4), at: out.readerIndex, endianness: .big)
        return out
    }
}

extension ApiVersionsResponse {
    /// The answer to an ApiVersions request at a version Weir does not support (§2 rule 2): encode it at
    /// **version 0** (v0 body layout, header v0) with the request's correlation id.
    public static func unsupportedVersionAnswer() -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: .unsupportedVersion, apiKeys: KafkaVersions.apiVersionsEntries)
    }

    /// The normal answer: error 0 and the advertised set.
    public static func advertised() -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: .none, apiKeys: KafkaVersions.apiVersionsEntries)
    }
}

extension MetadataRequest {
    /// Whether this request asks for every topic: v0 empty array, v1+ null array.
    public func wantsAllTopics(version: Int16) -> Bool {
        version == 0 ? (topics ?? []).isEmpty : topics == nil
    }
}
