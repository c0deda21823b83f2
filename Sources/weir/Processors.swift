import ArgumentParser
import Logging
import ServiceLifecycle
import WeirBroker
import WeirEngine
import WeirReplication

/// The in-broker risk engine of `weir serve --processors FILE`: a `ProcessorHost` over the broker's own log,
/// active from start on a single node (a replicated broker calls `host.setActive` on role changes).
final class ProcessorsService: Service, Sendable {
    let host: ProcessorHost

    /// Reads and checks the processors file before the broker starts: errors name the file, line and field.
    static func load(_ path: String?) throws -> EngineConfiguration? {
        guard let path else { return nil }
        do {
            return try EngineConfiguration.load(file: path)
        } catch {
            throw ValidationError("--processors: \(error)")
        }
    }

    static func services(_ configuration: EngineConfiguration?, broker: Broker, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let configuration else { return [] }
        let host = ProcessorHost(log: BrokerProcessorLog(broker: broker), configuration: configuration, logger: logger)
        return [.init(service: ProcessorsService(host: host, broker: broker))]
    }

    let broker: Broker

    init(host: ProcessorHost, broker: Broker) {
        self.host = host
        self.broker = broker
    }

    /// Single node: active until shutdown. Pair mode: active while this node is the primary (role changes are
    /// applied in order; on promotion the host recovers from the replicated snapshots and output tails).
    func run() async throws {
        let (roles, continuation) = AsyncStream<Bool>.makeStream()
        broker.replication?.observeRole { role in continuation.yield(role == .primary) }
        continuation.yield(broker.isPrimary)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await gracefulShutdown()
                continuation.finish()
            }
            group.addTask { [host] in
                for await active in roles { await host.setActive(active) }
                await host.setActive(false)
            }
        }
    }
}
