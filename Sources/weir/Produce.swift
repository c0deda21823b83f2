import ArgumentParser
import Foundation
import NIOCore
import WeirClient
import WeirProtocol
import WeirRecords

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce lines read from standard input to a topic, one record per line.",
        discussion: """
            Keyed records (--key-separator) go to the partition Kafka's default partitioner picks (murmur2 of the \
            key); unkeyed records are spread round-robin, one batch per partition, unless --partition is given.
            """
    )

    @OptionGroup var options: BrokerOptions
    @Argument(help: "Topic to produce to.") var topic: String
    @Option(name: .long, help: "Split each line at the first SEP into key and value.") var keySeparator: String?
    @Option(name: .long, help: "Acknowledgements: all (-1), 1 or 0.") var acks = "all"
    @Option(name: .long, help: "Compression codec: none, gzip or lz4.") var compression = "none"
    @Option(name: .long, help: "Send every record to this partition.") var partition: Int32?
    @Option(name: .long, parsing: .singleValue, help: "Header KEY=VALUE added to every record (repeatable).") var header: [String] = []
    @Option(name: .long, help: "Records per produce request (per partition).") var batchSize = 1000

    func validate() throws {
        _ = try parsedAcks()
        _ = try parsedCodec()
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator must not be empty") }
        if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        for entry in header { _ = try parseKeyValue(entry, option: "--header") }
    }

    private func parsedAcks() throws -> Int16 {
        switch acks.lowercased() {
        case "all", "-1": return -1
        case "1": return 1
        case "0": return 0
        default: throw ValidationError("--acks must be all, -1, 1 or 0 (got '\(acks)')")
        }
    }

    private func parsedCodec() throws -> CompressionCodec {
        switch compression.lowercased() {
        case "none": return .none
        case "gzip": return .gzip
        case "lz4": return .lz4
        case "snappy", "zstd": throw ValidationError("--compression \(compression) is not supported by Weir (use none, gzip or lz4)")
        default: throw ValidationError("--compression must be none, gzip or lz4 (got '\(compression)')")
        }
    }

    func run() async throws {
        let acks = try parsedAcks()
        let codec = try parsedCodec()
        let headers = try header.map { try parseKeyValue($0, option: "--header") }
        try await options.withClient { client in
            let partitionCount = try await client.partitionCount(topic)
            if let partition, partition >= partitionCount {
                throw ValidationError("topic \(topic) has \(partitionCount) partitions; there is no partition \(partition)")
            }
            var pending: [Int32: [ProducerRecord]] = [:]
            var roundRobin: Int32 = 0
            var produced = 0
            var lineNumber = 0

            func flush(_ target: Int32) async throws {
                guard let records = pending[target], !records.isEmpty else { return }
                pending[target] = nil
                try await client.produce(topic: topic, partition: target, records: records, codec: codec, acks: acks)
                produced += records.count
            }

            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                var key: String?
                var value = line
                if let keySeparator {
                    guard let range = line.range(of: keySeparator) else {
                        throw ValidationError("line \(lineNumber) has no key separator '\(keySeparator)'")
                    }
                    key = String(line[..<range.lowerBound])
                    value = String(line[range.upperBound...])
                }
                let record = ProducerRecord(key: key, value: value, headers: headers.map { ($0.0, Optional($0.1)) })
                let target: Int32
                if let partition {
                    target = partition
                } else if let key = record.key {
                    target = Partitioner.partition(forKey: key, partitionCount: partitionCount)
                } else {
                    target = roundRobin
                    if (pending[target]?.count ?? 0) + 1 >= batchSize { roundRobin = (roundRobin + 1) % partitionCount }
                }
                pending[target, default: []].append(record)
                if (pending[target]?.count ?? 0) >= batchSize { try await flush(target) }
            }
            for target in pending.keys.sorted() { try await flush(target) }
            printError("produced \(produced) record\(produced == 1 ? "" : "s") to \(topic)")
        }
    }
}

/// Writes a line to standard error (status output that must not mix with records on standard output).
func printError(_ text: String) {
    var stream = StandardError()
    print(text, to: &stream)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
