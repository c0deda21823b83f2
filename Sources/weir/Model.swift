import ArgumentParser
import Foundation
import WeirClient
import WeirEngine
import WeirStreams

/// `weir model deploy|list|rollback`: model versions through the control topic of a broker running processors.
struct Model: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy, list and roll back risk models (PMML + feature definition) on a running broker.",
        discussion: """
            A deployment is a record on the control topic (__weir_control). The broker's processor host compiles \
            and checks it off the hot path, then swaps it in at an exact input offset, or rejects it with the \
            reasons; its answer is on __weir_status. Needs `weir serve --processors FILE`.
            """,
        subcommands: [Deploy.self, List.self, VersionRollback.self])

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deploy a model version and wait for the broker's answer.")
        @OptionGroup var options: BrokerOptions
        @Option(name: .long, help: "Model name (decisions name it).") var name: String
        @Option(name: .long, help: "PMML file.") var pmml: String
        @Option(name: .long, help: "Feature definition (YAML).") var features: String
        @Option(name: .long, help: "Version (default: one more than the highest numeric version deployed).") var version: String?
        @Option(name: .customLong("activate-at"), help: "Input offset the version decides first (default: the next one).") var activateAt: Int64?
        @Option(name: .long, help: "File of sample events (one JSON object a line) that must score.") var samples: String?
        @Option(name: .customLong("timeout-ms"), help: "How long to wait for the answer.") var timeoutMs = 60_000

        func run() async throws {
            guard let pmmlBytes = FileManager.default.contents(atPath: pmml) else { throw ValidationError("--pmml: cannot read \(pmml)") }
            guard let featureText = try? String(contentsOfFile: features, encoding: .utf8) else { throw ValidationError("--features: cannot read \(features)") }
            var sampleEvents: [[UInt8]] = []
            if let samples {
                guard let text = try? String(contentsOfFile: samples, encoding: .utf8) else { throw ValidationError("--samples: cannot read \(samples)") }
                sampleEvents = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { Array($0.utf8) }
            }
            let status: DeploymentStatus = try await options.withClient { client in
                let control = ModelControl(client: client)
                let v: String
                if let version { v = version } else { v = try await control.nextVersion(of: name) }
                let request = DeploymentRequest(model: name, version: v, pmml: Array(pmmlBytes), features: featureText,
                                                activation: activateAt.map { .offset($0) } ?? .next, samples: sampleEvents)
                return try await control.deploy(request, timeoutMs: timeoutMs)
            }
            print(status.summary)
            if status.outcome == .rejected { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deployed versions (models and preprocessors) and their status.")
        @OptionGroup var options: BrokerOptions

        func run() async throws {
            let statuses = try await options.withClient { try await ModelControl(client: $0).statuses() }
            if statuses.isEmpty {
                print("no deployment on the control topic (models of the processors file are not listed)")
                return
            }
            var current: [String: Int64] = [:]
            for s in statuses where s.outcome == .accepted { current[s.model] = s.controlOffset }
            print(pad("MODEL", 12) + pad("VERSION", 10) + pad("STATUS", 10) + pad("CONTROL", 9) + "DETAIL")
            for s in statuses {
                let detail = s.outcome == .accepted
                    ? "from " + s.activations.map { "\($0.topic)/\($0.partition)@\($0.offset)" }.joined(separator: ", ")
                        + (current[s.model] == s.controlOffset ? "  (current)" : "")
                    : (s.error ?? "").split(separator: "\n").joined(separator: "; ")
                print(pad(s.model, 12) + pad(s.version, 10) + pad(s.outcome.rawValue, 10) + pad(String(s.controlOffset), 9) + detail)
            }
        }

        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    }

}

/// `weir preprocessor deploy|rollback`: preprocessor versions through the control topic (listed by `weir model list`).
struct Preprocessor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy and roll back preprocessors (input topics → business events) on a running broker.",
        discussion: """
            Like models, a preprocessor version is a record on the control topic (__weir_control), checked off the \
            hot path and answered on __weir_status. A new name starts at the end of its source topics. A new \
            version of a running preprocessor takes over at the next input of each source partition it shares \
            with the running version (open aggregation sessions carry over when the session field is the same, \
            else they go to the dead-letter topic), and at the end of each source topic it adds. \
            `weir model list` lists preprocessor versions too.
            """,
        subcommands: [Deploy.self, VersionRollback.self])

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deploy a preprocessor version and wait for the broker's answer.")
        @OptionGroup var options: BrokerOptions
        @Option(name: .long, help: "Preprocessor name (a configured one gets a new version).") var name: String
        @Option(name: .long, help: "Preprocessor definition (YAML).") var definition: String
        @Option(name: .long, help: "Version (default: one more than the highest numeric version deployed).") var version: String?
        @Option(name: .customLong("activate-at"), help: "Input offset the version processes first, on every source partition (default: the next one).") var activateAt: Int64?
        @Option(name: .customLong("timeout-ms"), help: "How long to wait for the answer.") var timeoutMs = 60_000

        func run() async throws {
            guard let text = try? String(contentsOfFile: definition, encoding: .utf8) else { throw ValidationError("--definition: cannot read \(definition)") }
            // Checked here first, so a mistake names the user's file and line.
            do { _ = try PreprocessorDefinition.parse(yaml: text, file: definition) } catch { throw ValidationError("\(error)") }
            let status: DeploymentStatus = try await options.withClient { client in
                let control = ModelControl(client: client)
                let v: String
                if let version { v = version } else { v = try await control.nextVersion(of: name) }
                return try await control.deploy(PreprocessorRequest(name: name, version: v, definition: text, activation: activateAt.map { .offset($0) } ?? .next),
                                                timeoutMs: timeoutMs)
            }
            print(status.summary)
            if status.outcome == .rejected { throw ExitCode(1) }
        }
    }

}

/// `weir model rollback` and `weir preprocessor rollback`: the control record is the same for both.
struct VersionRollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Re-activate the previous (or a given) version of a model or preprocessor at the next input.")
    @OptionGroup var options: BrokerOptions
    @Argument(help: "Model or preprocessor name.") var name: String
    @Option(name: .long, help: "Version to re-activate (default: the one before the current).") var version: String?
    @Option(name: .customLong("timeout-ms"), help: "How long to wait for the answer.") var timeoutMs = 60_000

    func run() async throws {
        let status = try await options.withClient { try await ModelControl(client: $0).rollback(model: name, to: version, timeoutMs: timeoutMs) }
        print(status.summary)
        if status.outcome == .rejected { throw ExitCode(1) }
    }
}
