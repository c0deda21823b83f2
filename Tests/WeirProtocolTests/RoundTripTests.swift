import NIOCore
import Testing
import WeirProtocol

@Suite struct RoundTripTests {
    @Test func everyAPIEveryVersionRoundTrips() throws {
        var rng = SplitMix64(seed: 0x5EED)
        for apiCase in apiCases {
            #expect(KafkaVersions.decodable[apiCase.key] == apiCase.versions)
            for version in apiCase.versions {
                for _ in 0..<30 {
                    let request = apiCase.request(version, &rng)
                    let requestOK = try request.decodesEqual(request.encoded(version), version)
                    #expect(requestOK, "request \(apiCase.key) v\(version)")

                    let response = apiCase.response(version, &rng)
                    let responseOK = try response.decodesEqual(response.encoded(version), version)
                    #expect(responseOK, "response \(apiCase.key) v\(version)")

                    // Through the request enum, with a header, as the broker sees it.
                    let wrapped = apiCase.wrap(version, &rng)
                    var frame = ByteBuffer()
                    let header = RequestHeader(apiKey: apiCase.key, apiVersion: version, correlationId: 7, clientId: "c")
                    header.encode(to: &frame)
                    var writer = KafkaWriter(buffer: frame)
                    wrapped.encodeBody(to: &writer, version: version)
                    var input = writer.joined()
                    let decodedHeader = try RequestHeader.decode(from: &input)
                    #expect(decodedHeader == header)
                    let decoded = try KafkaRequest.decode(header: decodedHeader, body: &input)
                    #expect(decoded == wrapped, "enum \(apiCase.key) v\(version)")
                    #expect(decoded.apiKey == apiCase.key)
                    #expect(input.readableBytes == 0)
                }
            }
        }
    }

    @Test func zeroCopyPiecesEqualSingleBuffer() throws {
        var rng = SplitMix64(seed: 42)
        for apiCase in apiCases {
            for version in apiCase.versions {
                let response = apiCase.response(version, &rng)
                var joined = ByteBuffer()
                for piece in response.encode(version, true) { joined.writeImmutableBuffer(piece) }
                #expect(joined == response.encoded(version))
            }
        }
    }

    @Test func fetchResponseRecordsAreSeparatePieces() throws {
        var records = ByteBuffer()
        records.writeRepeatingByte(0xAB, count: 4096)
        let partition = FetchResponse.FetchableTopicResponse.PartitionData(
            partitionIndex: 0, highWatermark: 10, lastStableOffset: 10, logStartOffset: 0,
            abortedTransactions: nil, records: records)
        let response = FetchResponse(responses: [.init(topic: "t", partitions: [partition])])
        let pieces = response.encodeFramePieces(correlationId: 9, version: 11)
        #expect(pieces.count == 2)  // size+header+fields, then the record slice (nothing follows in v11)
        #expect(pieces[1] == records)
        let whole = response.encodeFrame(correlationId: 9, version: 11)
        #expect(pieces.reduce(0) { $0 + $1.readableBytes } == whole.readableBytes)
        var sized = whole
        let size = try sized.readI32()
        #expect(Int(size) == whole.readableBytes - 4)
        let (header, body) = try FetchResponse.decodeFrame(sized, version: 11)
        #expect(header.correlationId == 9)
        #expect(body == response)
    }

    @Test func produceRecordsAreSlicesOfTheFrame() throws {
        var records = ByteBuffer()
        records.writeRepeatingByte(0x11, count: 100)
        let request = ProduceRequest(
            acks: -1, timeoutMs: 1000,
            topicData: [.init(name: "t", partitionData: [.init(index: 0, records: records)])])
        var frame = request.encodeFrame(version: 7, correlationId: 1, clientId: "x")
        let decoder = KafkaFrameDecoder()
        guard var payload = try decoder.nextFrame(from: &frame) else {
            Issue.record("no frame")
            return
        }
        let header = try RequestHeader.decode(from: &payload)
        guard case .produce(let decoded) = try KafkaRequest.decode(header: header, body: &payload) else {
            Issue.record("not produce")
            return
        }
        #expect(decoded.topicData.first?.partitionData.first?.records == records)
    }

    @Test func metadataNullVersusEmptyTopics() throws {
        for version: Int16 in 1...8 {
            for topics: [MetadataRequest.Topic]? in [nil, []] {
                let request = MetadataRequest(topics: topics)
                var buffer = request.encoded(version: version)
                let decoded = try MetadataRequest(from: &buffer, version: version)
                #expect(decoded.topics == topics)
                #expect(decoded.wantsAllTopics(version: version) == (topics == nil))
            }
        }
        var v0 = MetadataRequest(topics: []).encoded(version: 0)
        #expect(v0.bytes == [0, 0, 0, 0])
        let decoded = try MetadataRequest(from: &v0, version: 0)
        #expect(decoded.wantsAllTopics(version: 0))
        #expect(!MetadataRequest(topics: [.init(name: "a")]).wantsAllTopics(version: 0))
        // Null is not representable before v1: "all topics" is written as the v0 empty array, and -1 is rejected.
        #expect(MetadataRequest(topics: nil).encoded(version: 0).bytes == [0, 0, 0, 0])
        #expect(MetadataRequest().wantsAllTopics(version: 3))
        var nullV0 = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ProtocolDecodingError.self) { try MetadataRequest(from: &nullV0, version: 0) }
        // OffsetFetch: null topics (= all committed partitions) only from v2.
        var nullV1 = OffsetFetchRequest(groupId: "g", topics: nil).encoded(version: 1)
        #expect(try OffsetFetchRequest(from: &nullV1, version: 1).topics == [])
        var nullV2 = OffsetFetchRequest(groupId: "g", topics: nil).encoded(version: 2)
        #expect(try OffsetFetchRequest(from: &nullV2, version: 2).topics == nil)
    }

    @Test func unsupportedAndUnknownVersionsAreDistinguished() throws {
        var empty = ByteBuffer()
        let produceV2 = RequestHeader(apiKey: .produce, apiVersion: 2, correlationId: 1)
        #expect(throws: ProtocolDecodingError.self) { try KafkaRequest.decode(header: produceV2, body: &empty) }
        do {
            _ = try KafkaRequest.decode(header: produceV2, body: &empty)
        } catch {
            #expect(error.kind == .unsupportedVersion)
        }
        do {
            _ = try KafkaRequest.decode(header: .init(apiKey: ApiKey(rawValue: 99), apiVersion: 0, correlationId: 1), body: &empty)
        } catch {
            #expect(error.kind == .unknownApiKey)
        }
        do {
            _ = try KafkaRequest.decode(header: .init(apiKey: .metadata, apiVersion: 1, correlationId: 1), body: &empty)
        } catch {
            #expect(error.kind == .truncated)
        }
    }
}

@Suite struct ResponseEnumTests {
    @Test func responseEnumFramesRoundTrip() throws {
        let responses: [(KafkaResponse, Int16)] = [
            (.heartbeat(HeartbeatResponse(errorCode: .rebalanceInProgress)), 3),
            (.apiVersions(.advertised()), 3),
            (.apiVersions(.unsupportedVersionAnswer()), 0),
            (.metadata(MetadataResponse(brokers: [.init(nodeId: 1, host: "h", port: 9092)], controllerId: 1)), 8),
        ]
        for (response, version) in responses {
            var frame = ByteBuffer()
            for piece in response.encodeFramePieces(correlationId: 77, version: version) { frame.writeImmutableBuffer(piece) }
            guard var payload = try KafkaFrameDecoder().nextFrame(from: &frame) else {
                Issue.record("no frame")
                continue
            }
            let header = try ResponseHeader.decode(from: &payload, apiKey: response.apiKey, apiVersion: version)
            #expect(header.correlationId == 77)
            #expect(try KafkaResponse.decode(apiKey: response.apiKey, version: version, body: &payload) == response)
            #expect(payload.readableBytes == 0)
        }
    }
}
