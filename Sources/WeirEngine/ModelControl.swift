import NIOCore
import WeirClient
import WeirProtocol
import WeirStreams

/// Deploying, listing and rolling back models through the control topic, as a Kafka client
/// (`weir model deploy|list|rollback`, `weir demo fraud`, tests).
public struct ModelControl: Sendable {
    public let client: KafkaClient
    public let topics: EngineTopics

    public init(client: KafkaClient, topics: EngineTopics = EngineTopics()) {
        self.client = client
        self.topics = topics
    }

    /// Every record of partition 0 of `topic` below its high watermark (empty when the topic does not exist yet).
    public func readAll(_ topic: String, from: Int64 = 0, partition: Int32 = 0) async throws -> [ConsumerRecord] {
        var out: [ConsumerRecord] = []
        var next = from
        for _ in 0..<100_000 {
            let fetched: [FetchedPartition]
            do { fetched = try await client.fetch(topic: topic, offsets: [partition: next], maxWaitMs: 0) } catch {
                if error.code == .unknownTopicOrPartition { return [] }
                throw error
            }
            guard let p = fetched.first else { break }
            if p.errorCode == .unknownTopicOrPartition { return [] }
            guard p.errorCode == .none else { throw EngineError("cannot read \(topic): \(p.errorCode)") }
            out += p.records
            if p.nextOffset <= next || p.nextOffset >= p.highWatermark { break }
            next = p.nextOffset
        }
        return out
    }

    /// Produces a control record and waits (up to `timeoutMs`) for the host's answer on the status topic.
    public func submit(_ record: [UInt8], key: String, timeoutMs: Int = 60_000) async throws -> DeploymentStatus {
        let offset = try await client.produce(topic: topics.control, partition: 0,
                                              records: [ProducerRecord(key: ByteBuffer(string: key), value: ByteBuffer(bytes: record))])
        return try await waitForStatus(controlOffset: offset, timeoutMs: timeoutMs)
    }

    public func deploy(_ request: DeploymentRequest, timeoutMs: Int = 60_000) async throws -> DeploymentStatus {
        try await submit(request.json, key: request.model, timeoutMs: timeoutMs)
    }

    public func deploy(_ request: PreprocessorRequest, timeoutMs: Int = 60_000) async throws -> DeploymentStatus {
        try await submit(request.json, key: request.name, timeoutMs: timeoutMs)
    }

    /// The next numeric version of `name` (one more than the highest numeric version accepted).
    public func nextVersion(of name: String) async throws -> String {
        let known = try await statuses().filter { $0.model == name && $0.outcome == .accepted }.compactMap { Int($0.version) }
        return String((known.max() ?? 0) + 1)
    }

    /// Re-activates `version` of `model` (default: the version that was active before the current one).
    public func rollback(model: String, to version: String? = nil, timeoutMs: Int = 60_000) async throws -> DeploymentStatus {
        var target = version
        if target == nil {
            let accepted = try await statuses().filter { $0.model == model && $0.outcome == .accepted }
            guard let current = accepted.last else { throw EngineError("no version of \(model) was deployed through the control topic") }
            target = accepted.dropLast().last { $0.version != current.version }?.version
            if target == nil, let configured = try await configuredVersionBefore(model: model, current: current.version) { target = configured }
            guard target != nil else { throw EngineError("\(model) has no earlier version to roll back to; give one with --version") }
        }
        return try await submit(ControlRequest.rollbackRecord(model: model, version: target!), key: model, timeoutMs: timeoutMs)
    }

    /// A configured model's first version is not on the control topic; its decisions name it.
    private func configuredVersionBefore(model: String, current: String) async throws -> String? {
        for r in try await readAll("decisions").prefix(10_000) {
            guard let v = r.value, let d = try? Decision(json: Array(v.readableBytesView)) else { continue }
            if d.model == model, d.modelVersion != current { return d.modelVersion }
        }
        return nil
    }

    public func statuses() async throws -> [DeploymentStatus] {
        try await readAll(topics.status).compactMap { r in r.value.flatMap { try? DeploymentStatus(json: Array($0.readableBytesView)) } }
    }

    public func waitForStatus(controlOffset: Int64, timeoutMs: Int) async throws -> DeploymentStatus {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        var from: Int64 = 0
        while ContinuousClock.now < deadline {
            let records = try await readAll(topics.status, from: from)
            for r in records {
                from = r.offset + 1
                if let v = r.value, let s = try? DeploymentStatus(json: Array(v.readableBytesView)), s.controlOffset == controlOffset { return s }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw EngineError("no answer from the processor host within \(timeoutMs / 1000) s (is `weir serve` running with processors, on the primary?)")
    }
}
