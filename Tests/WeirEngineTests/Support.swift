import Foundation
import Logging
import NIOCore
import NIOPosix
import WeirBroker
import WeirClient
import WeirEngine
import WeirStreams

/// A broker served in-process on 127.0.0.1 with a port picked by the OS, in a fresh temp directory.
final class EngineTestBroker: @unchecked Sendable {  // safe: fields set once in init; the task only used by stop()
    let directory: String
    let server: KafkaServer
    let port: Int
    private let task: Task<Void, any Error>

    static func start(directory: String? = nil) async throws -> EngineTestBroker {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("weir-engine-\(UUID().uuidString)").path
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try await freePort()
            var config = BrokerConfiguration()
            config.dataDirectory = dir
            config.advertisedPort = Int32(port)
            config.groupInitialRebalanceDelayMs = 0
            var logger = Logger(label: "test-broker")
            logger.logLevel = .error
            let broker = try Broker(configuration: config, logger: logger)
            let server = KafkaServer(broker: broker, host: "127.0.0.1", port: port, metrics: nil, logger: logger)
            let task = Task { try await server.run() }
            for _ in 0..<500 {
                if server.boundPort != nil { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            if server.boundPort == port { return EngineTestBroker(directory: dir, server: server, port: port, task: task) }
            task.cancel()
            do { try await task.value } catch { lastError = error }
            await broker.shutdown()
        }
        throw lastError ?? TestFailure("cannot start a broker")
    }

    /// A port that was free a moment ago.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    private init(directory: String, server: KafkaServer, port: Int, task: Task<Void, any Error>) {
        self.directory = directory
        self.server = server
        self.port = port
        self.task = task
    }

    var broker: Broker { server.broker }
    var address: String { "127.0.0.1:\(port)" }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    func removeData() { try? FileManager.default.removeItem(atPath: directory) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

enum Scenario {
    static var logger: Logger {
        var l = Logger(label: "engine-test")
        l.logLevel = .warning
        return l
    }

    static func configuration() throws -> EngineConfiguration {
        let files = ["preprocessor.yaml": FraudExample.preprocessor, "fraud-v1.pmml": FraudExample.pmmlV1, "fraud-v1.yaml": FraudExample.featuresV1]
        var c = try EngineConfiguration.parse(yaml: FraudExample.processors, file: "processors.yaml") { name in
            files[name].map { (name, Array($0.utf8)) }
        }
        c.snapshotEvery = 2
        return c
    }

    static func produce(_ client: KafkaClient, _ step: FraudExample.Step) async throws { try await produce(client, step.events) }

    static func produce(_ client: KafkaClient, _ events: [FraudExample.RawEvent]) async throws {
        for e in events {
            try await client.produce(topic: e.topic, partition: 0, records: [ProducerRecord(key: e.key, value: e.value, timestamp: e.timestamp)])
        }
    }

    /// Waits until `topic` holds at least `count` records (bounded), returns them all.
    static func waitFor(_ control: ModelControl, _ topic: String, count: Int, timeoutMs: Int = 30_000) async throws -> [ConsumerRecord] {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        while true {
            let records = try await control.readAll(topic)
            if records.count >= count { return records }
            if ContinuousClock.now >= deadline { throw TestFailure("\(topic): \(records.count) records after \(timeoutMs) ms, expected \(count)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func decisions(_ records: [ConsumerRecord]) throws -> [Decision] {
        try records.map { try Decision(json: Array($0.value!.readableBytesView)) }
    }

    static let v2 = DeploymentRequest(model: "fraud", version: "2", pmml: Array(FraudExample.pmmlV2.utf8), features: FraudExample.featuresV2, activation: .next)
}

/// A test broker with an active host of the ING configuration, a client and a `ModelControl` on it.
final class EngineFixture: @unchecked Sendable {  // safe: used by one test task at a time
    let server: EngineTestBroker
    let client: KafkaClient
    let control: ModelControl
    private(set) var host: ProcessorHost

    init() async throws {
        server = try await EngineTestBroker.start()
        host = ProcessorHost(log: BrokerProcessorLog(broker: server.broker), configuration: try Scenario.configuration(), logger: Scenario.logger)
        await host.setActive(true)
        client = try await KafkaClient.connect(broker: server.address)
        control = ModelControl(client: client)
    }

    /// Stops the host: nothing more is processed or written until `startNewHost`.
    func stopHost() async { await host.setActive(false) }

    /// A new host on the same broker: recovery exactly as after a restart.
    func startNewHost() async throws {
        host = ProcessorHost(log: BrokerProcessorLog(broker: server.broker), configuration: try Scenario.configuration(), logger: Scenario.logger)
        await host.setActive(true)
    }

    func restartHost() async throws {
        await stopHost()
        try await startNewHost()
    }

    func stop() async {
        await host.setActive(false)
        await client.close()
        await server.stop()
        server.removeData()
    }
}
