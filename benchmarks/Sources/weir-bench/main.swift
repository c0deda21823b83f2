// weir-bench: prints tables of Weir's figures next to a baseline measured in the same run.
#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
let suites: [String: ([String]) throws -> Void] = [
    "storage": StorageBenchmark.run,
    "pmml": PMMLBenchmark.run,
    "streams": StreamsBenchmark.run,
]
guard let name = arguments.first, let suite = suites[name] else {
    print("usage: weir-bench <\(suites.keys.sorted().joined(separator: "|"))> [options]")
    exit(2)
}
do {
    try suite(Array(arguments.dropFirst()))
} catch {
    print("weir-bench \(name): \(error)")
    exit(1)
}
