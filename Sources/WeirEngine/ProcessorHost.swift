import Logging
import Synchronization
import WeirStreams

/// Runs the configured and deployed processors over a `ProcessorLog`: inside the broker (on the primary only)
/// or standalone. Active: reads inputs, writes outputs, snapshots and statuses. Inactive: nothing runs and
/// nothing is written. Activation recovers exactly as after a restart: snapshot + output tails + replay with
/// suppression, so each input gets exactly one answer per output topic.
public actor ProcessorHost {
    public let log: any ProcessorLog
    public let configuration: EngineConfiguration
    let logger: Logger
    private var task: Task<Void, Never>?
    private let progress = EngineProgress()

    public init(log: any ProcessorLog, configuration: EngineConfiguration, logger: Logger) {
        self.log = log
        self.configuration = configuration
        self.logger = logger
    }

    public var isActive: Bool { task != nil }

    /// Starts (true) or stops (false) the host. Starting returns once recovery is over (the host's topics
    /// exist and it is processing) or failed once (it keeps retrying, logging why). Stopping waits until the running round is over: when this
    /// returns, the host writes nothing more.
    public func setActive(_ active: Bool) async {
        if active {
            guard task == nil else { return }
            let log = self.log, configuration = self.configuration, logger = self.logger, progress = self.progress
            logger.info("processor host active", metadata: ["preprocessors": "\(configuration.preprocessors.count)", "models": "\(configuration.models.count)"])
            let recovered = AsyncStream<Void>.makeStream()
            task = Task {
                var failures = 0
                defer { recovered.continuation.finish() }
                while !Task.isCancelled {
                    let run = EngineRun(log: log, configuration: configuration, logger: logger, progress: progress)
                    do {
                        try await run.run { recovered.continuation.finish() }
                    } catch is CancellationError {
                        break
                    } catch {
                        if Task.isCancelled { break }
                        failures += 1
                        recovered.continuation.finish()
                        logger.error("processor host stopped on an error; recovering", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                        try? await Task.sleep(for: .milliseconds(min(5000, 200 * failures)))
                    }
                }
            }
            // Returns once the first recovery is done (or failed: the host keeps retrying).
            for await _ in recovered.stream {}
        } else {
            guard let t = task else { return }
            task = nil
            t.cancel()
            await t.value
            logger.info("processor host inactive")
        }
    }

    /// Input offsets processed so far, per "processor|topic|partition" (for tests and monitoring).
    public func positions() -> [String: Int64] { progress.positions }
}

/// Progress shared with the host actor for observation.
final class EngineProgress: Sendable {
    private let state = Mutex<[String: Int64]>([:])
    var positions: [String: Int64] { state.withLock { $0 } }
    func set(_ key: String, _ offset: Int64) { state.withLock { $0[key] = offset } }
}
