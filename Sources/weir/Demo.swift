import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import WeirBroker
import WeirClient
import WeirEngine
import WeirStreams

/// `weir demo fraud`: the ING scenario for a new user to watch.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Demonstrations.", subcommands: [Fraud.self])

    struct Fraud: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Watch the in-broker risk engine stop a thief: raw web/mobile events → decisions, model v2 deployed live.",
            discussion: """
                Without --broker it starts a broker with the risk engine in this process (127.0.0.1, a free port, a \
                temporary directory). With --broker it uses a running `weir serve --processors DIR/processors.yaml` \
                whose files came from `weir demo fraud --write-files DIR`. Exits 1 when a decision is not the expected one.
                """)

        @Option(name: .long, help: "Use this broker (HOST:PORT) instead of starting one.") var broker: String?
        @Option(name: .customLong("write-files"), help: "Write the example's files (processors.yaml, preprocessor, models) into DIR and exit.") var writeFiles: String?
        @Option(name: .customLong("timeout-ms"), help: "How long to wait for each decision.") var timeoutMs = 20_000

        func run() async throws {
            if let writeFiles {
                try FraudExample.writeFiles(to: writeFiles)
                print("wrote preprocessor.yaml, preprocessor-v2.yaml, fraud-v1.pmml, fraud-v1.yaml, fraud-v2.pmml, fraud-v2.yaml, processors.yaml to \(writeFiles)")
                print("run: weir serve --processors \(writeFiles)/processors.yaml   then: weir demo fraud --broker 127.0.0.1:9092")
                return
            }
            var local: LocalEngineBroker?
            let address: String
            if let broker {
                address = broker
            } else {
                var config = EngineConfiguration()
                config.preprocessors = [PreprocessorSpec(name: "payments", version: "1",
                                                         definition: try PreprocessorDefinition.parse(yaml: FraudExample.preprocessor, file: "preprocessor.yaml"))]
                let started = try await LocalEngineBroker.start(configuration: config)
                local = started
                address = started.address
            }
            let ok: Bool
            do {
                ok = try await play(address: address, suffix: broker == nil ? "" : "-" + String(UInt32.random(in: 0..<UInt32.max), radix: 36),
                                    inProcess: broker == nil)
            } catch {
                await local?.stop()
                throw error
            }
            await local?.stop()
            if !ok { throw ExitCode(1) }
        }

        func play(address: String, suffix: String, inProcess: Bool) async throws -> Bool {
            let client = try await KafkaClient.connect(broker: address, clientId: "weir-demo")
            defer { Task { await client.close() } }
            let control = ModelControl(client: client)
            print("Weir fraud demo: broker \(address)\(inProcess ? " (in this process, temporary data)" : "")")
            print("Raw events: web.events (clicks, cents, epoch ms) and mobile.payments (euros, ISO-8601) → preprocessor → payments → model → decisions\n")
            var failures = 0
            let earlier = try await control.readAll("decisions")
            var decisionsFrom = earlier.last.map { $0.offset + 1 } ?? 0
            // Event time of this run: past every earlier decision (else its events would be late for the windows).
            var base = FraudExample.t0
            for r in earlier {
                if let v = r.value, let d = try? Decision(json: Array(v.readableBytesView)) { base = max(base, (d.eventTime / 60_000 + 60) * 60_000) }
            }
            var expected = FraudExample.expected[...]

            func deploy(_ version: String, _ pmml: String, _ features: String, _ what: String) async throws {
                print("▶ deploy fraud v\(version) through the control topic: \(what)")
                let status = try await control.deploy(DeploymentRequest(model: "fraud", version: version, pmml: Array(pmml.utf8), features: features, activation: .next))
                print("  \(status.summary)\n")
                if status.outcome != .accepted { failures += 1 }
            }

            func step(_ s: FraudExample.Step) async throws {
                print("● \(s.description)")
                for e in s.events {
                    try await client.produce(topic: e.topic, partition: 0, records: [ProducerRecord(key: e.key, value: e.value, timestamp: e.timestamp)])
                }
                let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
                while true {
                    let records = try await control.readAll("decisions", from: decisionsFrom)
                    if let r = records.first, let v = r.value {
                        decisionsFrom = r.offset + 1
                        let d = try Decision(json: Array(v.readableBytesView))
                        let features = d.features.map { "\($0.0)=\(text($0.1))" }.joined(separator: " ")
                        let score = d.score.map { String($0) } ?? "none"
                        print("  → \(d.outcome.rawValue.uppercased())  \(d.model) v\(d.modelVersion)  score \(score)  answers \(d.input.topic)/\(d.input.partition)@\(d.input.offset)  [\(features)]")
                        if let want = expected.popFirst(), want.1 != d.outcome.rawValue || want.2 != d.modelVersion || (want.0 + suffix) != (d.key ?? "") {
                            print("  ✗ expected \(want.1) by v\(want.2) for \(want.0 + suffix)")
                            failures += 1
                        }
                        return
                    }
                    if ContinuousClock.now >= deadline {
                        print("  ✗ no decision within \(timeoutMs) ms")
                        failures += 1
                        return
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }

            try await deploy("1", FraudExample.pmmlV1, FraudExample.featuresV1, "block when amount > 500, the beneficiary is new and > 1 payment in the hour")
            for s in FraudExample.beforeV2(suffix: suffix, base: base) { try await step(s) }
            print("\nThe €400 transfers pass v1. An analyst deploys v2 (adds: new beneficiary and > €1000 sent in the last hour), no restart:\n")
            try await deploy("2", FraudExample.pmmlV2, FraudExample.featuresV2, "v1's rule, or a new beneficiary with sum_1h > 1000 (back-filled from the last hour)")
            for s in FraudExample.afterV2(suffix: suffix, base: base) { try await step(s) }

            print("\nA third app goes live: card payments, with their own schema (cents, epoch seconds). A business user deploys preprocessor v2, no restart:\n")
            print("▶ deploy preprocessor payments v2 through the control topic: also read card.payments")
            let pre = try await control.deploy(PreprocessorRequest(name: "payments", version: "2", definition: FraudExample.preprocessorV2))
            print("  \(pre.summary)\n")
            if pre.outcome != .accepted { failures += 1 }
            expected = [("NL03", "allow", "2")][...]
            try await step(FraudExample.Step(description: "NL03\(suffix) pays €19.99 by card at NL-CAFE",
                                             events: FraudExample.card(account: "NL03" + suffix, cents: 1999, merchant: "NL-CAFE", minute: 58, base: base)))
            print("")
            if failures == 0 {
                print("✓ every event got exactly one decision; v2 blocked the next €400 transfer and card payments joined without a restart")
                return true
            }
            print("✗ \(failures) unexpected result(s)")
            return false
        }

        func text(_ v: FeatureValue) -> String {
            switch v {
            case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            default: "\(v)"
            }
        }
    }
}

/// A broker with a processor host in this process, on 127.0.0.1 and a free port, in a temporary directory.
final class LocalEngineBroker: Sendable {
    let address: String
    let directory: String
    let host: ProcessorHost
    let task: Task<Void, any Error>

    init(address: String, directory: String, host: ProcessorHost, task: Task<Void, any Error>) {
        self.address = address
        self.directory = directory
        self.host = host
        self.task = task
    }

    static func start(configuration: EngineConfiguration, logLevel: Logger.Level = .warning) async throws -> LocalEngineBroker {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weir-demo-\(UUID().uuidString)").path
        var logger = Logger(label: "weir-demo")
        logger.logLevel = logLevel
        for _ in 0..<5 {
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let port = probe.localAddress?.port ?? 0
            try await probe.close()
            var settings = BrokerConfiguration()
            settings.dataDirectory = dir
            settings.advertisedPort = Int32(port)
            let broker = try Broker(configuration: settings, logger: logger)
            let server = KafkaServer(broker: broker, host: "127.0.0.1", port: port, metrics: nil, logger: logger)
            let task = Task { try await server.run() }
            for _ in 0..<500 where server.boundPort == nil { try await Task.sleep(for: .milliseconds(10)) }
            guard server.boundPort == port else {
                task.cancel()
                _ = try? await task.value
                continue
            }
            let host = ProcessorHost(log: BrokerProcessorLog(broker: broker), configuration: configuration, logger: logger)
            await host.setActive(true)
            return LocalEngineBroker(address: "127.0.0.1:\(port)", directory: dir, host: host, task: task)
        }
        throw ValidationError("cannot start a local broker")
    }

    func stop() async {
        await host.setActive(false)
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: directory)
    }
}
