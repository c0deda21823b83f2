#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeirReplication
import WeirTestSupport

/// The deterministic simulation of the replication protocol: thousands of seeded schedules per run
/// (WEIR_SIM_SEEDS raises the count, WEIR_SIM_SEED replays one seed), each a fault phase followed by a
/// healed phase that must converge. A failure prints its seed and the last events.
@Suite struct SimulationTests {
    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static func run(seed: UInt64, faultSteps: Int, knobs: SimulatedPair.Knobs = .init()) -> SimulatedPair {
        let world = SimulatedPair(seed: seed, knobs: knobs)
        var steps = 0
        while world.failure == nil && steps < faultSteps {
            world.step()
            steps += 1
        }
        if world.failure == nil { world.healAndConverge() }
        return world
    }

    @Test func seededSchedules() async throws {
        try await onDedicatedThread { try Self.runSeededSchedules() }
    }

    static func runSeededSchedules() throws {
        let count = Self.environment("WEIR_SIM_SEEDS").flatMap { UInt64($0) } ?? 1_500
        let first = Self.environment("WEIR_SIM_FIRST_SEED").flatMap { UInt64($0) } ?? 1
        let seeds: [UInt64] = Self.environment("WEIR_SIM_SEED").flatMap { UInt64($0) }.map { [$0] } ?? Array(first..<(first + count))
        var total = SimulatedPair.Stats()
        var failures: [String] = []
        for seed in seeds {
            var knobs = SimulatedPair.Knobs()
            if seed % 4 == 0 { knobs.segmentBytes = 1_500 }  // many segments: truncation across segment files
            let world = Self.run(seed: seed, faultSteps: 100 + Int(seed % 200), knobs: knobs)
            total.steps += world.stats.steps
            total.acks += world.stats.acks
            total.crashes += world.stats.crashes
            total.promotions += world.stats.promotions
            total.truncations += world.stats.truncations
            total.timeouts += world.stats.timeouts
            total.healSteps = max(total.healSteps, world.stats.healSteps)
            if let failure = world.failure {
                failures.append(failure.description)
                if failures.count >= 3 { break }
            }
        }
        print("replication simulation: \(seeds.count) seeds, \(total.steps) steps, \(total.acks) acks, \(total.crashes) crashes, \(total.promotions) promotions, \(total.truncations) truncations, \(total.timeouts) NOT_ENOUGH_REPLICAS, longest convergence \(total.healSteps) steps")
        for failure in failures { print("SIMULATION FAILURE \(failure)") }
        #expect(failures.isEmpty, "\(failures.first ?? "")")
    }
}
