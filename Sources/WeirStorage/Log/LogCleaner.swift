#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Runs retention and compaction in the background for a set of partition logs, on its own thread,
/// so appends never wait for it (compaction takes the partition lock only to swap a cleaned segment).
///
/// Every `intervalMs` it applies retention to every registered log and compacts those with
/// `cleanup.policy=compact`. `stop()` ends the thread after the current pass.
public final class LogCleaner: @unchecked Sendable {  // safe: mutable state guarded by `monitor`
    private let monitor = Monitor()
    private var logs: [ObjectIdentifier: PartitionLog] = [:]
    private var stopping = false
    private var running = false
    private let intervalMs: Int64
    private let logger: Logger
    /// Completed passes (for tests and metrics).
    public private(set) var passes = 0

    public init(intervalMs: Int64 = 30_000, logger: Logger = Logger(label: "weir.storage.cleaner")) {
        self.intervalMs = intervalMs
        self.logger = logger
    }

    public func register(_ log: PartitionLog) { monitor.withLock { logs[ObjectIdentifier(log)] = log } }
    public func unregister(_ log: PartitionLog) { monitor.withLock { _ = logs.removeValue(forKey: ObjectIdentifier(log)) } }

    /// Starts the cleaner thread (once).
    public func start() {
        let shouldStart = monitor.withLock { () -> Bool in
            guard !running else { return false }
            running = true
            stopping = false
            return true
        }
        guard shouldStart else { return }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { raw in
            let cleaner = Unmanaged<LogCleaner>.fromOpaque(raw!).takeRetainedValue()
            cleaner.loop()
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
    }

    /// Asks the thread to stop and waits until it has.
    public func stop() {
        monitor.lock()
        stopping = true
        monitor.broadcast()
        while running { monitor.wait() }
        monitor.unlock()
    }

    /// One pass over every registered log; callable directly (tests, admin commands).
    public func runOnce() {
        let snapshot = monitor.withLock { Array(logs.values) }
        for log in snapshot where !log.isOffline {
            do throws(StorageError) {
                try log.applyRetention()
                if log.config.compacted { try log.compact() }
            } catch {
                logger.warning("cleaner pass failed", metadata: ["directory": "\(log.directory)", "error": "\(error)"])
            }
        }
        monitor.withLock { passes += 1 }
    }

    private func loop() {
        while true {
            runOnce()
            monitor.lock()
            var waited: Int64 = 0
            while !stopping && waited < intervalMs {  // bounded wait in 10 ms steps, woken early by stop()
                monitor.unlock()
                usleep(10_000)
                waited += 10
                monitor.lock()
            }
            if stopping {
                running = false
                monitor.broadcast()
                monitor.unlock()
                return
            }
            monitor.unlock()
        }
    }
}
