import Foundation

/// The ING fraud scenario: definitions, models and raw events, shared by `weir demo fraud`, the tests and the
/// interoperability tests (`weir demo fraud --write-files DIR` writes the files).
public enum FraudExample {
    public static let t0: Int64 = 1_795_431_600_000  // 2026-11-23T11:00:00Z
    public static let minute: Int64 = 60_000

    static func document(fields: [String], model: String) -> String {
        let dd = (fields + ["risk"]).map { "  <DataField name=\"\($0)\" optype=\"continuous\" dataType=\"double\"/>" }.joined(separator: "\n")
        let schema = (fields.map { "    <MiningField name=\"\($0)\"/>" } + ["    <MiningField name=\"risk\" usageType=\"target\"/>"]).joined(separator: "\n")
        return """
            <PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
            <Header description="ING fraud example"/>
            <DataDictionary>
            \(dd)
            </DataDictionary>
            <TreeModel functionName="regression">
              <MiningSchema>
            \(schema)
              </MiningSchema>
            \(model)
            </TreeModel>
            </PMML>

            """
    }

    static let v1Rule = """
            <Node score="1"><CompoundPredicate booleanOperator="and">
              <SimplePredicate field="amount" operator="greaterThan" value="500"/>
              <SimplePredicate field="new_beneficiary" operator="equal" value="1"/>
              <SimplePredicate field="count_1h" operator="greaterThan" value="1"/>
            </CompoundPredicate></Node>
        """

    /// v1: risk 1 when amount > 500, the beneficiary is new in 24 h and more than one transaction in the last hour.
    public static let pmmlV1 = document(fields: ["amount", "new_beneficiary", "count_1h"], model: """
          <Node score="0"><True/>
        \(v1Rule)
            <Node score="0"><True/></Node>
          </Node>
        """)

    /// v2: v1's rule, or risk 0.9 when the beneficiary is new and more than €1000 left the account in the last hour.
    public static let pmmlV2 = document(fields: ["amount", "new_beneficiary", "count_1h", "sum_1h"], model: """
          <Node score="0"><True/>
        \(v1Rule)
            <Node score="0.9"><CompoundPredicate booleanOperator="and">
              <SimplePredicate field="sum_1h" operator="greaterThan" value="1000"/>
              <SimplePredicate field="new_beneficiary" operator="equal" value="1"/>
            </CompoundPredicate></Node>
            <Node score="0"><True/></Node>
          </Node>
        """)

    public static let featuresV1 = features(withSum: false)
    public static let featuresV2 = features(withSum: true)

    static func features(withSum: Bool) -> String {
        let sumFeature = withSum ? "\n  sum_1h: { aggregate: sum, field: amount, key: account, window: { sliding: 1h } }" : ""
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
              amount: { field: amount }
              new_beneficiary: { aggregate: first_time, key: [account, beneficiary], window: { sliding: 24h } }\(sumFeature)
              count_1h: { aggregate: count, key: account, window: { sliding: 1h } }
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

    public static let preprocessor = """
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

    /// Version 2 of the preprocessor, deployed at runtime (`weir preprocessor deploy`): it also reads the card
    /// payments of a third application, with its own schema (cents, epoch seconds).
    public static let preprocessorV2 = preprocessor + """
          card.payments:
            fields:
              account: { path: card.account, required: true }
              amount: { path: amount_cents, type: number, divide: 100, required: true }
              beneficiary: { path: merchant, required: true }
              timestamp: { path: at, type: timestamp, format: epoch_seconds, required: true }
              channel: { const: card }

        """

    /// The processors file for `weir serve --processors` / `weir process --config`: the preprocessor and model v1.
    public static let processors = """
        version: 1
        preprocessors:
          - { name: payments, version: "1", definition: preprocessor.yaml }
        models:
          - { name: fraud, version: "1", pmml: fraud-v1.pmml, features: fraud-v1.yaml }

        """

    /// Writes preprocessor.yaml, fraud-v1/v2 .pmml/.yaml and processors.yaml into `directory`.
    public static func writeFiles(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in [("preprocessor.yaml", preprocessor), ("preprocessor-v2.yaml", preprocessorV2), ("fraud-v1.pmml", pmmlV1), ("fraud-v2.pmml", pmmlV2),
                             ("fraud-v1.yaml", featuresV1), ("fraud-v2.yaml", featuresV2), ("processors.yaml", processors)] {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// One raw event: topic, key, JSON value, record timestamp.
    public struct RawEvent: Sendable {
        public var topic: String
        public var key: String
        public var value: String
        public var timestamp: Int64
    }

    /// ISO-8601 UTC text of epoch millis (whole seconds).
    static func iso(_ t: Int64) -> String {
        let secs = t / 1000
        let days = secs / 86_400, s = secs % 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(pad(m))-\(pad(d))T\(pad(s / 3600)):\(pad(s / 60 % 60)):\(pad(s % 60))Z"
    }

    /// A mobile-app payment (euros, ISO-8601 time).
    public static func mobile(account: String, euros: Double, to: String, minute m: Int64, base: Int64 = t0) -> [RawEvent] {
        let t = base + m * minute
        let amount = euros == euros.rounded() ? String(Int(euros)) : String(euros)
        return [RawEvent(topic: "mobile.payments", key: account,
                         value: #"{"acct":"\#(account)","amount_eur":\#(amount),"to":{"iban":"\#(to)"},"created_at":"\#(iso(t))","device_id":"phone-1"}"#,
                         timestamp: t)]
    }

    /// A card payment from the third app, which only preprocessor v2 reads (cents, epoch seconds).
    public static func card(account: String, cents: Int, merchant: String, minute m: Int64, base: Int64 = t0) -> [RawEvent] {
        let t = base + m * minute
        return [RawEvent(topic: "card.payments", key: account,
                         value: #"{"card":{"account":"\#(account)"},"amount_cents":\#(cents),"merchant":"\#(merchant)","at":\#(t / 1000)}"#,
                         timestamp: t)]
    }

    /// The web clicks of one payment session (cents, epoch millis): start, a page view (filtered), details, confirm.
    public static func web(session: String, account: String, cents: Int, to: String, minute m: Int64, base: Int64 = t0) -> [RawEvent] {
        let t = base + m * minute
        return [
            RawEvent(topic: "web.events", key: session, value: #"{"type":"payment_start","session":{"id":"\#(session)","account":"\#(account)"},"ts":\#(t)}"#, timestamp: t),
            RawEvent(topic: "web.events", key: session, value: #"{"type":"page_view","session":{"id":"\#(session)"},"ts":\#(t + 5000)}"#, timestamp: t + 5000),
            RawEvent(topic: "web.events", key: session,
                     value: #"{"type":"payment_details","session":{"id":"\#(session)"},"details":{"amount_cents":\#(cents),"iban":"\#(to)"},"ts":\#(t + 10000)}"#,
                     timestamp: t + 10000),
            RawEvent(topic: "web.events", key: session, value: #"{"type":"payment_confirm","session":{"id":"\#(session)"},"ts":\#(t + 30000)}"#, timestamp: t + 30000),
        ]
    }

    /// One step of the scenario: what a person would see, and the raw events that carry it.
    public struct Step: Sendable {
        public var description: String
        public var events: [RawEvent]
        public init(description: String, events: [RawEvent]) {
            self.description = description
            self.events = events
        }
    }

    /// Before v2: a normal web payment, the thief's two €1000 transfers to new beneficiaries (v1 blocks them: more
    /// than one transaction in the hour), then two €400 transfers (v1 allows them). `suffix` makes accounts and
    /// sessions unique and `base` (the event time of minute 0) moves a run past the watermark of earlier runs
    /// (a demo run against a broker that has seen earlier runs: older events would be late, not counted).
    public static func beforeV2(suffix: String = "", base: Int64 = t0) -> [Step] {
        let a = "NL01" + suffix
        return [
            Step(description: "\(a) pays €50 to a friend on the web (4 clicks)", events: web(session: "s1" + suffix, account: a, cents: 5000, to: "NL-FRIEND", minute: 20, base: base)),
            Step(description: "thief on \(a)'s phone: €1000 to NL-MULE1", events: mobile(account: a, euros: 1000, to: "NL-MULE1", minute: 30, base: base)),
            Step(description: "thief: €1000 to NL-MULE2", events: mobile(account: a, euros: 1000, to: "NL-MULE2", minute: 35, base: base)),
            Step(description: "thief switches to €400: NL-MULE3", events: mobile(account: a, euros: 400, to: "NL-MULE3", minute: 40, base: base)),
            Step(description: "thief: €400 to NL-MULE4", events: mobile(account: a, euros: 400, to: "NL-MULE4", minute: 45, base: base)),
        ]
    }

    /// After v2 is deployed: the next €400 transfer (blocked by v2's hourly sum) and another customer's payment.
    public static func afterV2(suffix: String = "", base: Int64 = t0) -> [Step] {
        [
            Step(description: "thief: €400 to NL-MULE5", events: mobile(account: "NL01" + suffix, euros: 400, to: "NL-MULE5", minute: 50, base: base)),
            Step(description: "NL02\(suffix) pays €20 to a shop on the web", events: web(session: "s2" + suffix, account: "NL02" + suffix, cents: 2000, to: "NL-SHOP", minute: 52, base: base)),
        ]
    }

    /// The decisions expected, in order: (account without suffix, outcome, model version).
    public static let expected: [(String, String, String)] = [
        ("NL01", "allow", "1"), ("NL01", "block", "1"), ("NL01", "block", "1"), ("NL01", "allow", "1"), ("NL01", "allow", "1"),
        ("NL01", "block", "2"), ("NL02", "allow", "2"),
    ]
}
