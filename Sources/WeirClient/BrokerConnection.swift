import NIOCore
import NIOPosix
import WeirProtocol

/// A request type the client can send, tied to the response type the broker answers with.
public protocol ClientRequest: KafkaRequestBody {
    associatedtype Response: KafkaResponseBody
}

extension ProduceRequest: ClientRequest { public typealias Response = ProduceResponse }
extension FetchRequest: ClientRequest { public typealias Response = FetchResponse }
extension ListOffsetsRequest: ClientRequest { public typealias Response = ListOffsetsResponse }
extension MetadataRequest: ClientRequest { public typealias Response = MetadataResponse }
extension OffsetCommitRequest: ClientRequest { public typealias Response = OffsetCommitResponse }
extension OffsetFetchRequest: ClientRequest { public typealias Response = OffsetFetchResponse }
extension FindCoordinatorRequest: ClientRequest { public typealias Response = FindCoordinatorResponse }
extension JoinGroupRequest: ClientRequest { public typealias Response = JoinGroupResponse }
extension HeartbeatRequest: ClientRequest { public typealias Response = HeartbeatResponse }
extension LeaveGroupRequest: ClientRequest { public typealias Response = LeaveGroupResponse }
extension SyncGroupRequest: ClientRequest { public typealias Response = SyncGroupResponse }
extension DescribeGroupsRequest: ClientRequest { public typealias Response = DescribeGroupsResponse }
extension ListGroupsRequest: ClientRequest { public typealias Response = ListGroupsResponse }
extension ApiVersionsRequest: ClientRequest { public typealias Response = ApiVersionsResponse }
extension CreateTopicsRequest: ClientRequest { public typealias Response = CreateTopicsResponse }
extension DeleteTopicsRequest: ClientRequest { public typealias Response = DeleteTopicsResponse }
extension DeleteRecordsRequest: ClientRequest { public typealias Response = DeleteRecordsResponse }
extension InitProducerIdRequest: ClientRequest { public typealias Response = InitProducerIdResponse }
extension DescribeConfigsRequest: ClientRequest { public typealias Response = DescribeConfigsResponse }
extension AlterConfigsRequest: ClientRequest { public typealias Response = AlterConfigsResponse }
extension CreatePartitionsRequest: ClientRequest { public typealias Response = CreatePartitionsResponse }
extension DeleteGroupsRequest: ClientRequest { public typealias Response = DeleteGroupsResponse }
extension IncrementalAlterConfigsRequest: ClientRequest { public typealias Response = IncrementalAlterConfigsResponse }

/// One TCP connection to one broker, with the API versions negotiated on it.
///
/// Requests may be sent concurrently from any task: the channel handler gives each a correlation id on the
/// event loop and matches the answer by that id, so several requests can be in flight. The broker answers
/// in order, so a long-held request (a long-poll Fetch, a JoinGroup) delays the answers behind it: use a
/// separate connection for group coordination, as real clients do.
///
/// Thread-safe (`Sendable`): all mutable state lives in the channel handler, on the event loop.
public final class BrokerConnection: Sendable {
    /// Where this connection goes.
    public let address: BrokerAddress
    /// The client id sent in every request header.
    public let clientId: String
    /// The default time to wait for an answer.
    public let requestTimeout: TimeAmount
    /// The broker's advertised version range per API, from the ApiVersions handshake.
    public let brokerVersions: [ApiKey: ClosedRange<Int16>]
    private let channel: any Channel

    private init(address: BrokerAddress, clientId: String, requestTimeout: TimeAmount, brokerVersions: [ApiKey: ClosedRange<Int16>], channel: any Channel) {
        self.address = address
        self.clientId = clientId
        self.requestTimeout = requestTimeout
        self.brokerVersions = brokerVersions
        self.channel = channel
    }

    /// The name this client reports in ApiVersions v3 (must match `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`).
    public static let clientSoftwareName = "weir-client"
    public static let clientSoftwareVersion = "0.1.0"

    /// Connects and negotiates API versions (ApiVersions v3, falling back to v0 when the broker refuses v3).
    /// Throws "cannot connect to broker HOST:PORT: connection refused" and the like.
    public static func connect(
        to address: BrokerAddress,
        clientId: String = "weir",
        connectTimeout: TimeAmount = .seconds(5),
        requestTimeout: TimeAmount = .seconds(30),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(WeirClientError) -> BrokerConnection {
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(KafkaClientHandler(address: address))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            throw .cannotConnect(address, reason: WeirClientError.describeConnectError(error))
        }
        do {
            let versions = try await negotiate(channel: channel, address: address, clientId: clientId, timeout: requestTimeout)
            return BrokerConnection(address: address, clientId: clientId, requestTimeout: requestTimeout, brokerVersions: versions, channel: channel)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private static func negotiate(channel: any Channel, address: BrokerAddress, clientId: String, timeout: TimeAmount) async throws(WeirClientError) -> [ApiKey: ClosedRange<Int16>] {
        let request = ApiVersionsRequest(clientSoftwareName: clientSoftwareName, clientSoftwareVersion: clientSoftwareVersion)
        var response: ApiVersionsResponse
        let frame3 = try await roundTrip(channel: channel, address: address, frame: request.encodeFrame(version: 3, correlationId: 0, clientId: clientId), label: "ApiVersions v3", expectsResponse: true, timeout: timeout)
        if let decoded = try? ApiVersionsResponse.decodeFrame(frame3, version: 3).body, decoded.errorCode == .none {
            response = decoded
        } else {
            // An error answer uses the v0 layout (§2 rule 2): read it as v0, then retry at v0.
            if let v0 = try? ApiVersionsResponse.decodeFrame(frame3, version: 0).body, v0.errorCode != .none, v0.errorCode != .unsupportedVersion {
                throw .kafka(v0.errorCode, "broker \(address) refused ApiVersions")
            }
            let frame0 = try await roundTrip(channel: channel, address: address, frame: request.encodeFrame(version: 0, correlationId: 0, clientId: clientId), label: "ApiVersions v0", expectsResponse: true, timeout: timeout)
            do {
                response = try ApiVersionsResponse.decodeFrame(frame0, version: 0).body
            } catch {
                throw .protocolError(address, "cannot decode the ApiVersions v0 answer: \(error)")
            }
            guard response.errorCode == .none else { throw .kafka(response.errorCode, "broker \(address) refused ApiVersions") }
        }
        var versions: [ApiKey: ClosedRange<Int16>] = [:]
        for entry in response.apiKeys where entry.minVersion <= entry.maxVersion {
            versions[ApiKey(rawValue: entry.apiKey)] = entry.minVersion...entry.maxVersion
        }
        return versions
    }

    /// The version to use for `api`: the highest one both the codec and the broker support, at most `cap`.
    public func version(for api: ApiKey, cap: Int16? = nil) throws(WeirClientError) -> Int16 {
        guard var client = KafkaVersions.decodable[api] else {
            throw .invalidArgument("this client cannot encode \(api)")
        }
        if let cap {
            guard cap >= client.lowerBound else { throw .invalidArgument("no version of \(api) at or below v\(cap)") }
            client = client.lowerBound...min(cap, client.upperBound)
        }
        guard let broker = brokerVersions[api], broker.overlaps(client) else {
            throw .unsupportedVersion(address, api, client: client, broker: brokerVersions[api])
        }
        return min(client.upperBound, broker.upperBound)
    }

    /// Sends `request` at the negotiated version and waits for its answer (at most `timeout`, default
    /// `requestTimeout`). Errors inside the answer are not checked here: the caller reads the error codes.
    public func send<R: ClientRequest>(_ request: R, timeout: TimeAmount? = nil, cap: Int16? = nil) async throws(WeirClientError) -> R.Response {
        let version = try version(for: R.apiKey, cap: cap)
        let label = "\(R.apiKey) v\(version)"
        let frame = try await Self.roundTrip(
            channel: channel, address: address, frame: request.encodeFrame(version: version, correlationId: 0, clientId: clientId),
            label: label, expectsResponse: true, timeout: timeout ?? requestTimeout)
        do {
            return try R.Response.decodeFrame(frame, version: version).body
        } catch {
            throw .protocolError(address, "cannot decode the \(label) answer: \(error)")
        }
    }

    /// Sends a request that gets no answer (Produce with acks=0); returns once it is written.
    public func sendWithoutResponse<R: ClientRequest>(_ request: R) async throws(WeirClientError) {
        let version = try version(for: R.apiKey)
        _ = try await Self.roundTrip(
            channel: channel, address: address, frame: request.encodeFrame(version: version, correlationId: 0, clientId: clientId),
            label: "\(R.apiKey) v\(version)", expectsResponse: false, timeout: requestTimeout)
    }

    /// Sends a request body the codec does not model (Weir's private admin API: a JSON body) under
    /// `apiKey` and returns the answer's body (after the correlation id).
    public func sendRaw(apiKey: ApiKey, version: Int16 = 0, body: ByteBuffer, timeout: TimeAmount? = nil) async throws(WeirClientError) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        RequestHeader(apiKey: apiKey, apiVersion: version, correlationId: 0, clientId: clientId).encode(to: &frame)
        frame.writeImmutableBuffer(body)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
        let answer = try await Self.roundTrip(
            channel: channel, address: address, frame: frame, label: "API \(apiKey.rawValue) v\(version)", expectsResponse: true,
            timeout: timeout ?? requestTimeout)
        return answer.getSlice(at: answer.readerIndex + 4, length: max(0, answer.readableBytes - 4)) ?? ByteBuffer()
    }

    /// Closes the connection; requests still waiting fail with "closed the connection".
    public func close() async {
        try? await channel.close()
    }

    private static func roundTrip(channel: any Channel, address: BrokerAddress, frame: ByteBuffer, label: String, expectsResponse: Bool, timeout: TimeAmount) async throws(WeirClientError) -> ByteBuffer {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let request = OutboundRequest(frame: frame, label: label, expectsResponse: expectsResponse, timeout: timeout, promise: promise)
        channel.writeAndFlush(request).cascadeFailure(to: promise)
        do {
            return try await promise.futureResult.get()
        } catch let error as WeirClientError {
            throw error
        } catch ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof {
            throw .connectionClosed(address, while: "the \(label) answer")
        } catch {
            throw .protocolError(address, "\(label): \(error)")
        }
    }
}

/// What the async side hands the channel handler: a whole frame whose correlation id (bytes 8..<12) is
/// set by the handler, and the promise for the answer frame.
struct OutboundRequest: Sendable {
    var frame: ByteBuffer
    var label: String
    var expectsResponse: Bool
    var timeout: TimeAmount
    var promise: EventLoopPromise<ByteBuffer>
}

/// Numbers requests, remembers the ones waiting for an answer, and completes each when its frame arrives,
/// when it times out, or when the connection ends. Runs on the event loop only.
final class KafkaClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutboundRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var label: String
        var promise: EventLoopPromise<ByteBuffer>
        var timeoutTask: Scheduled<Void>?
    }

    /// Byte offset of the correlation id in a request frame: size (4), api key (2), version (2).
    static let correlationIdOffset = 8
    /// At most this many timed-out ids are remembered, so their late answers are skipped, not fatal.
    static let abandonedMax = 1024

    private let address: BrokerAddress
    private var nextCorrelationId: Int32 = 1
    private var pending: [Int32: Pending] = [:]
    private var abandoned: Set<Int32> = []
    private var failure: WeirClientError?

    init(address: BrokerAddress) {
        self.address = address
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var request = unwrapOutboundIn(data)
        if let failure {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        let id = nextCorrelationId
        nextCorrelationId = id == .max ? 1 : id + 1
        request.frame.setInteger(id, at: request.frame.readerIndex + Self.correlationIdOffset, endianness: .big)
        if request.expectsResponse {
            let task = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) { [self] in
                self.timeOut(id, after: request.timeout)
            }
            pending[id] = Pending(label: request.label, promise: request.promise, timeoutTask: task)
            context.write(wrapOutboundOut(request.frame), promise: promise)
        } else {
            let written = context.eventLoop.makePromise(of: Void.self)
            let answer = request.promise
            written.futureResult.whenComplete { result in
                switch result {
                case .success: answer.succeed(ByteBuffer())
                case .failure(let error): answer.fail(error)
                }
            }
            written.futureResult.cascade(to: promise)
            context.write(wrapOutboundOut(request.frame), promise: written)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let id = frame.getInteger(at: frame.readerIndex, endianness: .big, as: Int32.self) else {
            failAll(.protocolError(address, "answer frame of \(frame.readableBytes) bytes has no correlation id"), context: context)
            return
        }
        if let entry = pending.removeValue(forKey: id) {
            entry.timeoutTask?.cancel()
            entry.promise.succeed(frame)
        } else if abandoned.remove(id) == nil {
            failAll(.protocolError(address, "answer with unknown correlation id \(id)"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(nil, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(.protocolError(address, "\(error)"), context: context)
    }

    private func timeOut(_ id: Int32, after timeout: TimeAmount) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        if abandoned.count >= Self.abandonedMax { abandoned.removeAll() }
        abandoned.insert(id)
        entry.promise.fail(WeirClientError.timedOut(address, entry.label, after: timeout))
    }

    /// Fails every waiting request: with `error`, or with "closed the connection" when the peer went away.
    private func failAll(_ error: WeirClientError?, context: ChannelHandlerContext) {
        let entries = pending
        pending.removeAll()
        if failure == nil {
            failure = error ?? WeirClientError.connectionClosed(address, while: "an answer")
        }
        for (_, entry) in entries {
            entry.timeoutTask?.cancel()
            entry.promise.fail(error ?? WeirClientError.connectionClosed(address, while: "the \(entry.label) answer"))
        }
        if error != nil { context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension KafkaClientHandler: Sendable {}
