// swift-tools-version: 6.2
// Weir's benchmarks: a separate package so benchmark-only code stays out of the main build and CI.
// Run: swift run -c release --package-path benchmarks weir-bench <storage|...>
import PackageDescription

let package = Package(
    name: "weir-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "weir", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "weir-bench",
            dependencies: [
                .product(name: "WeirStorage", package: "weir"),
                .product(name: "WeirPMML", package: "weir"),
                .product(name: "WeirRecords", package: "weir"),
                .product(name: "WeirTestSupport", package: "weir"),
                .product(name: "WeirStreams", package: "weir"),
                .product(name: "WeirEngine", package: "weir"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)
