// swift-tools-version: 6.2
// Weir: a Kafka-compatible replicated commit log and in-broker risk engine.
//
// Layering (arrows point down only; LayeringTests enforces the import allow-list):
//   L0 CLZ4, CZlib, CLibXML2 (system libraries), CWeirCRC (hardware CRC-32C)
//   L1 WeirCompression -> CLZ4, CZlib          WeirPMML -> CLibXML2 (knows nothing of the broker)
//   L2 WeirRecords -> WeirCompression, CWeirCRC, NIOCore   (RecordBatch v2, varints, CRC-32C)
//   L3 WeirProtocol -> WeirRecords, NIOCore    (Kafka request/response codec, no I/O)
//      WeirStorage -> WeirRecords, WeirCompression, Logging     (segments, indexes, recovery; no networking)
//   L4 WeirReplication -> WeirStorage, WeirRecords, NIOCore, Logging   (sans-I/O primary/replica core)
//      WeirBroker -> WeirProtocol, WeirStorage, WeirReplication, SwiftNIO, swift-metrics, service-lifecycle
//                    (server, topics, groups, and the replication driver: peer link, host, admin requests)
//      WeirClient -> WeirProtocol, SwiftNIO                  (small Kafka client for the operator CLI and tests)
//   L5 WeirStreams -> WeirRecords, WeirPMML, NIOCore, Logging, Yams   (risk engine core: processors, feature DSL)
//   L6 WeirEngine -> WeirBroker, WeirClient, WeirStreams, WeirRecords, WeirProtocol, NIOCore, Logging, Yams
//      (processor host: in the broker through Broker.appendInternal/readCommitted, or standalone through
//       WeirClient; no sockets of its own)
//   L7 weir (executable)
import PackageDescription

/// Settings for Weir's own targets: Swift 6 mode (strict concurrency) and warnings as errors.
let weirSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "weir",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weir", targets: ["weir"]),
        .library(name: "WeirRecords", targets: ["WeirRecords"]),
        .library(name: "WeirCompression", targets: ["WeirCompression"]),
        .library(name: "WeirProtocol", targets: ["WeirProtocol"]),
        .library(name: "WeirStorage", targets: ["WeirStorage"]),
        .library(name: "WeirPMML", targets: ["WeirPMML"]),
        .library(name: "WeirBroker", targets: ["WeirBroker"]),
        .library(name: "WeirClient", targets: ["WeirClient"]),
        .library(name: "WeirTestSupport", targets: ["WeirTestSupport"]),
        .library(name: "WeirReplication", targets: ["WeirReplication"]),
        .library(name: "WeirStreams", targets: ["WeirStreams"]),
        .library(name: "WeirEngine", targets: ["WeirEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // L0: system libraries (Debian: liblz4-dev, zlib1g-dev, libxml2-dev) and our C shim.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "CWeirCRC", cSettings: [.unsafeFlags(["-O3"])]),

        // L1
        .target(name: "WeirCompression", dependencies: ["CLZ4", "CZlib"], swiftSettings: weirSettings),
        .target(name: "WeirPMML", dependencies: ["CLibXML2"], swiftSettings: weirSettings),

        // L2
        .target(
            name: "WeirRecords",
            dependencies: ["WeirCompression", "CWeirCRC", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: weirSettings
        ),

        // L3
        .target(
            name: "WeirProtocol",
            dependencies: ["WeirRecords", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: weirSettings
        ),
        .target(
            name: "WeirStorage",
            dependencies: [
                "WeirRecords", "WeirCompression",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: weirSettings
        ),

        // L4: the sans-I/O replication core (no networking; the broker drives it)
        .target(
            name: "WeirReplication",
            dependencies: [
                "WeirStorage", "WeirRecords",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: weirSettings
        ),
        .target(
            name: "WeirBroker",
            dependencies: [
                "WeirProtocol", "WeirStorage", "WeirRecords", "WeirReplication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: weirSettings
        ),
        .target(
            name: "WeirClient",
            dependencies: [
                "WeirProtocol", "WeirRecords",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: weirSettings
        ),

        // Executable
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirPMML", "WeirStorage", "WeirRecords", "WeirProtocol", "WeirBroker", "WeirClient", "WeirStreams", "WeirEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: weirSettings
        ),

        // L5: the risk engine core (processors, feature DSL, scoring, deployments); no broker, no networking.
        .target(
            name: "WeirStreams",
            dependencies: [
                "WeirRecords", "WeirPMML",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: weirSettings
        ),

        // L6: the processor host (in-broker or standalone against any Kafka cluster).
        .target(
            name: "WeirEngine",
            dependencies: [
                "WeirBroker", "WeirClient", "WeirStreams", "WeirRecords", "WeirProtocol", "WeirPMML",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: weirSettings
        ),

        // Test support: shared by Tests/ and benchmarks/ only.
        .target(
            name: "WeirTestSupport",
            dependencies: ["WeirRecords", "WeirStorage", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: weirSettings
        ),

        .testTarget(name: "WeirCompressionTests", dependencies: ["WeirCompression"], swiftSettings: weirSettings),
        .testTarget(name: "WeirRecordsTests", dependencies: ["WeirRecords", "WeirTestSupport"], swiftSettings: weirSettings),
        .testTarget(name: "WeirProtocolTests", dependencies: ["WeirProtocol", "WeirTestSupport"], swiftSettings: weirSettings),
        .testTarget(name: "WeirStorageTests", dependencies: ["WeirStorage", "WeirTestSupport"], swiftSettings: weirSettings),
        .testTarget(
            name: "WeirBrokerTests",
            dependencies: ["WeirBroker", "WeirClient", "WeirTestSupport", "WeirReplication", "WeirStorage", .product(name: "NIOPosix", package: "swift-nio")],
            exclude: ["Fixtures"],  // read by path (#filePath), not bundled
            swiftSettings: weirSettings
        ),
        .testTarget(
            name: "WeirReplicationTests",
            dependencies: [
                "WeirReplication", "WeirStorage", "WeirRecords", "WeirTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: weirSettings
        ),
        .testTarget(name: "WeirPMMLTests", dependencies: ["WeirPMML"], swiftSettings: weirSettings),
        .testTarget(name: "WeirStreamsTests", dependencies: ["WeirStreams", "WeirPMML", "WeirRecords"], swiftSettings: weirSettings),
        .testTarget(
            name: "WeirEngineTests",
            dependencies: [
                "WeirEngine", "WeirBroker", "WeirClient", "WeirStreams", "WeirRecords",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: weirSettings
        ),
        .testTarget(name: "LayeringTests", swiftSettings: weirSettings),
    ]
)
