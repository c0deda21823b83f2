import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import WeirBroker
import WeirClient

/// An in-process broker for the client tests, advertising the port it really listens on (the client follows
/// the Metadata addresses to reach partition leaders, so the advertised port must be right). The port is
/// picked by binding port 0 first; a lost race to another process is retried.
final class ClientTestBroker: @unchecked Sendable {  // safe: fields set once in init; `task` only used by stop()
    let directory: String
    let server: KafkaServer
    let port: Int
    private let task: Task<Void, any Error>

    var address: String { "127.0.0.1:\(port)" }

    static func start() async throws -> ClientTestBroker {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-client-\(UUID().uuidString)").path
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try await freePort()
            var config = BrokerConfiguration()
            config.dataDirectory = directory
            config.advertisedPort = Int32(port)
            config.groupInitialRebalanceDelayMs = 0
            var logger = Logger(label: "client-test-broker")
            logger.logLevel = .error
            let broker = try Broker(configuration: config, logger: logger)
            let server = KafkaServer(broker: broker, host: "127.0.0.1", port: port, metrics: nil, logger: logger)
            let stopped = Mutex(false)
            let task = Task {
                defer { stopped.withLock { $0 = true } }
                try await server.run()
            }
            // Bounded wait for the bind: run() either binds (boundPort set) or fails at once.
            var bound = false
            for _ in 0..<1000 {
                if server.boundPort != nil { bound = true; break }
                if stopped.withLock({ $0 }) { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            if bound, server.boundPort == port {
                return ClientTestBroker(directory: directory, server: server, port: port, task: task)
            }
            task.cancel()
            do {
                try await task.value
                lastError = TestError("the server on port \(port) stopped at once")
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestError("cannot start a broker")
    }

    private init(directory: String, server: KafkaServer, port: Int, task: Task<Void, any Error>) {
        self.directory = directory
        self.server = server
        self.port = port
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A port that was free a moment ago.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

/// Runs `body` against a fresh broker and a connected client; stops both on every path.
func withClientAndBroker(_ body: (KafkaClient, ClientTestBroker) async throws -> Void) async throws {
    let broker = try await ClientTestBroker.start()
    do {
        let client = try await KafkaClient.connect(broker: broker.address, clientId: "client-test", requestTimeout: .seconds(20))
        do {
            try await body(client, broker)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    } catch {
        await broker.stop()
        throw error
    }
    await broker.stop()
}
