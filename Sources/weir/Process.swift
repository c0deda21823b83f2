import ArgumentParser
import Logging
import WeirClient
import WeirEngine

/// `weir process`: the same processors as `weir serve --processors`, standalone against any Kafka cluster.
struct Process: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the risk engine's processors against a Kafka cluster (Weir or any other).",
        discussion: """
            Reads inputs with Fetch up to the high watermark and writes outputs with acks=all. Progress lives in the \
            cluster: state snapshots on __weir_state, deployments on __weir_control/__weir_status, and the answered \
            inputs in the outputs' provenance headers, so a restart (or another machine) goes on with exactly one \
            output per input. Run one instance per set of topics.
            """)

    @Option(name: .long, help: "A broker of the cluster, HOST:PORT.") var bootstrap: String
    @Option(name: .long, help: "Processors file (YAML), as for `weir serve --processors`.") var config: String
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel = "info"

    func run() async throws {
        let configuration: EngineConfiguration
        do { configuration = try EngineConfiguration.load(file: config) } catch { throw ValidationError("--config: \(error)") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        var logger = Logger(label: "weir-process")
        logger.logLevel = level
        let client = try await KafkaClient.connect(broker: bootstrap, clientId: "weir-process")
        let host = ProcessorHost(log: RemoteProcessorLog(client: client), configuration: configuration, logger: logger)
        let stop = StopSignal.install()
        defer { stop.uninstall() }
        await host.setActive(true)
        logger.info("processing", metadata: ["bootstrap": "\(bootstrap)"])
        while !StopSignal.requested { try? await Task.sleep(for: .milliseconds(100)) }
        await host.setActive(false)
        await client.close()
    }
}
