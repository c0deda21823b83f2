extension ApiVersionsRequest {
    /// §2 rule 3: both client software fields (v3+) must match `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
    /// Kafka answers INVALID_REQUEST (42) otherwise; accepting anything is also safe.
    public var hasValidClientSoftware: Bool {
        Self.isValidSoftwareField(clientSoftwareName) && Self.isValidSoftwareField(clientSoftwareVersion)
    }

    static func isValidSoftwareField(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
        guard isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2D || $0 == 0x2E }
    }
}
