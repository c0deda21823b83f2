import Logging
import WeirProtocol
import WeirStorage

/// Kafka's config resource types.
enum ConfigResourceType {
    static let topic: Int8 = 2
    static let broker: Int8 = 4
}

/// Kafka's config sources (DescribeConfigs v1+).
enum ConfigSource {
    static let dynamicTopic: Int8 = 1
    static let staticBroker: Int8 = 4
    static let defaultConfig: Int8 = 5
}

extension Broker {
    // MARK: Topics

    func createTopics(_ r: CreateTopicsRequest) -> CreateTopicsResponse {
        var response = CreateTopicsResponse()
        var seen: Set<String> = []
        for t in r.topics {
            var answer = CreateTopicsResponse.Topic(name: t.name)
            defer { response.topics.append(answer) }
            guard seen.insert(t.name).inserted else {
                answer.errorCode = .invalidRequest
                answer.errorMessage = "topic '\(t.name)' appears more than once in the request"
                continue
            }
            var partitions = t.numPartitions == -1 ? configuration.defaultPartitions : t.numPartitions
            if !t.assignments.isEmpty {
                guard t.numPartitions == -1, t.replicationFactor == -1 else {
                    answer.errorCode = .invalidRequest
                    answer.errorMessage = "both numPartitions/replicationFactor and replica assignments were given"
                    continue
                }
                let indexes = Set(t.assignments.map(\.partitionIndex))
                guard indexes == Set(0..<Int32(t.assignments.count)),
                      t.assignments.allSatisfy({ !$0.brokerIds.isEmpty && Set($0.brokerIds).isSubset(of: clusterNodeIds) }) else {
                    answer.errorCode = .invalidReplicaAssignment
                    answer.errorMessage = "assignments must cover partitions 0..<n, each on brokers \(clusterNodeIds.sorted())"
                    continue
                }
                partitions = Int32(t.assignments.count)
            } else if t.replicationFactor != -1 && (t.replicationFactor < 1 || Int(t.replicationFactor) > clusterNodeIds.count) {
                // In a pair every partition lives on both nodes: factor 1 or 2 both mean "the pair".
                answer.errorCode = .invalidReplicationFactor
                answer.errorMessage = "replication factor \(t.replicationFactor) is larger than the \(clusterNodeIds.count) available broker(s)"
                continue
            }
            do {
                try topics.create(name: t.name, partitions: partitions, configs: t.configs.map { ($0.name, $0.value) }, validateOnly: r.validateOnly)
            } catch {
                answer.errorCode = error.code
                answer.errorMessage = error.description
            }
        }
        return response
    }

    func deleteTopics(_ r: DeleteTopicsRequest) -> DeleteTopicsResponse {
        var response = DeleteTopicsResponse()
        for name in r.topicNames {
            var result = DeleteTopicsResponse.Result(name: name)
            do {
                try topics.delete(name: name)
                let groups = self.groups
                Task { await groups.topicDeleted(name) }  // committed offsets of the topic go too
            } catch {
                result.errorCode = error.code
            }
            response.responses.append(result)
        }
        return response
    }

    /// DeleteRecords: each partition's log start moves to the given offset (-1: the high watermark), never past
    /// the high watermark (OFFSET_OUT_OF_RANGE). In a pair the replica follows within one replication round
    /// (its fetch answers carry the primary's log start).
    func deleteRecords(_ r: DeleteRecordsRequest) -> DeleteRecordsResponse {
        var response = DeleteRecordsResponse()
        for t in r.topics {
            var out = DeleteRecordsResponse.Topic(name: t.name)
            for p in t.partitions {
                var answer = DeleteRecordsResponse.Topic.Partition(partitionIndex: p.partitionIndex)
                defer { out.partitions.append(answer) }
                guard let partition = topics.partition(t.name, p.partitionIndex) else {
                    answer.errorCode = .unknownTopicOrPartition
                    continue
                }
                let hw = partition.highWatermark
                let target = p.offset == -1 ? hw : p.offset
                guard target >= 0, target <= hw else {
                    answer.errorCode = .offsetOutOfRange
                    answer.lowWatermark = partition.log.logStartOffset
                    continue
                }
                do {
                    answer.lowWatermark = try partition.log.advanceLogStart(to: target)
                    logger.notice("records deleted", metadata: ["partition": "\(t.name)-\(p.partitionIndex)", "log_start_offset": "\(answer.lowWatermark)"])
                } catch {
                    answer.errorCode = .kafkaStorageError
                    logger.error("DeleteRecords failed", metadata: ["partition": "\(t.name)-\(p.partitionIndex)", "error": "\(error)"])
                }
            }
            response.topics.append(out)
        }
        return response
    }

    func createPartitions(_ r: CreatePartitionsRequest) -> CreatePartitionsResponse {
        var response = CreatePartitionsResponse()
        for t in r.topics {
            var result = CreatePartitionsResponse.Result(name: t.name)
            defer { response.results.append(result) }
            if let assignments = t.assignments, !assignments.allSatisfy({ !$0.brokerIds.isEmpty && Set($0.brokerIds).isSubset(of: clusterNodeIds) }) {
                result.errorCode = .invalidReplicaAssignment
                result.errorMessage = "new partitions can only be placed on brokers \(clusterNodeIds.sorted())"
                continue
            }
            do {
                try topics.addPartitions(name: t.name, count: t.count, validateOnly: r.validateOnly)
            } catch {
                result.errorCode = error.code
                result.errorMessage = error.description
            }
        }
        return response
    }

    // MARK: Configs

    func describeConfigs(_ r: DescribeConfigsRequest, version: Int16) -> DescribeConfigsResponse {
        var response = DescribeConfigsResponse()
        for resource in r.resources {
            var result = DescribeConfigsResponse.Result(resourceType: resource.resourceType, resourceName: resource.resourceName)
            defer { response.results.append(result) }
            let wanted = resource.configurationKeys.map(Set.init)
            switch resource.resourceType {
            case ConfigResourceType.topic:
                guard let topic = topics.topic(resource.resourceName) else {
                    result.errorCode = .unknownTopicOrPartition
                    result.errorMessage = "topic '\(resource.resourceName)' does not exist"
                    continue
                }
                for key in TopicConfig.keys where wanted?.contains(key.name) ?? true {
                    let isDefault = topic.config.isDefault(key.name)
                    var entry = DescribeConfigsResponse.Result.Config(
                        name: key.name, value: topic.config.value(of: key.name), readOnly: false,
                        configSource: isDefault ? ConfigSource.defaultConfig : ConfigSource.dynamicTopic, isSensitive: false)
                    if r.includeSynonyms {
                        if !isDefault { entry.synonyms.append(.init(name: key.name, value: topic.config.value(of: key.name), source: ConfigSource.dynamicTopic)) }
                        entry.synonyms.append(.init(name: key.name, value: key.defaultValue, source: ConfigSource.defaultConfig))
                    }
                    result.configs.append(entry)
                }
            case ConfigResourceType.broker:
                guard resource.resourceName.isEmpty || resource.resourceName == String(configuration.nodeId) else {
                    result.errorCode = .invalidRequest
                    result.errorMessage = "unknown broker '\(resource.resourceName)'; this is broker \(configuration.nodeId)"
                    continue
                }
                let entries: [(String, String)] = [
                    ("broker.id", String(configuration.nodeId)),
                    ("auto.create.topics.enable", String(configuration.autoCreateTopics)),
                    ("num.partitions", String(configuration.defaultPartitions)),
                    ("group.initial.rebalance.delay.ms", String(configuration.groupInitialRebalanceDelayMs)),
                    ("socket.request.max.bytes", String(configuration.maxFrameBytes)),
                    ("log.dirs", configuration.dataDirectory),
                ]
                for (name, value) in entries where wanted?.contains(name) ?? true {
                    result.configs.append(.init(name: name, value: value, readOnly: true, configSource: ConfigSource.staticBroker, isSensitive: false))
                }
            default:
                result.errorCode = .invalidRequest
                result.errorMessage = "unsupported resource type \(resource.resourceType)"
            }
        }
        return response
    }

    /// Legacy AlterConfigs: the given set replaces all of the topic's overrides.
    func alterConfigs(_ r: AlterConfigsRequest) -> AlterConfigsResponse {
        var response = AlterConfigsResponse()
        for resource in r.resources {
            var result = AlterConfigsResponse.Result(resourceType: resource.resourceType, resourceName: resource.resourceName)
            defer { response.responses.append(result) }
            do {
                try alterTopicConfig(type: resource.resourceType, name: resource.resourceName, validateOnly: r.validateOnly) { _ throws(TopicError) in
                    var config = TopicConfig()
                    for c in resource.configs {
                        if let problem = TopicConfig.problem(name: c.name, value: c.value) { throw TopicError(.invalidConfig, problem) }
                        config.set(c.name, c.value)
                    }
                    return config
                }
            } catch {
                result.errorCode = error.code
                result.errorMessage = error.description
            }
        }
        return response
    }

    /// IncrementalAlterConfigs: SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) on list-valued keys.
    func incrementalAlterConfigs(_ r: IncrementalAlterConfigsRequest) -> IncrementalAlterConfigsResponse {
        var response = IncrementalAlterConfigsResponse()
        for resource in r.resources {
            var result = IncrementalAlterConfigsResponse.Result(resourceType: resource.resourceType, resourceName: resource.resourceName)
            defer { response.responses.append(result) }
            do {
                try alterTopicConfig(type: resource.resourceType, name: resource.resourceName, validateOnly: r.validateOnly) { current throws(TopicError) in
                    var config = current
                    for c in resource.configs {
                        guard let key = TopicConfig.keysByName[c.name] else {
                            throw TopicError(.invalidConfig, "unknown or unsupported topic config '\(c.name)'")
                        }
                        var newValue: String?
                        switch c.configOperation {
                        case 0: newValue = c.value
                        case 1: newValue = nil
                        case 2, 3:
                            guard key.type == 7 else { throw TopicError(.invalidConfig, "\(c.name) is not a list; APPEND/SUBTRACT do not apply") }
                            var items = (config.value(of: c.name) ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
                            let operand = (c.value ?? "").split(separator: ",").map(String.init)
                            if c.configOperation == 2 {
                                for item in operand where !items.contains(item) { items.append(item) }
                            } else {
                                items.removeAll { operand.contains($0) }
                            }
                            newValue = items.joined(separator: ",")
                        default:
                            throw TopicError(.invalidRequest, "unknown config operation \(c.configOperation) for \(c.name)")
                        }
                        if let problem = TopicConfig.problem(name: c.name, value: newValue) { throw TopicError(.invalidConfig, problem) }
                        config.set(c.name, newValue)
                    }
                    return config
                }
            } catch {
                result.errorCode = error.code
                result.errorMessage = error.description
            }
        }
        return response
    }

    private func alterTopicConfig(type: Int8, name: String, validateOnly: Bool, _ change: (TopicConfig) throws(TopicError) -> TopicConfig) throws(TopicError) {
        switch type {
        case ConfigResourceType.topic:
            guard let topic = topics.topic(name) else { throw TopicError(.unknownTopicOrPartition, "topic '\(name)' does not exist") }
            let config = try change(topic.config)
            if !validateOnly { try topics.setConfig(name: name, config) }
        case ConfigResourceType.broker:
            throw TopicError(.invalidRequest, "broker configs are static in Weir: set them in weir.toml or on the command line")
        default:
            throw TopicError(.invalidRequest, "unsupported resource type \(type)")
        }
    }
}
