import Foundation
import Logging
import NIOCore
import NIOPosix
import WeirProtocol
import WeirReplication

/// This node's outbound connection to its peer's Kafka listener, carrying replication messages one way
/// (the peer answers over its own connection to us). Best effort, as the replication core expects: a
/// message sent while disconnected or while the socket is backed up is dropped, and the core's timers
/// re-send what matters. Reconnects every `retryDelay` while down.
///
/// Confined to `loop` (the replication executor): every method must be called on it.
final class PeerLink {
    let host: String
    let port: Int
    let loop: any EventLoop
    let clientId: String
    let logger: Logger
    /// Called on `loop` when the connection comes up (true) or goes down / fails to connect (false).
    let onStateChange: (Bool) -> Void
    private var channel: (any Channel)?
    private var connecting = false
    private var stopped = false
    private var correlationId: Int32 = 0
    private var lastFailureLog: NIODeadline?
    static let retryDelay = TimeAmount.milliseconds(100)

    init(host: String, port: Int, loop: any EventLoop, nodeId: Int32, logger: Logger, onStateChange: @escaping (Bool) -> Void) {
        self.host = host
        self.port = port
        self.loop = loop
        self.clientId = "weir-node-\(nodeId)"
        self.logger = logger
        self.onStateChange = onStateChange
    }

    var isConnected: Bool { channel != nil }

    func start() {
        loop.preconditionInEventLoop()
        connect()
    }

    func stop() {
        loop.preconditionInEventLoop()
        stopped = true
        channel?.close(promise: nil)
        channel = nil
    }

    func send(_ message: ReplicationMessage) {
        loop.preconditionInEventLoop()
        guard let channel, channel.isWritable else { return }  // best effort: the core re-sends on its timers
        var frame = channel.allocator.buffer(capacity: 256)
        frame.writeInteger(Int32(0))  // length, patched below
        correlationId &+= 1
        RequestHeader(apiKey: .weirReplication, apiVersion: 0, correlationId: correlationId, clientId: clientId).encode(to: &frame)
        message.encode(into: &frame)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
        channel.writeAndFlush(frame, promise: nil)
    }

    /// An admin request to the peer (its answer, on this connection, is ignored).
    func sendAdmin(_ request: AdminRequest) {
        loop.preconditionInEventLoop()
        guard let channel, channel.isWritable, let json = try? JSONEncoder().encode(request) else { return }
        var frame = channel.allocator.buffer(capacity: 64 + json.count)
        frame.writeInteger(Int32(0))
        correlationId &+= 1
        RequestHeader(apiKey: .weirAdmin, apiVersion: 0, correlationId: correlationId, clientId: clientId).encode(to: &frame)
        frame.writeBytes(json)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
        channel.writeAndFlush(frame, promise: nil)
    }

    private func connect() {
        guard !stopped, channel == nil, !connecting else { return }
        connecting = true
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(500))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
        let loopBound = NIOLoopBound(self, eventLoop: loop)
        bootstrap.connect(host: host, port: port).hop(to: loop).whenComplete { result in
            let link = loopBound.value
            link.connecting = false
            switch result {
            case .success(let channel):
                if link.stopped {
                    channel.close(promise: nil)
                    return
                }
                link.channel = channel
                link.lastFailureLog = nil
                link.logger.info("connected to peer", metadata: ["peer": "\(link.host):\(link.port)"])
                link.onStateChange(true)
                channel.closeFuture.hop(to: link.loop).whenComplete { _ in
                    let link = loopBound.value
                    guard link.channel === channel else { return }
                    link.channel = nil
                    link.logger.warning("connection to peer lost", metadata: ["peer": "\(link.host):\(link.port)"])
                    link.onStateChange(false)
                    link.scheduleReconnect()
                }
            case .failure(let error):
                let now = NIODeadline.now()
                if link.lastFailureLog.map({ now - $0 > .seconds(10) }) ?? true {
                    link.lastFailureLog = now  // at most one line per 10 s while the peer stays away
                    link.logger.warning("cannot connect to peer; retrying", metadata: ["peer": "\(link.host):\(link.port)", "error": "\(error)"])
                }
                link.onStateChange(false)
                link.scheduleReconnect()
            }
        }
    }

    private func scheduleReconnect() {
        guard !stopped else { return }
        let loopBound = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleTask(in: Self.retryDelay) { loopBound.value.connect() }
    }
}
