import ArgumentParser
import NIOCore
import WeirClient
import WeirProtocol

/// Options every broker-facing command takes.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: "Broker to connect to, HOST:PORT.") var broker = "127.0.0.1:9092"
    @Option(name: .customLong("request-timeout-ms"), help: "How long to wait for each broker answer.") var requestTimeoutMs: Int64 = 30_000

    func validate() throws {
        do {
            _ = try BrokerAddress(parsing: broker)
        } catch {
            throw ValidationError(error.description)
        }
        guard requestTimeoutMs > 0 else { throw ValidationError("--request-timeout-ms must be positive") }
    }

    func connect() async throws -> KafkaClient {
        try await KafkaClient.connect(broker: broker, clientId: "weir-cli", requestTimeout: .milliseconds(requestTimeoutMs))
    }

    /// Connects, runs `body`, and closes the client on every path.
    func withClient<T>(_ body: (KafkaClient) async throws -> T) async throws -> T {
        let client = try await connect()
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// Splits "key=value" (the value may contain '=').
func parseKeyValue(_ text: String, option: String) throws -> (String, String) {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
        throw ValidationError("\(option) expects KEY=VALUE, got '\(text)'")
    }
    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
}

struct Topic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, describe, alter and delete topics.",
        subcommands: [Create.self, List.self, Describe.self, Alter.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var options: BrokerOptions
        @Argument(help: "Topic name.") var name: String
        @Option(name: .long, help: "Number of partitions (broker default if omitted).") var partitions: Int32?
        @Option(name: .long, help: "Replication factor (broker default if omitted).") var replicationFactor: Int16?
        @Option(name: .long, parsing: .singleValue, help: "Topic config KEY=VALUE (repeatable).") var config: [String] = []

        func validate() throws {
            if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
            for entry in config { _ = try parseKeyValue(entry, option: "--config") }
        }

        func run() async throws {
            let configs = try config.map { try parseKeyValue($0, option: "--config") }
            try await options.withClient { client in
                try await client.createTopic(name, partitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1, configs: configs)
                let count = (try? await client.partitionCount(name)).map { " with \($0) partition\($0 == 1 ? "" : "s")" } ?? ""
                print("created topic \(name)\(count)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics, one name per line.")
        @OptionGroup var options: BrokerOptions

        func run() async throws {
            try await options.withClient { client in
                let metadata = try await client.metadata(topics: nil)
                for topic in metadata.topics where topic.errorCode == .none {
                    print(topic.name)
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a topic's partitions, offsets and configs.")
        @OptionGroup var options: BrokerOptions
        @Argument(help: "Topic name.") var name: String

        func run() async throws {
            try await options.withClient { client in
                let topic = try await client.topicMetadata(name)
                let partitions = topic.partitions.map(\.partition)
                let earliest = try await client.listOffsets(name, partitions: partitions, timestamp: OffsetSpec.earliest)
                let latest = try await client.listOffsets(name, partitions: partitions, timestamp: OffsetSpec.latest)
                let configs = try await client.describeTopicConfigs(name)
                print("Topic: \(name)\tPartitions: \(topic.partitions.count)\tReplicationFactor: \(topic.partitions.first?.replicas.count ?? 0)")
                for p in topic.partitions {
                    var line = "\tPartition: \(p.partition)\tLeader: \(p.leader)\tReplicas: \(list(p.replicas))\tIsr: \(list(p.isr))"
                    line += "\tLogStartOffset: \(earliest[p.partition] ?? -1)\tHighWatermark: \(latest[p.partition] ?? -1)"
                    if p.errorCode != .none { line += "\tError: \(p.errorCode)" }
                    print(line)
                }
                print("Configs:")
                for entry in configs {
                    let value = entry.isSensitive ? "(sensitive)" : (entry.value ?? "(null)")
                    print("\t\(entry.name)=\(value)\t(\(entry.sourceName)\(entry.readOnly ? ", read-only" : ""))")
                }
            }
        }

        private func list(_ nodes: [Int32]) -> String { nodes.map(String.init).joined(separator: ",") }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a topic's configs or raise its partition count.")
        @OptionGroup var options: BrokerOptions
        @Argument(help: "Topic name.") var name: String
        @Option(name: .long, parsing: .singleValue, help: "Set a config KEY=VALUE (repeatable).") var set: [String] = []
        @Option(name: .long, parsing: .singleValue, help: "Reset a config KEY to its default (repeatable).") var delete: [String] = []
        @Option(name: .long, help: "New total number of partitions (can only grow).") var partitions: Int32?

        func validate() throws {
            for entry in set { _ = try parseKeyValue(entry, option: "--set") }
            if set.isEmpty && delete.isEmpty && partitions == nil {
                throw ValidationError("nothing to change: give --set, --delete or --partitions")
            }
        }

        func run() async throws {
            try await options.withClient { client in
                if let partitions {
                    try await client.createPartitions(name, totalCount: partitions)
                    print("topic \(name) now has \(partitions) partitions")
                }
                let changes: [(String, String?)] = try set.map { try parseKeyValue($0, option: "--set") }.map { ($0.0, Optional($0.1)) }
                    + delete.map { ($0, nil) }
                if !changes.isEmpty {
                    try await client.alterTopicConfigs(name, changes)
                    print("altered \(changes.count) config\(changes.count == 1 ? "" : "s") of topic \(name)")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic.")
        @OptionGroup var options: BrokerOptions
        @Argument(help: "Topic name.") var name: String

        func run() async throws {
            try await options.withClient { client in
                try await client.deleteTopic(name)
                print("deleted topic \(name)")
            }
        }
    }
}
