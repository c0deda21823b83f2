import ArgumentParser
import Dispatch
import Foundation
import Glibc
import NIOCore
import Synchronization
import WeirBroker
import WeirClient
import WeirProtocol
import WeirRecords

/// `weir drill`: a failover drill, end to end. Produces with acks=all through WeirClient while the primary is
/// killed (SIGKILL) or frozen (SIGSTOP), promotes the replica at once, keeps producing, brings the old primary
/// back as replica, waits for catch-up, and reads both nodes' logs to check that every acknowledged record is
/// there exactly once, at its acknowledged offset, on both.
struct Drill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a failover drill: produce with acks=all, kill or freeze the primary, promote, rejoin, verify.",
        discussion: """
            With no --primary/--replica the drill starts its own pair: two `weir serve` child processes of this \
            binary on 127.0.0.1 (free ports picked at run time, data in a temporary directory, metrics off), \
            removed at the end (kept with --keep-data or on a failure). Each cycle fails the current primary \
            over to the other node, so cycles fail back and forth.

            Faults: kill (SIGKILL the primary, promote the replica, restart the old primary with the same flags: \
            it must step down and catch up), freeze (SIGSTOP the primary, promote the replica once the primary \
            has been silent for a second, SIGCONT: it must step down by itself), promote-only (a forced \
            switchover of a healthy pair), none (produce and verify only).

            On a pair given by address (--primary and --replica) the drill cannot kill or restart processes it \
            did not start: only --fault none and --fault promote-only are accepted there.

            Prints acknowledged, lost (must be 0), duplicated, RTO (fault to the first acknowledged write on the \
            new primary) and catch-up time (rejoin to the primary being synchronous again) per cycle and in \
            total; exits non-zero on any loss, duplicate or difference between the two logs.
            """)

    @Option(name: .long, help: "kill, freeze, promote-only or none.") var fault = "kill"
    @Option(name: .long, help: "Failovers to run (each fails over to the other node).") var cycles = 1
    @Option(name: .long, help: "An existing pair's primary, HOST:PORT (with --replica; faults none and promote-only only).") var primary: String?
    @Option(name: .long, help: "An existing pair's replica, HOST:PORT.") var replica: String?
    @Option(name: .long, help: "Topic to produce to (default: a new drill-<random> topic).") var topic: String?
    @Option(name: .long, help: "Partitions of the drill topic; one producer task per partition.") var partitions: Int32 = 2
    @Option(name: .customLong("batch-size"), help: "Records per produce request.") var batchSize = 5
    @Option(name: .customLong("record-bytes"), help: "Value size of each record.") var recordBytes = 100
    @Option(name: .customLong("before-fault-ms"), help: "Produce about this long (randomly 0.5-1.5x) before the fault.") var beforeFaultMs: Int64 = 1000
    @Option(name: .customLong("after-promote-ms"), help: "Produce this long on the new primary before the old one comes back.") var afterPromoteMs: Int64 = 500
    @Option(name: .customLong("request-timeout-ms"), help: "Client wait for one produce (half broker-side, half client-side).") var requestTimeoutMs: Int64 = 2000
    @Option(name: .customLong("timeout-ms"), help: "Bound on every wait of the drill (start, promotion, catch-up, verification).") var timeoutMs: Int64 = 60_000
    @Option(name: .long, help: "Seed of the random fault times (default: random).") var seed: UInt64?
    @Option(name: .customLong("data-dir"), help: "Where the local pair keeps its data (default: a new temporary directory).") var dataDir: String?
    @Flag(name: .customLong("keep-data"), help: "Keep the local pair's data and logs.") var keepData = false
    @Flag(name: .long, help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard ["kill", "freeze", "promote-only", "none"].contains(fault) else {
            throw ValidationError("--fault must be kill, freeze, promote-only or none (got '\(fault)')")
        }
        guard (primary == nil) == (replica == nil) else { throw ValidationError("--primary and --replica go together") }
        if primary != nil, fault == "kill" || fault == "freeze" {
            throw ValidationError("--fault \(fault) needs a pair the drill starts itself (it kills and restarts the processes); on a given pair use --fault none or promote-only")
        }
        for address in [primary, replica].compactMap({ $0 }) { _ = try HostPort(parsing: address, option: "--primary/--replica") }
        guard (1...1000).contains(cycles) else { throw ValidationError("--cycles must be between 1 and 1000") }
        guard (1...64).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 64") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        guard (40...1_000_000).contains(recordBytes) else { throw ValidationError("--record-bytes must be between 40 and 1000000") }
        guard beforeFaultMs >= 0, afterPromoteMs >= 0 else { throw ValidationError("--before-fault-ms and --after-promote-ms must not be negative") }
        guard requestTimeoutMs >= 200 else { throw ValidationError("--request-timeout-ms must be at least 200") }
        guard timeoutMs >= 1_000 else { throw ValidationError("--timeout-ms must be at least 1000") }
        if dataDir != nil, primary != nil { throw ValidationError("--data-dir is for the pair the drill starts itself") }
    }

    func run() async throws {
        let guardSignals = DrillSignals.install()
        defer { guardSignals.uninstall() }
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var runner = DrillRunner(options: self, seed: seed)
        let report = await runner.run()
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.printText()
        }
        if !report.passed { throw ExitCode(1) }
    }
}

/// `weir drill-node ARGS…`: what the drill starts for each node of its local pair. Asks the kernel to SIGKILL
/// this process when the drill dies (even by SIGKILL), then becomes `weir serve ARGS…` (same PID).
struct DrillNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill-node", abstract: "Internal: a node of `weir drill`'s local pair.", shouldDisplay: false)

    @Option(name: .long, help: "The drill's PID (the node exits at once if it is already gone).") var parent: Int32
    @Argument(parsing: .captureForPassthrough, help: "Arguments for `weir serve`.") var serveArguments: [String] = []

    func run() throws {
        // prctl is variadic in C, which Swift cannot call directly: look it up and call it with its integer
        // arguments (PR_SET_PDEATHSIG = 1). The setting survives execve.
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") {
            typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
            _ = unsafeBitCast(symbol, to: Prctl.self)(1, UInt(SIGKILL), 0, 0, 0)
        }
        guard getppid() == parent else { throw ExitCode(1) }
        let executable = DrillChildren.selfExecutable
        let passed = serveArguments.first == "--" ? Array(serveArguments.dropFirst()) : serveArguments
        let argv = ([executable, "serve"] + passed).map { strdup($0) } + [nil]
        execv(executable, argv)
        throw ValidationError("cannot exec \(executable): \(String(cString: strerror(errno)))")
    }
}

// MARK: - Report

struct DrillCycleReport: Encodable {
    var cycle: Int
    var fault: String
    var failedNode: String
    var newPrimary: String
    var epoch: Int32?
    var acknowledged: Int
    var promoteAttempts: Int
    var rtoMs: Int64?
    var catchUpMs: Int64?
    var lost: Int
    var duplicated: Int
    var mismatched: Int
    var truncatedRecords: Int64?
}

struct DrillReport: Encodable {
    var fault: String
    var cycles: Int
    var seed: UInt64
    var topic: String
    var pair: [String]
    var dataDirectory: String?
    var acknowledged = 0
    var failedAttempts = 0
    var unacknowledgedPresent = 0
    var lost = 0
    var duplicated = 0
    var mismatched = 0
    var rtoMsP50: Int64?
    var rtoMsMax: Int64?
    var catchUpMsP50: Int64?
    var catchUpMsMax: Int64?
    var auditDiscardedAcknowledged = 0
    /// Connections lost while reading the logs back (each read resumed where it stopped).
    var verificationReconnects = 0
    var cycleReports: [DrillCycleReport] = []
    var error: String?
    var passed: Bool { error == nil && lost == 0 && duplicated == 0 && mismatched == 0 && auditDiscardedAcknowledged == 0 && cycleReports.count == cycles }

    enum CodingKeys: String, CodingKey {
        case fault, cycles, seed, topic, pair, dataDirectory, acknowledged, failedAttempts, unacknowledgedPresent, lost, duplicated,
             mismatched, rtoMsP50, rtoMsMax, catchUpMsP50, catchUpMsMax, auditDiscardedAcknowledged, verificationReconnects, cycleReports, error,
             passed
    }

    init(fault: String, cycles: Int, seed: UInt64, topic: String, pair: [String]) {
        self.fault = fault
        self.cycles = cycles
        self.seed = seed
        self.topic = topic
        self.pair = pair
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fault, forKey: .fault)
        try c.encode(cycles, forKey: .cycles)
        try c.encode(seed, forKey: .seed)
        try c.encode(topic, forKey: .topic)
        try c.encode(pair, forKey: .pair)
        try c.encode(dataDirectory, forKey: .dataDirectory)
        try c.encode(acknowledged, forKey: .acknowledged)
        try c.encode(failedAttempts, forKey: .failedAttempts)
        try c.encode(unacknowledgedPresent, forKey: .unacknowledgedPresent)
        try c.encode(lost, forKey: .lost)
        try c.encode(duplicated, forKey: .duplicated)
        try c.encode(mismatched, forKey: .mismatched)
        try c.encode(rtoMsP50, forKey: .rtoMsP50)
        try c.encode(rtoMsMax, forKey: .rtoMsMax)
        try c.encode(catchUpMsP50, forKey: .catchUpMsP50)
        try c.encode(catchUpMsMax, forKey: .catchUpMsMax)
        try c.encode(auditDiscardedAcknowledged, forKey: .auditDiscardedAcknowledged)
        try c.encode(verificationReconnects, forKey: .verificationReconnects)
        try c.encode(cycleReports, forKey: .cycleReports)
        try c.encode(error, forKey: .error)
        try c.encode(passed, forKey: .passed)
    }

    mutating func summarize() {
        func p50(_ xs: [Int64]) -> Int64? { xs.isEmpty ? nil : xs.sorted()[(xs.count - 1) / 2] }
        let rtos = cycleReports.compactMap(\.rtoMs)
        let catchUps = cycleReports.compactMap(\.catchUpMs)
        rtoMsP50 = p50(rtos)
        rtoMsMax = rtos.max()
        catchUpMsP50 = p50(catchUps)
        catchUpMsMax = catchUps.max()
    }

    func printText() {
        print("drill: fault \(fault), \(cycleReports.count)/\(cycles) cycle\(cycles == 1 ? "" : "s"), topic \(topic), pair \(pair.joined(separator: " + ")), seed \(seed)")
        if !cycleReports.isEmpty {
            let rows: [[String]] = cycleReports.map { c -> [String] in
                let epoch: String = c.epoch.map { String($0) } ?? "-"
                let rto: String = c.rtoMs.map { String($0) } ?? "-"
                let catchUp: String = c.catchUpMs.map { String($0) } ?? "-"
                let truncated: String = c.truncatedRecords.map { String($0) } ?? "-"
                var row: [String] = ["\(c.cycle)", c.failedNode, c.newPrimary, epoch, "\(c.acknowledged)", rto, catchUp, truncated]
                row += ["\(c.lost)", "\(c.duplicated)", "\(c.mismatched)"]
                return row
            }
            printTable(["CYCLE", "FAILED", "NEW-PRIMARY", "EPOCH", "ACKED", "RTO-MS", "CATCH-UP-MS", "TRUNCATED", "LOST", "DUPLICATED", "MISMATCHED"], rows)
        }
        print("acknowledged: \(acknowledged) (failed or unanswered attempts: \(failedAttempts); unacknowledged records present: \(unacknowledgedPresent))")
        print("lost: \(lost)")
        print("duplicated: \(duplicated)")
        print("mismatched: \(mismatched)")
        if let rtoMsP50, let rtoMsMax { print("RTO: p50 \(rtoMsP50) ms, max \(rtoMsMax) ms") }
        if let catchUpMsP50, let catchUpMsMax { print("catch-up: p50 \(catchUpMsP50) ms, max \(catchUpMsMax) ms") }
        if verificationReconnects > 0 { print("verification: \(verificationReconnects) connection(s) lost while reading the logs back, resumed") }
        if auditDiscardedAcknowledged > 0 { print("audit: \(auditDiscardedAcknowledged) discardedAcknowledged event(s)") }
        if let dataDirectory { print("data and node logs: \(dataDirectory)") }
        if let error { print("error: \(error)") }
        print(passed ? "PASSED" : "FAILED")
    }
}

struct DrillError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Child processes

/// The processes the drill started, so that every exit path (errors, timeouts, SIGINT/SIGTERM) kills them,
/// by PID. `drill-node` also makes the kernel kill them should the drill itself be killed.
enum DrillChildren {
    private static let running = Mutex<[pid_t: String]>([:])

    static let selfExecutable: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Starts `executable arguments…` with stdin from /dev/null and stdout+stderr appended to `logPath`, in a
    /// process group of its own (a terminal's Ctrl-C reaches only the drill, which then kills it).
    static func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let env = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in env { free(p) } }
        // Spawned from one thread that lives as long as the drill: the kernel's parent-death signal (set by
        // `drill-node`) fires when the *thread* that created the child exits, and the concurrency pool's
        // threads come and go (a node restarted from a pool thread was once SIGKILLed seconds later).
        let rc = DrillSpawner.shared.run { () -> (Int32, pid_t) in
            var pid: pid_t = 0
            // Registered under the lock so that a signal handler running meanwhile cannot miss it.
            return running.withLock { running in
                let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
                if rc == 0 { running[pid] = logPath }
                return (rc, pid)
            }
        }
        guard rc.0 == 0 else { throw DrillError("cannot start \(executable): \(String(cString: strerror(rc.0)))") }
        return rc.1
    }

    /// Sends `signal` to `pid` if it is still one of ours (never to a PID already reaped and maybe reused).
    static func signal(_ pid: pid_t, _ number: Int32) {
        running.withLock { running in
            if running[pid] != nil { _ = kill(pid, number) }
        }
    }

    /// Whether `pid` has exited (reaping it if so).
    static func hasExited(_ pid: pid_t) -> Bool {
        running.withLock { running in
            guard running[pid] != nil else { return true }
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || r < 0 {
                running[pid] = nil
                return true
            }
            return false
        }
    }

    /// SIGKILL and reap (a stopped process dies of SIGKILL too).
    static func kill9(_ pid: pid_t) {
        running.withLock { running in
            guard running[pid] != nil else { return }
            _ = kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            running[pid] = nil
        }
    }

    static func killAll() {
        let pids = running.withLock { Array($0.keys) }
        for pid in pids { kill9(pid) }
    }
}

/// Runs jobs on one thread of its own that never exits (see `DrillChildren.spawn`).
final class DrillSpawner: @unchecked Sendable {
    static let shared = DrillSpawner()
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [self] in self.serve() }
        thread.name = "weir-drill-spawner"
        thread.start()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on the spawner thread and waits for its result.
    func run<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        var result: T?
        condition.lock()
        jobs.append {
            result = body()
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result!
    }
}

/// SIGINT/SIGTERM during a drill: kill the children (by PID), then exit.
final class DrillSignals {
    private let sources: [any DispatchSourceSignal]
    private init(sources: [any DispatchSourceSignal]) { self.sources = sources }

    static func install() -> DrillSignals {
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                DrillChildren.killAll()
                printError("drill interrupted: its nodes were stopped")
                exit(130)
            }
            source.resume()
            return source
        }
        return DrillSignals(sources: sources)
    }

    func uninstall() {
        for source in sources { source.cancel() }
        Glibc.signal(SIGINT, SIG_DFL)
        Glibc.signal(SIGTERM, SIG_DFL)
    }
}

/// One node of the pair: its address and, for the local pair, how to (re)start it.
struct DrillNodeRef {
    var name: String
    var address: String
    /// Local pair only.
    var serveArguments: [String]?
    var dataDirectory: String?
    var logPath: String?
    var pid: pid_t?
}

// MARK: - Producing

func drillMs() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

/// What the producer tasks record: every acknowledged (partition, offset, id), attempts that failed, and the
/// first acknowledgement of a request sent after the fault (for the RTO).
final class DrillLedger: Sendable {
    struct State {
        var acked: [Int32: [Int64: String]] = [:]
        var ackedCount = 0
        var cycleAcked = 0
        var failed = 0
        var lastFailure: String?
        var faultAt: Int64?
        var firstAckAfterFault: Int64?
    }

    let state = Mutex(State())
    let stop = Atomic<Bool>(false)

    func acknowledged(partition: Int32, baseOffset: Int64, ids: [String], sentAt: Int64) {
        let now = drillMs()
        state.withLock { s in
            for (i, id) in ids.enumerated() { s.acked[partition, default: [:]][baseOffset + Int64(i)] = id }
            s.ackedCount += ids.count
            s.cycleAcked += ids.count
            if let fault = s.faultAt, sentAt >= fault, s.firstAckAfterFault == nil { s.firstAckAfterFault = now }
        }
    }

    func failed(_ error: any Error) {
        state.withLock { s in
            s.failed += 1
            s.lastFailure = "\(error)"
        }
    }
}

/// The drill's producer: one task per partition, each with one request in flight, records with unique ids
/// (the key; the value is the id padded to --record-bytes). Never resends an id, so a record that appears
/// twice is a broker duplicate. On any error it closes its client and bootstraps from the other node, as a
/// Kafka client with both nodes in its bootstrap list does.
struct DrillProducer {
    var topic: String
    var partitions: Int32
    var bootstrap: [BrokerAddress]
    var batchSize: Int
    var recordBytes: Int
    var requestTimeoutMs: Int64
    var runId: String
    var cycle: Int

    static func value(for id: String, bytes: Int) -> String {
        id.count >= bytes ? id : id + String(repeating: ".", count: bytes - id.count)
    }

    func start(_ ledger: DrillLedger) -> Task<Void, Never> {
        let me = self
        return Task {
            await withTaskGroup(of: Void.self) { group in
                for partition in 0..<me.partitions {
                    group.addTask { await me.produceLoop(partition: partition, ledger: ledger) }
                }
            }
        }
    }

    private func produceLoop(partition: Int32, ledger: DrillLedger) async {
        var client: KafkaClient?
        var next = Int(partition) % bootstrap.count
        var seq = 0
        let half = max(100, requestTimeoutMs / 2)
        while !ledger.stop.load(ordering: .relaxed) {
            if client == nil {
                do {
                    client = try await KafkaClient.connect(address: bootstrap[next], clientId: "weir-drill", requestTimeout: .milliseconds(half))
                } catch {
                    ledger.failed(error)
                    next = (next + 1) % bootstrap.count
                    try? await Task.sleep(for: .milliseconds(20))
                    continue
                }
            }
            guard let current = client else { continue }
            let ids = (0..<batchSize).map { "\(runId)-c\(cycle)-p\(partition)-\(seq + $0)" }
            seq += batchSize
            let records = ids.map { ProducerRecord(key: $0, value: Self.value(for: $0, bytes: recordBytes)) }
            let sentAt = drillMs()
            do {
                let base = try await current.produce(topic: topic, partition: partition, records: records, acks: -1, timeoutMs: Int32(half))
                ledger.acknowledged(partition: partition, baseOffset: base, ids: ids, sentAt: sentAt)
            } catch {
                ledger.failed(error)
                await current.close()
                client = nil
                next = (next + 1) % bootstrap.count
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        await client?.close()
    }
}

// MARK: - Reading a node's log

/// A node's log of one partition as Fetch returns it: every batch's identity and every record's key/value.
struct DrillPartitionLog {
    var batches: [(base: Int64, last: Int64, leaderEpoch: Int32, crc: UInt32)] = []
    var records: [Int64: (key: String, value: String)] = [:]
    var highWatermark: Int64 = -1
    var reconnects = 0
}

/// Reads `topic`-`partition` from `from` up to the node's high watermark, from that node itself (a replica
/// serves reads up to its high watermark), 1 MiB per Fetch. A connection lost mid-read is reopened and the
/// read goes on where it stopped (at most 3 times; counted in `reconnects`).
func drillReadPartition(address: String, topic: String, partition: Int32, from: Int64, deadline: Int64) async throws -> DrillPartitionLog {
    let brokerAddress = try BrokerAddress(parsing: address)
    var log = DrillPartitionLog()
    var offset = from
    var rounds = 0
    var connection: BrokerConnection?
    defer { if let connection { Task { await connection.close() } } }
    while true {
        rounds += 1
        guard drillMs() < deadline, rounds < 1_000_000 else { throw DrillError("reading \(topic)-\(partition) from \(address) did not finish in time") }
        let request = FetchRequest(
            replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
            topics: [.init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: 1 << 20)])])
        let response: FetchResponse
        do {
            let current: BrokerConnection
            if let connection {
                current = connection
            } else {
                current = try await BrokerConnection.connect(to: brokerAddress, clientId: "weir-drill-verify", requestTimeout: .seconds(10))
                connection = current
            }
            response = try await current.send(request)
        } catch {
            if let lost = connection { await lost.close() }
            connection = nil
            log.reconnects += 1
            printError("verify: reading \(topic)-\(partition) from \(address) at offset \(offset): \(error); reconnecting")
            guard log.reconnects <= 3 else { throw error }
            try await Task.sleep(for: .milliseconds(100))
            continue
        }
        guard response.errorCode == .none, let p = response.responses.first?.partitions.first else {
            throw DrillError("fetch from \(address) failed: \(response.errorCode)")
        }
        guard p.errorCode == .none else { throw DrillError("fetch of \(topic)-\(partition) at \(offset) from \(address): \(p.errorCode)") }
        log.highWatermark = p.highWatermark
        if offset >= p.highWatermark { break }
        var advanced = false
        if let bytes = p.records {
            var scanner = RecordBatchScanner(bytes)
            while let (index, header) = scanner.next() {
                guard header.nextOffset > offset else { continue }
                advanced = true
                offset = header.nextOffset
                log.batches.append((header.baseOffset, header.lastOffset, header.partitionLeaderEpoch, header.crc))
                if header.attributes.isControl { continue }
                let batch = RecordBatch(unchecked: bytes.getSlice(at: index, length: header.totalSize) ?? ByteBuffer(), header: header)
                var iterator = try batch.records()
                while let record = try iterator.next() {
                    let key = record.key.map { String(decoding: $0.readableBytesView, as: UTF8.self) } ?? ""
                    let value = record.value.map { String(decoding: $0.readableBytesView, as: UTF8.self) } ?? ""
                    log.records[iterator.offset(of: record)] = (key, value)
                }
            }
            if let reason = scanner.stopReason, reason.kind != .truncated {
                throw DrillError("bad batch from \(address) in \(topic)-\(partition) after offset \(offset): \(reason)")
            }
        }
        guard advanced else { throw DrillError("fetch of \(topic)-\(partition) at \(offset) from \(address) returned nothing below its high watermark \(p.highWatermark)") }
    }
    return log
}

// MARK: - The drill

struct DrillRunner {
    let options: Drill
    let seed: UInt64
    var rng: DrillRandom
    var nodes: [DrillNodeRef] = []
    var primaryIndex = 0
    var topic = ""
    var workDirectory: String?
    var ownsWorkDirectory = false
    let ledger = DrillLedger()
    /// Offsets verified so far per partition: the next cycle reads from there (the last cycle reads all).
    var verifiedUpTo: [Int32: Int64] = [:]
    var truncatedSeen: Int64 = 0

    init(options: Drill, seed: UInt64) {
        self.options = options
        self.seed = seed
        self.rng = DrillRandom(seed: seed)
    }

    var local: Bool { options.primary == nil }

    mutating func run() async -> DrillReport {
        topic = options.topic ?? "drill-\(String(seed, radix: 16))"
        var report = DrillReport(fault: options.fault, cycles: options.cycles, seed: seed, topic: topic, pair: [])
        do {
            defer {
                report.pair = nodes.map(\.address)
                report.dataDirectory = workDirectory
            }
            try await setUp()
            for cycle in 1...options.cycles {
                let cycleReport = try await runCycle(cycle, final: cycle == options.cycles)
                report.cycleReports.append(cycleReport)
                report.lost += cycleReport.lost
                report.duplicated += cycleReport.duplicated
                report.mismatched += cycleReport.mismatched
                if !options.json {
                    printError("cycle \(cycle): \(cycleReport.failedNode) failed, \(cycleReport.newPrimary) primary, acked \(cycleReport.acknowledged), RTO \(cycleReport.rtoMs.map { "\($0) ms" } ?? "-"), catch-up \(cycleReport.catchUpMs.map { "\($0) ms" } ?? "-"), lost \(cycleReport.lost)")
                }
                if cycleReport.lost + cycleReport.duplicated + cycleReport.mismatched > 0 { break }
            }
        } catch {
            report.error = "\(error)"
        }
        let s = ledger.state.withLock { $0 }
        report.acknowledged = s.ackedCount
        report.failedAttempts = s.failed
        report.unacknowledgedPresent = unacknowledgedPresent
        report.auditDiscardedAcknowledged = auditCount("discardedAcknowledged")
        report.verificationReconnects = verificationReconnects
        report.summarize()
        tearDown(keep: options.keepData || !report.passed)
        if report.passed, !options.keepData { report.dataDirectory = nil }
        if let error = report.error, let tails = nodeLogTails(), !options.json {
            printError("error: \(error)\n\(tails)")
        }
        return report
    }

    var unacknowledgedPresent = 0
    var verificationReconnects = 0

    // MARK: Set-up and tear-down

    mutating func setUp() async throws {
        if let primary = options.primary, let replica = options.replica {
            nodes = [DrillNodeRef(name: "primary \(primary)", address: primary), DrillNodeRef(name: "replica \(replica)", address: replica)]
            nodes[0].name = primary
            nodes[1].name = replica
        } else {
            let base: String
            if let dataDir = options.dataDir {
                try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
                base = dataDir
            } else {
                let tmp = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
                var template = Array((tmp + "weir-drill-XXXXXX").utf8CString)
                guard let made = mkdtemp(&template) else { throw DrillError("cannot create a temporary directory") }
                base = String(cString: made)
                ownsWorkDirectory = true
            }
            workDirectory = base
            try await startLocalPair(in: base)
        }
        let deadline = drillMs() + options.timeoutMs
        let (p, r) = try await waitForHealthyPair(deadline: deadline)
        _ = p
        _ = r
        try await createTopic(deadline: deadline)
    }

    mutating func startLocalPair(in base: String) async throws {
        for attempt in 1...3 {
            let ports = try drillFreePorts(2)
            nodes = (0..<2).map { i in
                let id = Int32(i + 1)
                let dir = base + "/node\(id)"
                return DrillNodeRef(
                    name: "node \(id)", address: "127.0.0.1:\(ports[i])",
                    serveArguments: [
                        "--data", dir, "--listen", "127.0.0.1:\(ports[i])", "--metrics", "off",
                        "--node-id", "\(id)", "--peer-node-id", "\(2 - i)",
                        "--role", i == 0 ? "primary" : "replica", "--peer", "127.0.0.1:\(ports[1 - i])",
                        "--group-initial-rebalance-delay-ms", "0",
                    ],
                    dataDirectory: dir, logPath: base + "/node\(id).log")
            }
            do {
                for i in 0..<2 { try startNode(i) }
                for i in 0..<2 { try await waitForListening(i, deadline: drillMs() + min(options.timeoutMs, 30_000)) }
                return
            } catch {
                for i in 0..<2 { stopNode(i) }
                if attempt == 3 { throw error }
            }
        }
    }

    mutating func startNode(_ i: Int) throws {
        guard let args = nodes[i].serveArguments, let log = nodes[i].logPath else { return }
        let header = "---- \(ISO8601DateFormatter().string(from: Date())) weir drill starts \(nodes[i].name)\n"
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if fd >= 0 {
            _ = header.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
            close(fd)
        }
        nodes[i].pid = try DrillChildren.spawn(DrillChildren.selfExecutable, ["drill-node", "--parent", "\(getpid())", "--"] + args, logPath: log)
    }

    mutating func stopNode(_ i: Int) {
        if let pid = nodes[i].pid { DrillChildren.kill9(pid) }
        nodes[i].pid = nil
    }

    func waitForListening(_ i: Int, deadline: Int64) async throws {
        try await drillWait("\(nodes[i].name) to answer on \(nodes[i].address)", deadline: deadline) { () async throws -> Bool? in
            if let pid = nodes[i].pid, DrillChildren.hasExited(pid) {
                throw DrillError("\(nodes[i].name) exited at start (see \(nodes[i].logPath ?? "its log"))")
            }
            return await drillStatus(nodes[i].address) != nil ? true : nil
        }
    }

    func tearDown(keep: Bool) {
        for node in nodes { if let pid = node.pid { DrillChildren.kill9(pid) } }
        if let dir = workDirectory, ownsWorkDirectory, !keep {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    func nodeLogTails() -> String? {
        guard local else { return nil }
        var out = ""
        for node in nodes {
            guard let path = node.logPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            out += "---- last lines of \(path)\n" + text.split(separator: "\n", omittingEmptySubsequences: false).suffix(15).joined(separator: "\n") + "\n"
        }
        return out.isEmpty ? nil : out
    }

    /// Lines of the local pair's audit logs that contain `word`.
    func auditCount(_ word: String) -> Int {
        nodes.compactMap(\.dataDirectory).reduce(0) { total, dir in
            let text = (try? String(contentsOfFile: dir + "/replication-audit.log", encoding: .utf8)) ?? ""
            return total + text.split(separator: "\n").filter { $0.contains(word) }.count
        }
    }

    /// Records the local pair's audit logs say were truncated in `topic` (sum of from - to).
    func auditTruncatedRecords() -> Int64? {
        guard local else { return nil }
        var total: Int64 = 0
        for dir in nodes.compactMap(\.dataDirectory) {
            let text = (try? String(contentsOfFile: dir + "/replication-audit.log", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.contains("truncated(") && line.contains(topic) {
                // … truncated(TOPIC-P, from: A, to: B)
                let numbers = line.split(whereSeparator: { !"0123456789".contains($0) })
                guard numbers.count >= 2, let from = Int64(numbers[numbers.count - 2]), let to = Int64(numbers[numbers.count - 1]) else { continue }
                total += max(0, from - to)
            }
        }
        return total
    }

    // MARK: Pair state

    func waitForHealthyPair(deadline: Int64) async throws -> (ReplicationHost.Status, ReplicationHost.Status) {
        let p = nodes[primaryIndex], r = nodes[1 - primaryIndex]
        return try await drillWait("\(p.name) to be a synchronous primary with \(r.name) its in-sync replica", deadline: deadline) {
            () async throws -> (ReplicationHost.Status, ReplicationHost.Status)? in
            guard let ps = await drillStatus(p.address), let rs = await drillStatus(r.address) else { return nil }
            if ps.role == "single" || rs.role == "single" { throw DrillError("\(ps.role == "single" ? p.name : r.name) is a single node, not part of a pair") }
            guard ps.role == "primary", rs.role == "replica", ps.offline == nil, rs.offline == nil, ps.acknowledgingAlone == nil,
                  ps.peerConnected, rs.epoch == ps.epoch, rs.inSync else { return nil }
            return (ps, rs)
        }
    }

    mutating func createTopic(deadline: Int64) async throws {
        let primary = nodes[primaryIndex].address
        let client = try await KafkaClient.connect(broker: primary, clientId: "weir-drill", requestTimeout: .seconds(10))
        do {
            do {
                try await client.createTopic(topic, partitions: options.partitions)
            } catch {
                guard drillIsKafkaError(error, .topicAlreadyExists) else { throw error }
                let count = try await client.partitionCount(topic)
                guard count == options.partitions else { throw DrillError("topic \(topic) exists with \(count) partitions, not \(options.partitions)") }
            }
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        let replica = nodes[1 - primaryIndex]
        let want = options.partitions
        let name = topic
        try await drillWait("\(replica.name) to have the \(want) partitions of \(name)", deadline: deadline) { () async -> Bool? in
            guard let s = await drillStatus(replica.address) else { return nil }
            return s.partitions.filter { $0.topic == name }.count == Int(want) ? true : nil
        }
        // Where verification starts: the log start (0 for a new topic; a given --topic may hold older data).
        for p in 0..<options.partitions { verifiedUpTo[p] = 0 }
    }

    // MARK: One cycle

    mutating func runCycle(_ cycle: Int, final: Bool) async throws -> DrillCycleReport {
        let timeout = options.timeoutMs
        let old = primaryIndex, other = 1 - primaryIndex
        let healthy = try await waitForHealthyPair(deadline: drillMs() + timeout)
        ledger.state.withLock { s in
            s.cycleAcked = 0
            s.faultAt = nil
            s.firstAckAfterFault = nil
        }
        ledger.stop.store(false, ordering: .relaxed)
        let producer = DrillProducer(
            topic: topic, partitions: options.partitions,
            bootstrap: try [nodes[old].address, nodes[other].address].map { try BrokerAddress(parsing: $0) },
            batchSize: options.batchSize, recordBytes: options.recordBytes, requestTimeoutMs: options.requestTimeoutMs,
            runId: String(seed, radix: 36), cycle: cycle)
        let task = producer.start(ledger)
        var report = DrillCycleReport(
            cycle: cycle, fault: options.fault, failedNode: options.fault == "none" ? "-" : nodes[old].name, newPrimary: nodes[old].name,
            acknowledged: 0, promoteAttempts: 0, lost: 0, duplicated: 0, mismatched: 0)
        do {
            // Produce until the stream is flowing, then a random while more: the fault lands mid-stream.
            try await drillWait("the first acknowledgement of cycle \(cycle)", deadline: drillMs() + timeout) { () async -> Bool? in
                ledger.state.withLock { $0.cycleAcked } > 0 ? true : nil
            }
            let pause = options.beforeFaultMs == 0 ? 0 : Int64(rng.next(in: options.beforeFaultMs / 2...options.beforeFaultMs * 3 / 2))
            try await Task.sleep(for: .milliseconds(pause))

            if options.fault != "none" {
                let faultAt = drillMs()
                ledger.state.withLock { $0.faultAt = faultAt }
                switch options.fault {
                case "kill": stopNode(old)
                case "freeze": if let pid = nodes[old].pid { DrillChildren.signal(pid, SIGSTOP) }
                default: break
                }
                let (epoch, attempts) = try await promote(other, force: options.fault == "promote-only", oldEpoch: healthy.0.epoch, deadline: drillMs() + timeout)
                report.epoch = epoch
                report.promoteAttempts = attempts
                report.newPrimary = nodes[other].name
                primaryIndex = other
                try await drillWait("the first acknowledged write on \(nodes[other].name)", deadline: drillMs() + timeout) { () async -> Bool? in
                    ledger.state.withLock { $0.firstAckAfterFault } != nil ? true : nil
                }
                report.rtoMs = ledger.state.withLock { $0.firstAckAfterFault }.map { $0 - faultAt }
                try await Task.sleep(for: .milliseconds(options.afterPromoteMs))

                let rejoinAt = drillMs()
                switch options.fault {
                case "kill":
                    try startNode(old)
                case "freeze":
                    if let pid = nodes[old].pid { DrillChildren.signal(pid, SIGCONT) }
                default: break
                }
                // Caught up: the new primary acknowledges with its replica again, which is the old primary,
                // stepped down to the new epoch.
                let newPrimary = nodes[other], oldPrimary = nodes[old]
                let oldPid = oldPrimary.pid
                try await drillWait("\(oldPrimary.name) to rejoin as replica and \(newPrimary.name) to be synchronous again", deadline: rejoinAt + timeout) {
                    () async throws -> Bool? in
                    if let oldPid, DrillChildren.hasExited(oldPid) { throw DrillError("\(oldPrimary.name) exited (see \(oldPrimary.logPath ?? "its log"))") }
                    guard let ps = await drillStatus(newPrimary.address), ps.role == "primary", ps.acknowledgingAlone == nil, ps.peerConnected,
                          let rs = await drillStatus(oldPrimary.address), rs.role == "replica", rs.epoch == ps.epoch else { return nil }
                    return true
                }
                report.catchUpMs = drillMs() - rejoinAt
            }
        } catch {
            ledger.stop.store(true, ordering: .relaxed)
            await task.value
            throw error
        }
        ledger.stop.store(true, ordering: .relaxed)
        await task.value
        report.acknowledged = ledger.state.withLock { $0.cycleAcked }

        try await waitSettled(deadline: drillMs() + timeout)
        let verdict = try await verify(all: final)
        report.lost = verdict.lost
        report.duplicated = verdict.duplicated
        report.mismatched = verdict.mismatched
        if let truncated = auditTruncatedRecords() {
            report.truncatedRecords = truncated - truncatedSeen
            truncatedSeen = truncated
        }
        return report
    }

    /// Promotes node `i`, retrying while it is refused (a frozen primary counts as reachable for a second).
    func promote(_ i: Int, force: Bool, oldEpoch: Int32, deadline: Int64) async throws -> (Int32, Int) {
        var attempts = 0
        var lastRefusal = ""
        let node = nodes[i]
        return try await drillWait("\(node.name) to accept promotion", deadline: deadline, intervalMs: 25, lastWords: { lastRefusal }) {
            () async throws -> (Int32, Int)? in
            attempts += 1
            do {
                let answer = try await adminRequest(AdminRequest(op: "promote", force: force), broker: node.address, timeoutMs: 5_000, as: PromoteAnswer.self)
                if answer.result == "promoted", let epoch = answer.epoch { return (epoch, attempts) }
                lastRefusal = answer.reason ?? answer.result
                // An earlier attempt whose answer came too late may have promoted it: then it is the primary
                // of an epoch above the old primary's.
                if attempts > 1, let s = await drillStatus(node.address), s.role == "primary", s.epoch > oldEpoch { return (s.epoch, attempts) }
            } catch {
                lastRefusal = "\(error)"
            }
            return nil
        }
    }

    /// Both nodes have the same log end for every partition of the topic, and each serves reads up to it.
    func waitSettled(deadline: Int64) async throws {
        let p = nodes[primaryIndex], r = nodes[1 - primaryIndex]
        let name = topic, count = Int(options.partitions)
        try await drillWait("both nodes to hold the same log with the high watermark at its end", deadline: deadline) { () async -> Bool? in
            guard let ps = await drillStatus(p.address), let rs = await drillStatus(r.address) else { return nil }
            let pp = ps.partitions.filter { $0.topic == name }, rp = rs.partitions.filter { $0.topic == name }
            guard pp.count == count, rp.count == count else { return nil }
            for a in pp {
                guard let b = rp.first(where: { $0.partition == a.partition }), a.logEndOffset == b.logEndOffset,
                      a.highWatermark == a.logEndOffset, b.highWatermark == b.logEndOffset else { return nil }
            }
            return true
        }
    }

    /// Reads both nodes (from what the last cycle verified, or everything with `all`) and checks every
    /// acknowledged record: present on both, at its offset, with its value, once. Also checks that the two
    /// logs are the same batches (offsets, leader epoch, CRC) and the same records.
    mutating func verify(all: Bool) async throws -> (lost: Int, duplicated: Int, mismatched: Int) {
        let deadline = drillMs() + options.timeoutMs
        let acked = ledger.state.withLock { $0.acked }
        var lost = 0, duplicated = 0, mismatched = 0, unacknowledged = 0
        for partition in 0..<options.partitions {
            let from = all ? 0 : verifiedUpTo[partition] ?? 0
            let a = try await drillReadPartition(address: nodes[0].address, topic: topic, partition: partition, from: from, deadline: deadline)
            let b = try await drillReadPartition(address: nodes[1].address, topic: topic, partition: partition, from: from, deadline: deadline)
            verificationReconnects += a.reconnects + b.reconnects
            if a.highWatermark != b.highWatermark {
                mismatched += 1
                printError("verify: \(topic)-\(partition) high watermark \(a.highWatermark) on \(nodes[0].name), \(b.highWatermark) on \(nodes[1].name)")
            }
            let sameBatches = a.batches.count == b.batches.count
                && zip(a.batches, b.batches).allSatisfy { $0.base == $1.base && $0.last == $1.last && $0.leaderEpoch == $1.leaderEpoch && $0.crc == $1.crc }
            if !sameBatches {
                mismatched += 1
                printError("verify: \(topic)-\(partition) from \(from): the nodes hold different batches (\(a.batches.count) vs \(b.batches.count))")
            }
            for (offset, record) in a.records where b.records[offset].map({ $0 != record }) ?? true {
                mismatched += 1
                if mismatched <= 10 { printError("verify: \(topic)-\(partition) offset \(offset) differs between the nodes") }
            }
            for offset in b.records.keys where a.records[offset] == nil { mismatched += 1 }
            let expected = acked[partition] ?? [:]
            for (log, node) in [(a, nodes[0]), (b, nodes[1])] {
                var seen: [String: Int] = [:]
                for record in log.records.values { seen[record.key, default: 0] += 1 }
                for (id, n) in seen where n > 1 {
                    duplicated += 1
                    if duplicated <= 10 { printError("verify: \(id) is \(n) times in \(topic)-\(partition) on \(node.name)") }
                }
                for (offset, id) in expected where offset >= from {
                    guard let record = log.records[offset], record.key == id, record.value == DrillProducer.value(for: id, bytes: options.recordBytes) else {
                        lost += 1
                        if lost <= 10 { printError("verify: acknowledged \(id) at \(topic)-\(partition) offset \(offset) is missing on \(node.name)") }
                        continue
                    }
                }
            }
            if all { unacknowledged += a.records.filter { expected[$0.key] == nil }.count }
            verifiedUpTo[partition] = a.highWatermark
        }
        if all { unacknowledgedPresent = unacknowledged }
        return (lost, duplicated, mismatched)
    }
}

// MARK: - Helpers

func drillIsKafkaError(_ error: any Error, _ code: KafkaErrorCode) -> Bool {
    (error as? WeirClientError)?.code == code
}

/// A node's status, or nil when it does not answer within a second.
func drillStatus(_ address: String) async -> ReplicationHost.Status? {
    try? await adminRequest(AdminRequest(op: "status"), broker: address, timeoutMs: 1_000, as: ReplicationHost.Status.self)
}

/// Polls `probe` every `intervalMs` until it returns a value; throws once `deadline` (drillMs) passes.
@discardableResult
func drillWait<T>(
    _ what: String, deadline: Int64, intervalMs: Int64 = 20, lastWords: () -> String = { "" }, _ probe: () async throws -> T?
) async throws -> T {
    var rounds = 0
    while true {
        rounds += 1
        if let value = try await probe() { return value }
        guard drillMs() < deadline, rounds < 10_000_000 else {
            let why = lastWords()
            throw DrillError("timed out waiting for \(what)\(why.isEmpty ? "" : " (last answer: \(why))")")
        }
        try await Task.sleep(for: .milliseconds(intervalMs))
    }
}

/// `count` distinct free TCP ports on 127.0.0.1 (bound to port 0 together, then released).
func drillFreePorts(_ count: Int) throws -> [Int] {
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DrillError("socket: \(String(cString: strerror(errno)))") }
        fds.append(fd)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw DrillError("cannot pick a free port: \(String(cString: strerror(errno)))") }
        ports.append(Int(UInt16(bigEndian: addr.sin_port)))
    }
    return ports
}

/// SplitMix64: the fault times of a seed are reproducible.
struct DrillRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(in range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int64(nextUInt64() % width)
    }
}
