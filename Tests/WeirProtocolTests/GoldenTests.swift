import NIOCore
import Testing
import WeirProtocol

/// Bytes written by hand from the spec (docs §1, §2).
@Suite struct GoldenTests {
    @Test func apiVersionsV0Request() throws {
        let expected: [UInt8] = [
            0, 0, 0, 12,  // size
            0, 18, 0, 0,  // key 18, version 0
            0, 0, 0, 1,  // correlation id
            0, 2, 0x61, 0x62,  // client id "ab" (int16 length)
        ]  // empty body
        let frame = ApiVersionsRequest().encodeFrame(version: 0, correlationId: 1, clientId: "ab")
        #expect(frame.bytes == expected)

        var input = ByteBuffer(bytes: Array(expected.dropFirst(4)))
        let header = try RequestHeader.decode(from: &input)
        #expect(header == RequestHeader(apiKey: .apiVersions, apiVersion: 0, correlationId: 1, clientId: "ab"))
        #expect(try KafkaRequest.decode(header: header, body: &input) == .apiVersions(ApiVersionsRequest()))
    }

    @Test func apiVersionsV3Request() throws {
        let expected: [UInt8] = [
            0, 0, 0, 23,
            0, 18, 0, 3,
            0, 0, 0, 1,
            0, 2, 0x61, 0x62,  // client id stays int16-length in header v2
            0,  // header tags
            5, 0x77, 0x65, 0x69, 0x72,  // compact "weir"
            4, 0x31, 0x2E, 0x30,  // compact "1.0"
            0,  // body tags
        ]
        let request = ApiVersionsRequest(clientSoftwareName: "weir", clientSoftwareVersion: "1.0")
        #expect(request.encodeFrame(version: 3, correlationId: 1, clientId: "ab").bytes == expected)

        var input = ByteBuffer(bytes: Array(expected.dropFirst(4)))
        let header = try RequestHeader.decode(from: &input)
        #expect(header.apiVersion == 3)
        #expect(try KafkaRequest.decode(header: header, body: &input) == .apiVersions(request))
        #expect(input.readableBytes == 0)
    }

    @Test func apiVersionsV3RequestWithUnknownTagsIsAccepted() throws {
        let bytes: [UInt8] = [
            0, 18, 0, 3, 0, 0, 0, 9, 0xFF, 0xFF,  // null client id
            1, 7, 2, 0xAA, 0xBB,  // header tags: one unknown tag 7, size 2
            5, 0x77, 0x65, 0x69, 0x72, 1,  // "weir", ""
            2, 0, 0, 3, 1, 0x00,  // two unknown tags (0 and 3), sizes 0 and 1
        ]
        var input = ByteBuffer(bytes: bytes)
        let header = try RequestHeader.decode(from: &input)
        #expect(header.clientId == nil)
        #expect(header.correlationId == 9)
        let request = try KafkaRequest.decode(header: header, body: &input)
        #expect(request == .apiVersions(ApiVersionsRequest(clientSoftwareName: "weir", clientSoftwareVersion: "")))
    }

    @Test func apiVersionsV0Response() throws {
        let response = ApiVersionsResponse(apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        let expected: [UInt8] = [
            0, 0, 0, 16,
            0, 0, 0, 1,  // header v0
            0, 0,  // error
            0, 0, 0, 1,  // int32 count
            0, 18, 0, 0, 0, 3,
        ]
        #expect(response.encodeFrame(correlationId: 1, version: 0).bytes == expected)
        let (header, body) = try ApiVersionsResponse.decodeFrame(ByteBuffer(bytes: Array(expected.dropFirst(4))), version: 0)
        #expect(header.correlationId == 1)
        #expect(body == response)
    }

    @Test func apiVersionsV3ResponseUsesHeaderV0() throws {
        let response = ApiVersionsResponse(apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        let expected: [UInt8] = [
            0, 0, 0, 19,
            0, 0, 0, 1,  // header v0: no tag section even though the body is flexible
            0, 0,  // error
            2,  // compact count (1 + 1)
            0, 18, 0, 0, 0, 3, 0,  // entry + its tags
            0, 0, 0, 0,  // throttle
            0,  // body tags
        ]
        #expect(response.encodeFrame(correlationId: 1, version: 3).bytes == expected)
        let (_, body) = try ApiVersionsResponse.decodeFrame(ByteBuffer(bytes: Array(expected.dropFirst(4))), version: 3)
        #expect(body == response)
    }

    @Test func unsupportedApiVersionsAnswerHasV0Layout() throws {
        // kafka-python sends v4 first; its header (v2, flexible) must still be readable.
        let request: [UInt8] = [0, 18, 0, 4, 0, 0, 0, 5, 0, 1, 0x6B, 0, 3, 0x6B, 0x70, 2, 0x33, 0]
        var input = ByteBuffer(bytes: request)
        let header = try RequestHeader.decode(from: &input)
        #expect(header.apiVersion == 4 && header.correlationId == 5)
        #expect(throws: ProtocolDecodingError.self) { try KafkaRequest.decode(header: header, body: &input) }

        let frame = ApiVersionsResponse.unsupportedVersionAnswer().encodeFrame(correlationId: 5, version: 0)
        let bytes = frame.bytes
        let count = KafkaVersions.advertised.count
        #expect(bytes.count == 4 + 4 + 2 + 4 + 6 * count)
        #expect(Array(bytes[4..<14]) == [0, 0, 0, 5, 0, 35, 0, 0, 0, UInt8(count)])
        let (_, body) = try ApiVersionsResponse.decodeFrame(ByteBuffer(bytes: Array(bytes.dropFirst(4))), version: 0)
        #expect(body.errorCode == .unsupportedVersion)
        #expect(body.apiKeys.contains { $0.apiKey == 18 && $0.minVersion == 0 && $0.maxVersion == 3 })
    }

    @Test func deleteRecordsV1RequestAndResponse() throws {
        let body: [UInt8] = [
            0, 0, 0, 1,  // topics: 1
            0, 1, 0x74,  // "t"
            0, 0, 0, 1,  // partitions: 1
            0, 0, 0, 2,  // partition 2
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // offset -1: the high watermark
            0, 0, 0x75, 0x30,  // timeout 30000 ms
        ]
        var input = ByteBuffer(bytes: body)
        let request = try DeleteRecordsRequest(from: &input, version: 1)
        #expect(request == DeleteRecordsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 2, offset: -1)])], timeoutMs: 30_000))
        #expect(input.readableBytes == 0)

        var w = KafkaWriter()
        DeleteRecordsResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 2, lowWatermark: 7, errorCode: .offsetOutOfRange)])])
            .encode(to: &w, version: 1)
        #expect(Array(w.buffer.readableBytesView) == [
            0, 0, 0, 0,  // throttle
            0, 0, 0, 1, 0, 1, 0x74,  // topics: "t"
            0, 0, 0, 1, 0, 0, 0, 2,  // partitions: 2
            0, 0, 0, 0, 0, 0, 0, 7,  // low watermark
            0, 1,  // OFFSET_OUT_OF_RANGE
        ])
    }

    @Test func advertisedSetMatchesTheDoc() {
        let table = Dictionary(uniqueKeysWithValues: KafkaVersions.advertised.map { ($0.apiKey.rawValue, [$0.min, $0.max]) })
        let expected: [Int16: [Int16]] = [
            0: [0, 7], 1: [4, 11], 2: [1, 5], 3: [0, 8], 8: [2, 7], 9: [1, 5], 10: [0, 2], 11: [0, 5], 12: [0, 3],
            13: [0, 2], 14: [0, 3], 15: [0, 4], 16: [0, 2], 18: [0, 3], 19: [2, 4], 20: [1, 3], 21: [0, 1], 22: [0, 1],
            32: [1, 2], 33: [0, 1], 37: [0, 1], 42: [0, 1], 44: [0, 0],
        ]
        #expect(table == expected)
        // Only ApiVersions v3 is flexible in the advertised set.
        for entry in KafkaVersions.advertised {
            for version in entry.min...entry.max {
                #expect(entry.apiKey.isFlexible(version: version) == (entry.apiKey == .apiVersions && version >= 3))
            }
            #expect(entry.apiKey.responseHeaderVersion(version: entry.max) == 0)
        }
    }

    @Test func errorCodes() {
        #expect(KafkaErrorCode(35) == .unsupportedVersion)
        #expect(KafkaErrorCode.notLeaderOrFollower.isRetriable)
        #expect(!KafkaErrorCode.unknownMemberId.isRetriable)
        #expect(KafkaErrorCode.memberIdRequired.rawValue == 79)
        #expect(KafkaErrorCode(rawValue: 1234).name == "ERROR_1234")
        #expect(KafkaErrorCode.unknownServerError.rawValue == -1)
    }

    @Test func primitivesRejectBadInput() {
        func fails(_ bytes: [UInt8], _ read: (inout ByteBuffer) throws -> Void) -> ProtocolDecodingError.Kind? {
            var buffer = ByteBuffer(bytes: bytes)
            do {
                try read(&buffer)
                return nil
            } catch let error as ProtocolDecodingError {
                return error.kind
            } catch {
                return nil
            }
        }
        #expect(fails([0, 1]) { _ = try $0.readI32() } == .truncated)
        #expect(fails([0, 5, 0x61]) { _ = try $0.readStr(flexible: false) } == .invalidLength)
        #expect(fails([0xFF, 0xFE]) { _ = try $0.readNullableStr(flexible: false) } == .invalidLength)
        #expect(fails([0xFF, 0xFF]) { _ = try $0.readStr(flexible: false) } == .invalidLength)
        #expect(fails([0x7F, 0xFF, 0xFF, 0xFF]) { _ = try $0.readArray(flexible: false) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() } } == .invalidLength)
        #expect(fails([0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) { _ = try $0.readUVarint() } == .invalidVarint)
        #expect(fails([0x80, 0x80]) { _ = try $0.readUVarint() } == .truncated)
        #expect(fails([1, 0, 9, 1]) { try $0.readTaggedFields(flexible: true) } == .invalidLength)
        // Null and empty arrays stay distinct, in both encodings.
        for flexible in [false, true] {
            var writer = KafkaWriter()
            writer.writeNullableArray([Int32]?.none, flexible: flexible) { $0.buffer.writeI32($1) }
            writer.writeNullableArray([Int32](), flexible: flexible) { $0.buffer.writeI32($1) }
            var buffer = writer.joined()
            #expect((try? buffer.readNullableArray(flexible: flexible) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }) == .some(nil))
            #expect((try? buffer.readNullableArray(flexible: flexible) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }) == .some([]))
        }
        var varint = ByteBuffer()
        for value: UInt32 in [0, 1, 127, 128, 300, 16_383, 16_384, UInt32.max] {
            varint.writeUVarint(value)
            #expect((try? varint.readUVarint()) == value)
        }
    }
}

@Suite struct ApiVersionsValidationTests {
    @Test func clientSoftwareNames() {
        #expect(ApiVersionsRequest(clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.0.2").hasValidClientSoftware)
        #expect(ApiVersionsRequest(clientSoftwareName: "kafka-python", clientSoftwareVersion: "3.0.12").hasValidClientSoftware)
        #expect(ApiVersionsRequest(clientSoftwareName: "a", clientSoftwareVersion: "1").hasValidClientSoftware)
        #expect(!ApiVersionsRequest(clientSoftwareName: "", clientSoftwareVersion: "1").hasValidClientSoftware)
        #expect(!ApiVersionsRequest(clientSoftwareName: "-x", clientSoftwareVersion: "1").hasValidClientSoftware)
        #expect(!ApiVersionsRequest(clientSoftwareName: "x", clientSoftwareVersion: "1.").hasValidClientSoftware)
        #expect(!ApiVersionsRequest(clientSoftwareName: "a b", clientSoftwareVersion: "1").hasValidClientSoftware)
    }
}
