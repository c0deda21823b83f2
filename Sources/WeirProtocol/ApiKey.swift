import NIOCore

/// A Kafka API key. Open: unknown keys are representable (`ApiKey(rawValue: 99)`); known ones are static lets.
public struct ApiKey: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public var description: String { name }

    /// Whether `version` of this API uses the flexible (compact + tagged) encoding.
    public func isFlexible(version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }

    /// Request header version: 2 for flexible versions, 1 otherwise.
    public func requestHeaderVersion(version: Int16) -> Int16 { isFlexible(version: version) ? 2 : 1 }

    /// Response header version: 1 for flexible versions, 0 otherwise; ApiVersions always uses 0.
    public func responseHeaderVersion(version: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        return isFlexible(version: version) ? 1 : 0
    }
}

/// The version set Weir advertises (docs/kafka-wire-protocol.md §3.2), in one place.
public enum KafkaVersions {
    /// Advertised ranges, in API key order. Exactly the recommended set; Produce starts at 0 so librdkafka < 2.10
    /// keeps compressing, although only 3-7 are decodable (v0-2 throw `.unsupportedVersion`).
    public static let advertised: [(apiKey: ApiKey, min: Int16, max: Int16)] = [
        (.produce, 0, 7),
        (.fetch, 4, 11),
        (.listOffsets, 1, 5),
        (.metadata, 0, 8),
        (.offsetCommit, 2, 7),
        (.offsetFetch, 1, 5),
        (.findCoordinator, 0, 2),
        (.joinGroup, 0, 5),
        (.heartbeat, 0, 3),
        (.leaveGroup, 0, 2),
        (.syncGroup, 0, 3),
        (.describeGroups, 0, 4),
        (.listGroups, 0, 2),
        (.apiVersions, 0, 3),
        (.createTopics, 2, 4),
        (.deleteTopics, 1, 3),
        (.deleteRecords, 0, 1),
        (.initProducerId, 0, 1),
        (.describeConfigs, 1, 2),
        (.alterConfigs, 0, 1),
        (.createPartitions, 0, 1),
        (.deleteGroups, 0, 1),
        (.incrementalAlterConfigs, 0, 0),
    ]

    /// The advertised range of `apiKey`, or nil if not advertised.
    public static func advertisedRange(of apiKey: ApiKey) -> ClosedRange<Int16>? {
        advertised.first { $0.apiKey == apiKey }.map { $0.min...$0.max }
    }

    /// The ApiVersions response entries for the advertised set.
    public static var apiVersionsEntries: [ApiVersionsResponse.ApiVersion] {
        advertised.map { .init(apiKey: $0.apiKey.rawValue, minVersion: $0.min, maxVersion: $0.max) }
    }
}
