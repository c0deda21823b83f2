// swift-tools-version: 6.2
// libFuzzer harnesses for Weir's decoders. Build and run: fuzz/run.sh (see README there).
import PackageDescription

let package = Package(
    name: "weir-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "weir", path: "..")],
    targets: [
        .executableTarget(
            name: "RequestDecoderFuzzer",
            dependencies: [.product(name: "WeirProtocol", package: "weir")],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ),
    ]
)
