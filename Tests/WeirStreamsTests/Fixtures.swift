import WeirPMML
@testable import WeirStreams

/// An in-memory partitioned log: topics of single partitions, offsets from 0.
struct InMemoryLog {
    var topics: [String: [InputRecord]] = [:]

    @discardableResult
    mutating func append(_ topic: String, key: String? = nil, value: String, timestamp: Int64) -> Int64 {
        let offset = Int64(topics[topic]?.count ?? 0)
        topics[topic, default: []].append(InputRecord(topic: topic, partition: 0, offset: offset, timestamp: timestamp,
                                                      key: key.map { Array($0.utf8) }, value: Array(value.utf8)))
        return offset
    }

    /// Appends processor outputs (one input's outputs to one topic form one atomic append).
    mutating func append(_ outputs: [OutputRecord]) {
        for o in outputs {
            let offset = Int64(topics[o.topic]?.count ?? 0)
            topics[o.topic, default: []].append(InputRecord(topic: o.topic, partition: 0, offset: offset, timestamp: o.timestamp,
                                                            key: o.key, value: o.value, headers: o.headers))
        }
    }

    func records(_ topic: String) -> [InputRecord] { topics[topic] ?? [] }

    func values(_ topic: String) -> [String] { records(topic).map { String(decoding: $0.value ?? [], as: UTF8.self) } }

    /// The last input offset answered in `topic` for the given input (what the host reads from the output tail).
    func lastAnswered(in topic: String, input: String) -> Int64? {
        Provenance.lastAnsweredOffset(inputTopic: input, inputPartition: 0, newestFirst: records(topic).reversed().map(\.headers))
    }

    func decisions(_ topic: String) throws -> [Decision] { try records(topic).map { try Decision(json: $0.value ?? []) } }
}

enum PMMLFixtures {
    static func document(fields: [String], target: String = "risk", model: String) -> String {
        let dd = (fields + [target]).map { "<DataField name=\"\($0)\" optype=\"continuous\" dataType=\"double\"/>" }.joined()
        return """
            <PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>
            <DataDictionary>\(dd)</DataDictionary>
            \(model)
            </PMML>
            """
    }

    static func schema(_ fields: [String], target: String = "risk") -> String {
        "<MiningSchema>" + fields.map { "<MiningField name=\"\($0)\"/>" }.joined() + "<MiningField name=\"\(target)\" usageType=\"target\"/></MiningSchema>"
    }

    /// v1: risk 1 when amount > 500 and the beneficiary is new in 24 h and more than one transaction in the last hour.
    static let v1 = document(fields: ["amount", "new_beneficiary", "count_1h"], model: """
        <TreeModel functionName="regression">
          \(schema(["amount", "new_beneficiary", "count_1h"]))
          <Node score="0"><True/>
            <Node score="1"><CompoundPredicate booleanOperator="and">
              <SimplePredicate field="amount" operator="greaterThan" value="500"/>
              <SimplePredicate field="new_beneficiary" operator="equal" value="1"/>
              <SimplePredicate field="count_1h" operator="greaterThan" value="1"/>
            </CompoundPredicate></Node>
            <Node score="0"><True/></Node>
          </Node>
        </TreeModel>
        """)

    /// v2: v1's rule, or a new beneficiary while more than 1000 was sent in the last hour.
    static let v2 = document(fields: ["amount", "new_beneficiary", "count_1h", "sum_1h"], model: """
        <TreeModel functionName="regression">
          \(schema(["amount", "new_beneficiary", "count_1h", "sum_1h"]))
          <Node score="0"><True/>
            <Node score="1"><CompoundPredicate booleanOperator="and">
              <SimplePredicate field="amount" operator="greaterThan" value="500"/>
              <SimplePredicate field="new_beneficiary" operator="equal" value="1"/>
              <SimplePredicate field="count_1h" operator="greaterThan" value="1"/>
            </CompoundPredicate></Node>
            <Node score="0.9"><CompoundPredicate booleanOperator="and">
              <SimplePredicate field="sum_1h" operator="greaterThan" value="1000"/>
              <SimplePredicate field="new_beneficiary" operator="equal" value="1"/>
            </CompoundPredicate></Node>
            <Node score="0"><True/></Node>
          </Node>
        </TreeModel>
        """)

    static let featuresV1 = features(withSum: false)
    static let featuresV2 = features(withSum: true)

    static func features(withSum: Bool) -> String {
        let sumFeature = withSum ? "\n  sum_1h:\n    aggregate: sum\n    field: amount\n    key: account\n    window: { sliding: 1h }" : ""
        let sumInput = withSum ? "\n    sum_1h: sum_1h" : ""
        return """
            version: 1
            name: fraud
            input: payments
            output: decisions
            event_time: timestamp
            lateness: 1m
            decision_key: account
            keys:
              account: account
              beneficiary: beneficiary
            features:
              amount:
                field: amount
              new_beneficiary:
                aggregate: first_time
                key: [account, beneficiary]
                window: { sliding: 24h }\(sumFeature)
              count_1h:
                aggregate: count
                key: account
                window: { sliding: 1h }
            model:
              inputs:
                amount: amount
                new_beneficiary: new_beneficiary
                count_1h: count_1h\(sumInput)
              score: risk
            decision:
              review: 0.5
              block: 0.8
            """
    }

    static let preprocessor = """
        version: 1
        kind: preprocessor
        output: payments
        dead_letter: payments.dead-letter
        key: account
        event_time: timestamp
        sources:
          web.events:
            filter:
              - { field: type, in: [payment_start, payment_details, payment_confirm] }
            aggregate:
              session: session.id
              complete_when: { field: type, equals: payment_confirm }
              timeout: 10m
            fields:
              account: { path: session.account, required: true }
              amount: { path: details.amount_cents, type: number, divide: 100, required: true }
              beneficiary: { path: details.iban, required: true }
              timestamp: { path: ts, type: timestamp, format: epoch_millis, required: true }
              channel: { const: web }
          mobile.payments:
            fields:
              account: { path: acct, required: true }
              amount: { path: amount_eur, type: number, required: true }
              beneficiary: { path: to.iban, required: true }
              timestamp: { path: created_at, type: timestamp, format: iso8601, required: true }
              channel: { const: mobile }
              device: { path: device_id, default: unknown }
        """

    static func deployment(_ version: String) throws -> Deployment {
        try Deployment.compile(model: "fraud", version: version, pmml: Array((version == "1" ? v1 : v2).utf8),
                               features: version == "1" ? featuresV1 : featuresV2, featuresFile: "fraud-v\(version).yaml")
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<(index(i, offsetBy: needle.count)) }
            i = index(after: i)
        }
        return nil
    }
}
