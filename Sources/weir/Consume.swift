import ArgumentParser
import Foundation
import NIOCore
import Synchronization
import WeirClient
import WeirProtocol

struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a topic's records to standard output, one value per line.",
        discussion: """
            Without --group, reads every partition of the topic. With --group, joins that consumer group (range \
            assignor), starts from the committed offsets and commits what it printed. Stops after --max-messages \
            records, or when no record arrived for --timeout-ms.
            """
    )

    @OptionGroup var options: BrokerOptions
    @Argument(help: "Topic to consume.") var topic: String
    @Option(name: .long, help: "Consumer group to join (commits offsets).") var group: String?
    @Flag(name: .long, help: "Start from the earliest offset when there is no committed one (default: latest).") var fromBeginning = false
    @Option(name: .long, help: "Stop after this many records.") var maxMessages: Int?
    @Option(name: .long, help: "Stop when no record arrived for this many milliseconds.") var timeoutMs: Int64?
    @Flag(name: .long, help: "Print the key before the value.") var printKey = false
    @Option(name: .long, help: "Separator between key and value with --print-key.") var keySeparator = "\t"
    @Flag(name: .long, help: "Print each record's partition and offset before it.") var printOffset = false
    @Option(name: .long, help: "Group session timeout (ms).") var sessionTimeoutMs: Int32 = 10_000

    func validate() throws {
        if let maxMessages, maxMessages < 1 { throw ValidationError("--max-messages must be at least 1") }
        if let timeoutMs, timeoutMs < 1 { throw ValidationError("--timeout-ms must be positive") }
        if let group, group.isEmpty { throw ValidationError("--group must not be empty") }
    }

    func run() async throws {
        let stop = StopSignal.install()
        defer { stop.uninstall() }
        try await options.withClient { client in
            var output = RecordPrinter(printKey: printKey, keySeparator: keySeparator, printOffset: printOffset)
            defer { output.flush() }
            if let group {
                try await consumeWithGroup(client: client, group: group, output: &output)
            } else {
                try await consumeAll(client: client, output: &output)
            }
        }
    }

    private var pollWaitMs: Int32 {
        guard let timeoutMs else { return 500 }
        return Int32(max(10, min(500, timeoutMs)))
    }

    /// True while neither --max-messages nor --timeout-ms says to stop.
    private func shouldContinue(printed: Int, lastRecord: NIODeadline) -> Bool {
        if StopSignal.requested { return false }
        if let maxMessages, printed >= maxMessages { return false }
        if let timeoutMs, NIODeadline.now() - lastRecord >= .milliseconds(timeoutMs) { return false }
        return true
    }

    private func consumeAll(client: KafkaClient, output: inout RecordPrinter) async throws {
        let metadata = try await client.topicMetadata(topic)
        let partitions = metadata.partitions.map(\.partition)
        var positions = try await client.listOffsets(
            topic, partitions: partitions, timestamp: fromBeginning ? OffsetSpec.earliest : OffsetSpec.latest)
        var printed = 0
        var lastRecord = NIODeadline.now()
        while shouldContinue(printed: printed, lastRecord: lastRecord) {
            let fetched = try await client.fetch(topic: topic, offsets: positions, maxWaitMs: pollWaitMs)
            for partition in fetched.sorted(by: { $0.partition < $1.partition }) {
                switch partition.errorCode {
                case .none:
                    positions[partition.partition] = partition.nextOffset
                case .offsetOutOfRange:
                    let reset = try await client.listOffsets(topic, partitions: [partition.partition], timestamp: OffsetSpec.earliest)
                    positions[partition.partition] = reset[partition.partition] ?? 0
                    continue
                case .notLeaderOrFollower, .leaderNotAvailable:
                    continue
                default:
                    throw WeirClientError.kafka(partition.errorCode, "cannot fetch \(topic)-\(partition.partition)")
                }
                for record in partition.records {
                    if let maxMessages, printed >= maxMessages { break }
                    output.print(record)
                    printed += 1
                    lastRecord = .now()
                }
            }
            output.flush()
        }
    }

    private func consumeWithGroup(client: KafkaClient, group: String, output: inout RecordPrinter) async throws {
        var configuration = GroupConsumer.Configuration()
        configuration.resetToEarliest = fromBeginning
        configuration.sessionTimeoutMs = sessionTimeoutMs
        configuration.heartbeatIntervalMs = Int64(sessionTimeoutMs / 3)
        let consumer = GroupConsumer(client: client, groupId: group, topics: [topic], configuration: configuration)
        do {
            var printed = 0
            var lastRecord = NIODeadline.now()
            while shouldContinue(printed: printed, lastRecord: lastRecord) {
                let records = try await consumer.poll(maxWaitMs: pollWaitMs)
                var stoppedAt: [TopicPartition: Int64] = [:]
                for record in records {
                    if let maxMessages, printed >= maxMessages {
                        // Not printed: the next consumer of the group must get it, so do not commit past it.
                        let tp = TopicPartition(record.topic, record.partition)
                        if stoppedAt[tp] == nil { stoppedAt[tp] = record.offset }
                        continue
                    }
                    output.print(record)
                    printed += 1
                    lastRecord = .now()
                }
                for (tp, offset) in stoppedAt { await consumer.seek(tp, to: offset) }
                output.flush()
                if !records.isEmpty { try await consumer.commit() }
            }
            try await consumer.commit()
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }
}

/// Buffers printed records and writes them to standard output in large pieces.
struct RecordPrinter {
    let printKey: Bool
    let keySeparator: String
    let printOffset: Bool
    private var buffer = ""

    init(printKey: Bool, keySeparator: String, printOffset: Bool) {
        self.printKey = printKey
        self.keySeparator = keySeparator
        self.printOffset = printOffset
    }

    mutating func print(_ record: ConsumerRecord) {
        if printOffset { buffer += "\(record.partition):\(record.offset)\t" }
        if printKey { buffer += (record.keyString ?? "null") + keySeparator }
        buffer += (record.valueString ?? "null") + "\n"
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}

/// SIGINT/SIGTERM end a consume cleanly: the loop stops at its next poll (at most 500 ms later), prints
/// what it has, commits and leaves the group, instead of dying with the group waiting for a session timeout.
final class StopSignal {
    private static let flag = Atomic<Bool>(false)
    static var requested: Bool { flag.load(ordering: .relaxed) }

    private let sources: [any DispatchSourceSignal]

    private init(sources: [any DispatchSourceSignal]) { self.sources = sources }

    static func install() -> StopSignal {
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if flag.exchange(true, ordering: .relaxed) {
                    exit(130)  // a second signal: stop at once
                }
            }
            source.resume()
            return source
        }
        return StopSignal(sources: sources)
    }

    func uninstall() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
