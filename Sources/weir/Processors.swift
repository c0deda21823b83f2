import ArgumentParser
import Logging
import ServiceLifecycle
import WeirBroker
import WeirEngine

/// The in-broker risk engine of `weir serve --processors FILE`: a `ProcessorHost` over the broker's own log,
/// active from start on a single node (a replicated broker calls `host.setActive` on role changes).
final class ProcessorsService: Service, Sendable {
    let host: ProcessorHost

    init(host: ProcessorHost) { self.host = host }

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
        return [.init(service: ProcessorsService(host: host))]
    }

    func run() async throws {
        await host.setActive(true)
        try? await gracefulShutdown()
        await host.setActive(false)
    }
}
