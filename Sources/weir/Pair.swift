import ArgumentParser
import Foundation
import NIOCore
import WeirBroker
import WeirClient
import WeirProtocol

/// Sends one Weir admin request (JSON) to `broker` and decodes the JSON answer as `T`.
func adminRequest<T: Decodable>(_ request: AdminRequest, broker: String, timeoutMs: Int64, as type: T.Type) async throws -> T {
    let address = try BrokerAddress(parsing: broker)
    let connection = try await BrokerConnection.connect(
        to: address, clientId: "weir-cli", connectTimeout: .milliseconds(min(timeoutMs, 5_000)), requestTimeout: .milliseconds(timeoutMs))
    defer { Task { await connection.close() } }
    let body = try await connection.sendRaw(apiKey: .weirAdmin, body: ByteBuffer(bytes: try JSONEncoder().encode(request)))
    let data = Data(body.readableBytesView)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    if let failure = try? decoder.decode(AdminErrorAnswer.self, from: data) {
        throw ValidationError("broker \(broker): \(failure.error)")
    }
    do {
        return try decoder.decode(T.self, from: data)
    } catch {
        throw ValidationError("broker \(broker) answered something unexpected: \(String(decoding: data, as: UTF8.self))")
    }
}

/// `weir status`: role, epoch, peer connectivity and per-partition replication state of one node.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a node's role, epoch, peer connectivity and per-partition log end offset, high watermark and replication lag.")

    @OptionGroup var options: BrokerOptions
    @Flag(name: .long, help: "Print the status as JSON.") var json = false

    func run() async throws {
        let status: ReplicationHost.Status
        do {
            status = try await adminRequest(AdminRequest(op: "status"), broker: options.broker, timeoutMs: options.requestTimeoutMs, as: ReplicationHost.Status.self)
        } catch let error as WeirClientError {
            throw ValidationError(error.description)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print("node \(status.nodeId): \(status.role), epoch \(status.epoch) (leader epoch \(status.leaderEpoch))")
        if status.role != "single" {
            let silence = status.peerSilenceMs.map { "last heard \($0) ms ago" } ?? "not heard"
            print("peer node \(status.peerNodeId) at \(status.peer): \(status.peerConnected ? "connected" : "NOT CONNECTED"), \(silence)")
            if let alone = status.acknowledgingAlone {
                print("ACKNOWLEDGING ALONE (\(alone)): RPO = 0 does not hold until the replica catches up")
            } else if status.role == "primary" {
                print("synchronous: every acknowledged write is durable on both nodes")
            } else {
                print(status.inSync ? "in sync: promotable" : "not in sync: not promotable until its primary says so")
            }
            print("time acknowledged alone since start: \(status.aloneMsTotal) ms; allow-degraded: \(status.allowDegraded)")
        }
        if let offline = status.offline { print("OFFLINE: \(offline)") }
        let rows = status.partitions.map { p in
            ["\(p.topic)-\(p.partition)", "\(p.logEndOffset)", "\(p.highWatermark)", p.lagRecords.map(String.init) ?? "-", p.lagMs.map(String.init) ?? "-"]
        }
        printTable(["PARTITION", "LOG-END", "HIGH-WATERMARK", "LAG-RECORDS", "LAG-MS"], rows)
    }
}

/// `weir promote`: makes a replica whose primary is lost the primary of a new epoch.
struct Promote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Promote a replica to primary (refused while its primary is reachable, unless --force).",
        discussion: """
            Prints the new epoch. The old primary, when it comes back, learns the newer epoch from this node, \
            steps down, discards any never-acknowledged suffix and catches up as replica.
            """)

    @OptionGroup var options: BrokerOptions
    @Flag(name: .long, help: "Promote even though the primary answered within the last second.") var force = false

    func run() async throws {
        let answer: PromoteAnswer
        do {
            answer = try await adminRequest(AdminRequest(op: "promote", force: force), broker: options.broker, timeoutMs: options.requestTimeoutMs, as: PromoteAnswer.self)
        } catch let error as WeirClientError {
            throw ValidationError(error.description)
        }
        guard answer.result == "promoted", let epoch = answer.epoch else {
            throw ValidationError("promotion refused: \(answer.reason ?? answer.result)")
        }
        print("promoted: \(options.broker) is the primary of epoch \(epoch)")
    }
}

/// Prints rows under a header, columns padded to their widest cell.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }
    print(line(header))
    for row in rows { print(line(row)) }
}
