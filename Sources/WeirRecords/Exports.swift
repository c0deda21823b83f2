// Re-export the codec types: users of WeirRecords (storage, broker, CLI producer) choose and inspect
// a batch's `CompressionCodec` without depending on WeirCompression themselves.
@_exported import WeirCompression
