import ArgumentParser

@main
struct Weir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "A Kafka-compatible replicated commit log with an in-broker risk engine.",
        subcommands: [
            Serve.self, Score.self, Topic.self, Produce.self, Consume.self, Status.self, Promote.self, Model.self, Preprocessor.self, Demo.self, Process.self,
            Drill.self, DrillNode.self,
        ]
    )
}
