import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import WeirBroker
import WeirProtocol
import WeirRecords
import WeirTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A broker served in-process on 127.0.0.1 with a port picked by the OS, in a fresh temp directory.
final class TestBroker: @unchecked Sendable {  // safe: fields set once in init; the task handle only used by stop()
    let directory: String
    let server: KafkaServer
    let port: Int
    private let task: Task<Void, any Error>

    static func start(directory: String? = nil, port: Int = 0, configure: (inout BrokerConfiguration) -> Void = { _ in }) async throws -> TestBroker {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("weir-broker-\(UUID().uuidString)").path
        var config = BrokerConfiguration()
        config.dataDirectory = dir
        config.groupInitialRebalanceDelayMs = 0
        configure(&config)
        var logger = Logger(label: "test-broker")
        logger.logLevel = .error
        let broker = try Broker(configuration: config, logger: logger)
        let server = KafkaServer(broker: broker, host: "127.0.0.1", port: port, metrics: ("127.0.0.1", 0), logger: logger)
        let task = Task { try await server.run() }
        await server.waitUntilBound()
        return TestBroker(directory: dir, server: server, port: server.boundPort!, task: task)
    }

    private init(directory: String, server: KafkaServer, port: Int, task: Task<Void, any Error>) {
        self.directory = directory
        self.server = server
        self.port = port
        self.task = task
    }

    var broker: Broker { server.broker }

    /// Stops the server as SIGTERM would (graceful shutdown: drain, close logs).
    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    func removeData() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A blocking Kafka test client over one TCP connection: sends frames, reads frames, with timeouts.
final class WireClient {
    let fd: Int32
    private var correlation: Int32 = 0

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw TestError("connect failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)  // generous: parallel test suites can starve the 2-core machine
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestError("send failed: errno \(errno)") }
            sent += n
        }
    }

    func send<R: KafkaRequestBody>(_ request: R, version: Int16) throws -> Int32 {
        correlation += 1
        let frame = request.encodeFrame(version: version, correlationId: correlation, clientId: "wire-test")
        try sendRaw(Array(frame.readableBytesView))
        return correlation
    }

    /// Reads one response frame payload; nil when the broker closed the connection.
    func readFrame() throws -> ByteBuffer? {
        guard let sizeBytes = try readExactly(4) else { return nil }
        let size = Int(Int32(bigEndian: sizeBytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        guard let payload = try readExactly(size) else { throw TestError("connection closed inside a frame") }
        return ByteBuffer(bytes: payload)
    }

    private func readExactly(_ count: Int) throws -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { if got == 0 { return nil } else { throw TestError("short read") } }
            if n < 0 { throw TestError("recv failed: errno \(errno)") }
            got += n
        }
        return out
    }

    /// Sends and waits for the matching response.
    func call<R: KafkaRequestBody, S: KafkaResponseBody>(_ request: R, version: Int16, as: S.Type) throws -> S {
        let id = try send(request, version: version)
        guard let frame = try readFrame() else { throw TestError("broker closed the connection") }
        let (header, body) = try S.decodeFrame(frame, version: version)
        guard header.correlationId == id else { throw TestError("correlation id \(header.correlationId), expected \(id)") }
        return body
    }

    /// `call` on a thread of its own: a test must not block one of the two cooperative-pool threads that the
    /// in-process broker's actors (the group coordinator) need to answer it.
    func callAsync<R: KafkaRequestBody, S: KafkaResponseBody>(_ request: R, version: Int16, as: S.Type) async throws -> S {
        try await onDedicatedThread { try self.call(request, version: version, as: S.self) }
    }

    /// True when the broker closed the connection (reads EOF within the timeout).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

/// A TCP port free right now on 127.0.0.1 (bound to port 0, read, released): for a pair whose nodes
/// must know each other's port before either starts.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { throw TestError("bind failed: errno \(errno)") }
    var bound = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: bound.sin_port))
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Produce-request helpers.
func produceRequest(topic: String, partition: Int32 = 0, batch: ByteBuffer, acks: Int16 = -1) -> ProduceRequest {
    ProduceRequest(acks: acks, timeoutMs: 5000, topicData: [.init(name: topic, partitionData: [.init(index: partition, records: batch)])])
}

func makeBatch(_ values: [String], keys: [String?]? = nil, codec: CompressionCodec = .none, producerId: Int64 = -1, epoch: Int16 = -1, sequence: Int32 = -1, timestamp: Int64 = 1_700_000_000_000) throws -> ByteBuffer {
    var b = RecordBatchBuilder(codec: codec, producerId: producerId, producerEpoch: epoch, baseSequence: sequence)
    for (i, v) in values.enumerated() {
        b.append(key: keys?[i], value: v, timestamp: timestamp + Int64(i), headers: [("h", "\(i)")])
    }
    return try b.build().bytes
}

func fetchRequest(topic: String, partition: Int32 = 0, offset: Int64, maxWaitMs: Int32 = 0, minBytes: Int32 = 1, maxBytes: Int32 = 1 << 20) -> FetchRequest {
    FetchRequest(maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes, topics: [.init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: maxBytes)])])
}

/// Every record value in a fetched record set, with offsets.
func values(in records: ByteBuffer?) throws -> [(offset: Int64, key: String?, value: String?)] {
    guard let records else { return [] }
    var out: [(Int64, String?, String?)] = []
    var scanner = RecordBatchScanner(records)
    while let (index, header) = scanner.next() {
        let batch = RecordBatch(unchecked: records.getSlice(at: index, length: header.totalSize)!, header: header)
        var it = try batch.records()
        while let r = try it.next() {
            out.append((it.offset(of: r), r.key.map { String(buffer: $0) }, r.value.map { String(buffer: $0) }))
        }
    }
    return out
}

/// A plain HTTP/1.0 GET over a raw socket; returns the whole response (status line, headers, body).
func httpGet(port: Int, path: String) throws -> String {
    let c = try WireClient(port: port)
    try c.sendRaw(Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8))
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        out += chunk[..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

extension WireClient: @unchecked Sendable {}  // one test task uses each client at a time
