import ArgumentParser
import Logging
import WeirClient
import WeirEngine

/// `weir process`: the same processors as `weir serve --processors`, standalone against any Kafka cluster.
struct Process: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the risk engine's processors against a Kafka cluster (Weir or any other).",
        discussion: """
            Reads inputs with Fetch up to the high watermark and writes outputs through an idempotent producer \
            (acks=all; a retried write is stored once). Progress lives in the cluster: state snapshots on \
            __weir_state, deployments on __weir_control/__weir_status, and the answered inputs in the outputs' \
            provenance headers, so a restart (or another machine) goes on with exactly one output per input. The \
            processed input positions are also committed every second as the offsets of consumer group \
            GROUP.PROCESSOR (e.g. weir-process.fraud), so Kafka tools show each processor's lag. Run one instance \
            per set of topics.
            """)

    @Option(name: .long, help: "A broker of the cluster, HOST:PORT.") var bootstrap: String
    @Option(name: .long, help: "Processors file (YAML), as for `weir serve --processors`.") var config: String
    @Option(name: .long, help: "Prefix of the consumer groups that hold the committed positions (GROUP.PROCESSOR).") var group = "weir-process"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel = "info"

    func run() async throws {
        let configuration: EngineConfiguration
        do { configuration = try EngineConfiguration.load(file: config) } catch { throw ValidationError("--config: \(error)") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        var logger = Logger(label: "weir-process")
        logger.logLevel = level
        let client = try await KafkaClient.connect(broker: bootstrap, clientId: "weir-process")
        let log = RemoteProcessorLog(client: client, groupPrefix: group)
        let host = ProcessorHost(log: log, configuration: configuration, logger: logger)
        let stop = StopSignal.install()
        defer { stop.uninstall() }
        await host.setActive(true)
        logger.info("processing", metadata: ["bootstrap": "\(bootstrap)"])
        var committed: [String: Int64] = [:]
        func commit() async {
            let positions = await host.positions()
            guard positions != committed else { return }
            do {
                try await log.commitPositions(positions)
                committed = positions
            } catch {
                logger.warning("cannot commit the processed positions; retrying", metadata: ["error": "\(error)"])
            }
        }
        var ticks = 0
        while !StopSignal.requested {
            try? await Task.sleep(for: .milliseconds(100))
            ticks += 1
            if ticks % 10 == 0 { await commit() }
        }
        await host.setActive(false)
        await commit()
        await client.close()
    }
}
