import Foundation
import Testing

/// Keeps the layering from eroding: every `import` in Sources/<Target> must be on that target's
/// allow-list. Storage has no networking, the codec no I/O, PMML knows nothing of the broker.
@Suite struct LayeringTests {
    static let system: Set<String> = ["Foundation", "Glibc", "Darwin", "Synchronization", "Dispatch"]

    static let allowed: [String: Set<String>] = [
        "CWeirCRC": [],
        "WeirCompression": ["CLZ4", "CZlib"],
        "WeirPMML": ["CLibXML2"],
        "WeirRecords": ["WeirCompression", "CWeirCRC", "NIOCore"],
        "WeirProtocol": ["WeirRecords", "NIOCore"],
        "WeirStorage": ["WeirRecords", "WeirCompression", "NIOCore", "Logging"],
        "WeirTestSupport": ["WeirRecords", "WeirStorage", "NIOCore"],
        "WeirReplication": ["WeirStorage", "WeirRecords", "NIOCore", "Logging"],
        "WeirBroker": ["WeirProtocol", "WeirStorage", "WeirRecords", "WeirReplication", "NIOCore", "NIOPosix", "NIOHTTP1", "Logging", "Metrics", "CoreMetrics", "Prometheus", "ServiceLifecycle"],
        "WeirStreams": ["WeirRecords", "WeirPMML", "NIOCore", "Logging", "Yams"],
        "WeirEngine": ["WeirBroker", "WeirClient", "WeirStreams", "WeirRecords", "WeirProtocol", "WeirPMML", "NIOCore", "Logging", "Yams"],
        "WeirClient": ["WeirProtocol", "WeirRecords", "NIOCore", "NIOPosix"],
        "weir": ["WeirPMML", "WeirStorage", "WeirRecords", "WeirProtocol", "WeirBroker", "WeirClient", "WeirReplication", "WeirStreams", "WeirEngine", "Yams", "ArgumentParser", "NIOCore", "NIOPosix", "Logging", "ServiceLifecycle", "UnixSignals", "TOMLKit"],
    ]

    /// Libraries that must never appear below the broker, whatever the allow-list says.
    static let networking: Set<String> = ["NIOPosix", "NIOExtras", "ServiceLifecycle", "NIO"]

    static var sourcesURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    static func imports(in file: URL) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line in
            let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
            // `import X`, `@testable import X`, `package import X`, `internal import X`, `import struct X.Y`
            guard let i = words.firstIndex(of: "import"), i + 1 < words.count else { return nil }
            guard words[..<i].allSatisfy({ $0.hasPrefix("@") || ["public", "package", "internal", "private", "fileprivate"].contains(String($0)) }) else { return nil }
            var target = words[i + 1]
            if ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(String(target)), i + 2 < words.count {
                target = words[i + 2]
            }
            return String(target.split(separator: ".").first ?? target)
        }
    }

    @Test func everyImportIsAllowed() throws {
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.sourcesURL.path)
        var checked = 0
        for target in targets where !target.hasPrefix(".") {
            let dir = Self.sourcesURL.appendingPathComponent(target)
            guard let enumerator = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            let swiftFiles = enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            guard !swiftFiles.isEmpty else { continue }
            let allowed = try #require(Self.allowed[target], "target \(target) has no entry in the layering allow-list")
            for file in swiftFiles {
                for module in try Self.imports(in: file) where !Self.system.contains(module) {
                    #expect(allowed.contains(module), "\(target)/\(file.lastPathComponent) imports \(module)")
                    if !["weir", "WeirBroker", "WeirClient"].contains(target) {
                        #expect(!Self.networking.contains(module), "\(target) must not import networking module \(module)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 10)
    }

    @Test func parserSeesTheImportForms() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("layering-\(UUID().uuidString).swift")
        try "import NIOPosix\n@testable import WeirStorage\npackage import struct NIOCore.ByteBuffer\n// import Hidden\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try Self.imports(in: file) == ["NIOPosix", "WeirStorage", "NIOCore"])
    }
}
