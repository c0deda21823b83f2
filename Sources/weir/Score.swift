import ArgumentParser

struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score a CSV file with a PMML model.")
    func run() async throws {
        throw ValidationError("not yet implemented")
    }
}
