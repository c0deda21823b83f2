import Logging
import NIOCore
import WeirProtocol
import WeirReplication

/// One client connection: decodes each frame into a request, hands it to the `Broker`, and writes the
/// responses in request order (Kafka clients pipeline requests and match answers by order and id).
final class KafkaConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let broker: Broker
    private let logger: Logger
    private let tracker: ConnectionTracker
    private var peer = "unknown"
    /// Completes when every response accepted so far has been written: responses are chained on it.
    private var tail: EventLoopFuture<Void>?
    private var closing = false
    /// Requests read but not yet answered on this connection; reading pauses at `maxInFlight` (Kafka mutes
    /// a connection while it answers) and while the socket is not writable, so a client that stops
    /// reading responses cannot make the broker buffer without bound.
    private var inFlight = 0
    private static let maxInFlight = 32
    private var readingPaused = false

    init(broker: Broker, tracker: ConnectionTracker, logger: Logger) {
        self.broker = broker
        self.tracker = tracker
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        tail = context.eventLoop.makeSucceededVoidFuture()
        broker.metrics.connectionOpened()
        tracker.opened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        broker.metrics.connectionClosed()
        tracker.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var frame = unwrapInboundIn(data)
        let started = NIODeadline.now()
        let header: RequestHeader
        do {
            header = try RequestHeader.decode(from: &frame)
        } catch {
            close(context, reason: "unparsable request header: \(error)")
            return
        }
        if header.apiKey == .weirReplication {
            // One-way replication traffic from the peer node: no response.
            guard let host = broker.replication else {
                close(context, reason: "replication message sent to a node that is not in a pair")
                return
            }
            do {
                host.receive(try ReplicationMessage.decode(frame))
            } catch {
                close(context, reason: "undecodable replication message: \(error)")
            }
            return
        }
        if header.apiKey == .weirAdmin {
            respondAdmin(context, header: header, future: broker.handleAdmin(frame, on: context.eventLoop))
            return
        }
        let request: KafkaRequest
        do {
            request = try KafkaRequest.decode(header: header, body: &frame)
        } catch {
            if header.apiKey == .apiVersions, error.kind == .unsupportedVersion {
                // A newer client's ApiVersions: answer at v0 with our ranges so it can pick a version.
                respond(context, header: header, started: started, version: 0,
                        future: context.eventLoop.makeSucceededFuture(.apiVersions(.unsupportedVersionAnswer())))
                return
            }
            broker.metrics.requestError(header.apiKey, .unsupportedVersion)
            close(context, reason: "cannot decode \(header.apiKey) v\(header.apiVersion) (correlation id \(header.correlationId)): \(error)")
            return
        }
        let future = broker.handle(request, header: header, peer: peer, on: context.eventLoop)
        respond(context, header: header, started: started, version: header.apiVersion, future: future)
    }

    private func respond(_ context: ChannelHandlerContext, header: RequestHeader, started: NIODeadline, version: Int16, future: EventLoopFuture<KafkaResponse?>) {
        let previous = tail ?? context.eventLoop.makeSucceededVoidFuture()
        tracker.requestStarted()
        inFlight += 1
        updateReading(context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let broker = self.broker
        tail = previous.flatMap { future }.map { response in
            let (handler, context) = loopBound.value
            defer {
                handler.tracker.requestFinished()
                handler.inFlight -= 1
                handler.updateReading(context)
            }
            let elapsed = UInt64(max(0, (NIODeadline.now() - started).nanoseconds))
            guard let response else {  // acks=0: no answer
                broker.metrics.request(header.apiKey, version: version, nanoseconds: elapsed, error: nil)
                return
            }
            let error = response.firstError
            broker.metrics.request(header.apiKey, version: version, nanoseconds: elapsed, error: error)
            if let error {
                handler.logger.info("request answered with an error", metadata: [
                    "peer": "\(handler.peer)", "api": "\(header.apiKey) v\(version)", "error": "\(error)",
                    "client": "\(header.clientId ?? "")",
                ])
            }
            guard !handler.closing else { return }
            for piece in response.encodeFrameIO(correlationId: header.correlationId, version: version) {
                switch piece {
                case .bytes(let bytes):
                    context.write(handler.wrapOutboundOut(bytes), promise: nil)
                case .file(let file):  // Fetch records still in a log file: sendfile, then close its descriptor
                    let written = context.eventLoop.makePromise(of: Void.self)
                    written.futureResult.whenComplete { _ in file.close() }
                    context.write(NIOAny(IOData.fileRegion(file.region)), promise: written)
                }
            }
            context.flush()
        }.flatMapErrorWithEventLoop { error, eventLoop in
            let (handler, context) = loopBound.value
            handler.tracker.requestFinished()
            handler.inFlight -= 1
            handler.close(context, reason: "\(header.apiKey) v\(header.apiVersion) failed: \(error)")
            return eventLoop.makeSucceededVoidFuture()
        }
    }

    /// Answers a Weir admin request (JSON body) in order with the other responses on this connection.
    private func respondAdmin(_ context: ChannelHandlerContext, header: RequestHeader, future: EventLoopFuture<ByteBuffer>) {
        let previous = tail ?? context.eventLoop.makeSucceededVoidFuture()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        tail = previous.flatMap { future }.map { body in
            let (handler, context) = loopBound.value
            guard !handler.closing else { return }
            var out = context.channel.allocator.buffer(capacity: 8 + body.readableBytes)
            out.writeInteger(Int32(4 + body.readableBytes))
            out.writeInteger(header.correlationId)
            out.writeImmutableBuffer(body)
            context.writeAndFlush(handler.wrapOutboundOut(out), promise: nil)
        }.flatMapErrorWithEventLoop { error, eventLoop in
            let (handler, context) = loopBound.value
            handler.close(context, reason: "admin request failed: \(error)")
            return eventLoop.makeSucceededVoidFuture()
        }
    }

    private func updateReading(_ context: ChannelHandlerContext) {
        let shouldPause = inFlight >= Self.maxInFlight || !context.channel.isWritable
        guard shouldPause != readingPaused, !closing else { return }
        readingPaused = shouldPause
        context.channel.setOption(ChannelOptions.autoRead, value: !shouldPause).whenFailure { _ in }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateReading(context)
        context.fireChannelWritabilityChanged()
    }

    private func close(_ context: ChannelHandlerContext, reason: String) {
        guard !closing else { return }
        closing = true
        logger.warning("closing connection", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let decoding = error as? ProtocolDecodingError {
            close(context, reason: "bad frame: \(decoding)")
        } else if let io = error as? IOError, [104, 32].contains(io.errnoCode) {  // ECONNRESET, EPIPE: the client went away
            close(context, reason: "connection reset")
        } else {
            close(context, reason: "\(error)")
        }
    }
}

extension KafkaResponse {
    /// The first non-zero error code of a response, for the error-rate metric (nil when none).
    var firstError: KafkaErrorCode? {
        switch self {
        case .produce(let r): r.responses.lazy.flatMap(\.partitionResponses).map(\.errorCode).first { $0 != .none }
        case .fetch(let r): r.errorCode != .none ? r.errorCode : r.responses.lazy.flatMap(\.partitions).map(\.errorCode).first { $0 != .none }
        case .metadata(let r): r.topics.lazy.map(\.errorCode).first { $0 != .none }
        case .joinGroup(let r): r.errorCode != .none ? r.errorCode : nil
        case .syncGroup(let r): r.errorCode != .none ? r.errorCode : nil
        case .heartbeat(let r): r.errorCode != .none ? r.errorCode : nil
        case .createTopics(let r): r.topics.lazy.map(\.errorCode).first { $0 != .none }
        case .deleteTopics(let r): r.responses.lazy.map(\.errorCode).first { $0 != .none }
        case .deleteRecords(let r): r.topics.lazy.flatMap(\.partitions).map(\.errorCode).first { $0 != .none }
        case .listOffsets(let r): r.topics.lazy.flatMap(\.partitions).map(\.errorCode).first { $0 != .none }
        case .offsetCommit(let r): r.topics.lazy.flatMap(\.partitions).map(\.errorCode).first { $0 != .none }
        case .offsetFetch(let r): r.errorCode != .none ? r.errorCode : r.topics.lazy.flatMap(\.partitions).map(\.errorCode).first { $0 != .none }
        case .findCoordinator(let r): r.errorCode != .none ? r.errorCode : nil
        case .leaveGroup(let r): r.errorCode != .none ? r.errorCode : nil
        case .describeGroups(let r): r.groups.lazy.map(\.errorCode).first { $0 != .none }
        case .listGroups(let r): r.errorCode != .none ? r.errorCode : nil
        case .deleteGroups(let r): r.results.lazy.map(\.errorCode).first { $0 != .none }
        case .initProducerId(let r): r.errorCode != .none ? r.errorCode : nil
        case .createPartitions(let r): r.results.lazy.map(\.errorCode).first { $0 != .none }
        case .describeConfigs(let r): r.results.lazy.map(\.errorCode).first { $0 != .none }
        case .alterConfigs(let r): r.responses.lazy.map(\.errorCode).first { $0 != .none }
        case .incrementalAlterConfigs(let r): r.responses.lazy.map(\.errorCode).first { $0 != .none }
        case .apiVersions(let r): r.errorCode != .none ? r.errorCode : nil
        }
    }
}
