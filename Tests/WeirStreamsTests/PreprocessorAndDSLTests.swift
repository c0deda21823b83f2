import Testing
import WeirPMML
@testable import WeirStreams

@Suite struct PreprocessorTests {
    static func processor() throws -> PreprocessorProcessor {
        PreprocessorProcessor(definition: try PreprocessorDefinition.parse(yaml: PMMLFixtures.preprocessor, file: "pre.yaml"), version: "pre@1")
    }

    static func feed(_ p: inout PreprocessorProcessor, _ topic: String, _ offset: Int64, _ json: String, ts: Int64 = 0) -> [OutputRecord] {
        var out: [OutputRecord] = []
        p.process(InputRecord(topic: topic, partition: 0, offset: offset, timestamp: ts, key: nil, value: Array(json.utf8)), into: &out)
        return out
    }

    static func json(_ o: OutputRecord) throws -> JSONValue { try JSONParser.parse(o.value ?? []) }

    @Test func mobileEventIsRenamedConvertedAndDefaulted() throws {
        var p = try Self.processor()
        let out = Self.feed(&p, "mobile.payments", 7, #"{"acct":"NL01","amount_eur":"400.5","to":{"iban":"NL99"},"created_at":"2026-01-02T03:04:05.250+01:00"}"#)
        #expect(out.count == 1)
        #expect(out[0].topic == "payments")
        #expect(out[0].key == Array("NL01".utf8))
        #expect(out[0].timestamp == 1_767_319_445_250)
        #expect(out[0].provenance == Provenance(topic: "mobile.payments", partition: 0, offset: 7, version: "pre@1"))
        #expect(try Self.json(out[0]) == .object([("account", .string("NL01")), ("amount", .number(400.5)), ("beneficiary", .string("NL99")),
                                                  ("timestamp", .number(1_767_319_445_250)), ("channel", .string("mobile")), ("device", .string("unknown"))]))
    }

    @Test func webClicksOfOneSessionAggregateIntoOneTransaction() throws {
        var p = try Self.processor()
        #expect(Self.feed(&p, "web.events", 0, #"{"type":"payment_start","session":{"id":"s1","account":"NL01"},"ts":1000}"#, ts: 1000).isEmpty)
        #expect(Self.feed(&p, "web.events", 1, #"{"type":"page_view","session":{"id":"s1"},"ts":1500}"#, ts: 1500).isEmpty)  // filtered
        #expect(Self.feed(&p, "web.events", 2, #"{"type":"payment_details","session":{"id":"s1"},"details":{"amount_cents":123456,"iban":"NL77"},"ts":2000}"#, ts: 2000).isEmpty)
        let out = Self.feed(&p, "web.events", 3, #"{"type":"payment_confirm","session":{"id":"s1"},"ts":3000}"#, ts: 3000)
        #expect(out.count == 1)
        #expect(try Self.json(out[0]) == .object([("account", .string("NL01")), ("amount", .number(1234.56)), ("beneficiary", .string("NL77")),
                                                  ("timestamp", .number(3000)), ("channel", .string("web"))]))
        #expect(out[0].provenance?.offset == 3)
        #expect(p.filteredCount == 1)
        #expect(p.openSessions == 0)
    }

    @Test func failingEventsGoToTheDeadLetterWithTheReason() throws {
        var p = try Self.processor()
        let bad = Self.feed(&p, "mobile.payments", 0, #"{"acct":"NL01","amount_eur":"lots","to":{"iban":"NL99"},"created_at":"2026-01-02T03:04:05Z"}"#)
        #expect(bad.count == 1 && bad[0].topic == "payments.dead-letter")
        let reason = try Self.json(bad[0])["reason"]
        #expect(reason == .string(#"field amount: "lots" is not a number (path amount_eur)"#))
        let missing = Self.feed(&p, "mobile.payments", 1, #"{"acct":"NL01","amount_eur":3,"created_at":"2026-01-02T03:04:05Z"}"#)
        #expect(try Self.json(missing[0])["reason"] == .string("field beneficiary: required value is missing (path to.iban)"))
        let badTime = Self.feed(&p, "mobile.payments", 2, #"{"acct":"NL01","amount_eur":3,"to":{"iban":"x"},"created_at":"yesterday"}"#)
        #expect(try Self.json(badTime[0])["reason"]?.text?.contains("not a iso8601 timestamp") == true)
        let notJSON = Self.feed(&p, "mobile.payments", 3, "{oops")
        #expect(notJSON[0].topic == "payments.dead-letter")
        #expect(Self.feed(&p, "other.topic", 4, "{}")[0].topic == "payments.dead-letter")
        #expect(p.rejectedCount == 5)
    }

    @Test func incompleteSessionsTimeOutToTheDeadLetter() throws {
        var p = try Self.processor()
        #expect(Self.feed(&p, "web.events", 0, #"{"type":"payment_start","session":{"id":"s1","account":"NL01"},"ts":0}"#, ts: 0).isEmpty)
        let out = Self.feed(&p, "web.events", 1, #"{"type":"payment_start","session":{"id":"s2","account":"NL02"},"ts":700000}"#, ts: 700_000)
        #expect(out.count == 1)
        #expect(out[0].topic == "payments.dead-letter")
        #expect(try Self.json(out[0])["offsets"] == .array([.number(0)]))
        #expect(p.openSessions == 1)
    }

    @Test func snapshotKeepsOpenSessions() throws {
        var p = try Self.processor()
        _ = Self.feed(&p, "web.events", 0, #"{"type":"payment_start","session":{"id":"s1","account":"NL01"},"ts":0}"#)
        var q = try Self.processor()
        try q.restore(try p.snapshot())
        #expect(q.openSessions == 1)
    }

    @Test func iso8601Forms() {
        #expect(ISO8601.parseMillis("1970-01-01T00:00:00Z") == 0)
        #expect(ISO8601.parseMillis("2000-02-29T12:00:00.5-02:30") == 951_834_600_500)
        #expect(ISO8601.parseMillis("2026-11-23") == 1_795_392_000_000)
        #expect(ISO8601.parseMillis("2026-11-23T10:00:00") == nil)  // no offset
        #expect(ISO8601.parseMillis("2026-13-01T00:00:00Z") == nil)
    }
}

@Suite struct DSLTests {
    static func errors(_ yaml: String) -> [DSLError] {
        do {
            _ = try ScoringDefinition.parse(yaml: yaml, file: "f.yaml")
            return []
        } catch { return error.errors }
    }

    @Test func fraudDefinitionParses() throws {
        let d = try ScoringDefinition.parse(yaml: PMMLFixtures.featuresV2)
        #expect(d.features.map(\.name) == ["amount", "new_beneficiary", "sum_1h", "count_1h"])
        #expect(d.features[2].window == Window(.sliding, sizeMs: 3_600_000))
        #expect(d.latenessMs == 60_000)
        #expect(d.modelInputs.map(\.feature) == ["amount", "new_beneficiary", "count_1h", "sum_1h"])
    }

    @Test func errorsNameFileLineAndField() {
        let e = Self.errors("""
            version: 1
            name: x
            input: a
            output: b
            keys: { account: account }
            features:
              c:
                aggregate: count
                key: acount
                window: { sliding: 1h }
              s:
                aggregate: summ
              w: { aggregate: sum, field: amount, key: account, window: { sliding: forever } }
            model:
              inputs: { c: c, z: nothere }
            decision: { review: 0.9, block: 0.8 }
            """)
        let shown = e.map(\.description)
        #expect(shown.contains("f.yaml:9: features.c.key: key 'acount' is not declared under keys"))
        #expect(shown.contains { $0.hasPrefix("f.yaml:12: features.s.aggregate: unknown aggregate 'summ'") })
        #expect(shown.contains { $0.hasPrefix("f.yaml:13: features.w.window.sliding: expected a positive duration") })
        #expect(shown.contains("f.yaml:15: model.inputs.z: feature 'nothere' is not defined under features"))
        #expect(shown.contains("f.yaml:16: decision.review: review threshold 0.9 is above the block threshold 0.8"))
        #expect(e.count == 5)
    }

    @Test func versionUnknownFieldsAndSyntax() {
        #expect(Self.errors("version: 2\nname: x\n").contains { $0.line == 1 && $0.field == "version" && $0.message.contains("unsupported version 2") })
        #expect(Self.errors("version: 1\nnmae: x\n").contains { $0.line == 2 && $0.field == "nmae" && $0.message.hasPrefix("unknown field") })
        #expect(Self.errors("name: x\n").contains { $0.field == "version" && $0.message == "required field is missing" })
        #expect(Self.errors("version: 1\nfeatures: [\n").contains { $0.message.hasPrefix("YAML syntax") && $0.line > 0 })
    }

    @Test func preprocessorErrorsNameLineAndField() {
        do {
            _ = try PreprocessorDefinition.parse(yaml: """
                version: 1
                output: p
                sources:
                  t:
                    fields:
                      a: { path: x, type: money }
                      b: { path: y, divide: 100 }
                      c: { const: 1, path: z }
                """, file: "pre.yaml")
            Issue.record("expected errors")
        } catch {
            let shown = error.errors.map(\.description)
            #expect(shown.contains { $0.hasPrefix("pre.yaml:6: sources.t.fields.a.type: unknown type 'money'") })
            #expect(shown.contains("pre.yaml:7: sources.t.fields.b: multiply/divide apply to number and integer fields only"))
            #expect(shown.contains("pre.yaml:8: sources.t.fields.c: exactly one of path and const is required"))
        }
    }
}

@Suite struct DeploymentTests {
    @Test func bothFraudModelsCompile() throws {
        let v1 = try PMMLFixtures.deployment("1")
        #expect(v1.pmml.inputFields.map(\.name) == ["amount", "new_beneficiary", "count_1h"])
        #expect(v1.id == "fraud@1")
        _ = try PMMLFixtures.deployment("2")
    }

    @Test func unfedModelInputIsRejected() {
        do {
            _ = try Deployment.compile(model: "fraud", version: "3", pmml: Array(PMMLFixtures.v2.utf8), features: PMMLFixtures.featuresV1, featuresFile: "v3.yaml")
            Issue.record("expected a rejection")
        } catch {
            #expect(error.problems == ["v3.yaml: model.inputs: model input field 'sum_1h' is not fed by any feature"])
            #expect(error.description.hasPrefix("deployment fraud version 3 rejected"))
        }
    }

    @Test func brokenPMMLUnknownColumnAndBadSampleAreRejected() {
        #expect(throws: DeploymentError.self) {
            try Deployment.compile(model: "m", version: "1", pmml: Array("<PMML>".utf8), features: PMMLFixtures.featuresV1)
        }
        do {
            _ = try Deployment.compile(model: "m", version: "1", pmml: Array(PMMLFixtures.v1.utf8),
                                       features: PMMLFixtures.featuresV1.replacingOccurrences("score: risk", "score: riskk"))
            Issue.record("expected a rejection")
        } catch {
            #expect(error.problems.count == 1 && error.problems[0].contains("no output column 'riskk'"))
        }
        do {
            _ = try Deployment.compile(model: "m", version: "1", pmml: Array(PMMLFixtures.v1.utf8), features: PMMLFixtures.featuresV1,
                                       samples: [Array("{not json".utf8)])
            Issue.record("expected a rejection")
        } catch {
            #expect(error.problems.count == 1 && error.problems[0].hasPrefix("sample 1 is not valid JSON"))
        }
    }

    @Test func controlRecordRoundTrips() throws {
        let r = DeploymentRequest(model: "fraud", version: "2", pmml: Array(PMMLFixtures.v2.utf8), features: PMMLFixtures.featuresV2,
                                  activation: .offset(42), samples: [Array(#"{"account":"A","amount":1}"#.utf8)])
        let back = try DeploymentRequest(json: r.json)
        #expect(back == r)
        #expect(try back.compile().version == "2")
    }

    @Test func stagingRequiresACaughtUpBackfillAndAFutureOffset() throws {
        var p = FeatureScoringProcessor(deployment: try PMMLFixtures.deployment("1"))
        var out: [OutputRecord] = []
        p.process(InputRecord(topic: "payments", partition: 0, offset: 0, timestamp: 0, key: nil, value: Array(#"{"account":"A","timestamp":1}"#.utf8)), into: &out)
        let v2 = try PMMLFixtures.deployment("2")
        #expect(throws: StreamsError.self) { try p.stage(Backfill(v2), activateAt: 5) }
        var b = Backfill(v2)
        b.apply(InputRecord(topic: "payments", partition: 0, offset: 0, timestamp: 0, key: nil, value: Array(#"{"account":"A","timestamp":1}"#.utf8)))
        #expect(throws: StreamsError.self) { try p.stage(b, activateAt: 0) }
        try p.stage(b, activateAt: 1)
        #expect(p.pendingDeployments.map(\.activateAt) == [1])
    }
}

@Suite struct JSONTests {
    @Test func roundTripsAndRejects() throws {
        let text = #"{"a":[1,-2.5,1e3,true,false,null],"b":"x\"\\\n\u00e9\ud83d\ude00","c":{}}"#
        let v = try JSONParser.parse(Array(text.utf8))
        #expect(v["b"] == .string("x\"\\\né😀"))
        #expect(try JSONParser.parse(JSONWriter.encode(v)) == v)
        for bad in ["", "{", "[1,]", "01", "\"\\x\"", "{\"a\" 1}", "1 2", "\"\u{01}\""] {
            #expect(throws: JSONError.self) { try JSONParser.parse(Array(bad.utf8)) }
        }
    }

    @Test func numbersAreWrittenAsTheirTextForm() {
        for d in [0, -0.0, 1, -1, 7, 10, 1_795_431_600_000, 999_999_999_999_999, -999_999_999_999_999, 1e15, -1e15, 0.5, -2.25, 1e-7, 400.5, 1e300] {
            #expect(JSONWriter.encode(.number(d)) == Array(JSONValue.format(d).utf8), "\(d)")
        }
        #expect(JSONWriter.encode(.array([.number(.nan), .number(-.infinity)])) == Array("[null,null]".utf8))
    }

    @Test func stringsAreEscapedOnlyWhereNeeded() {
        #expect(JSONWriter.encode(.string("")) == Array(#""""#.utf8))
        #expect(JSONWriter.encode(.string("plain é 😀")) == Array(#""plain é 😀""#.utf8))
        #expect(JSONWriter.encode(.string("a\"b\\c\n\u{01}")) == Array(#""a\"b\\c\n\u0001""#.utf8))
        let bridged = String(decoding: Array("x\ty".utf8), as: UTF8.self)
        #expect(JSONWriter.encode(.string(bridged)) == Array(#""x\ty""#.utf8))
    }
}

@Suite struct ReasonCodeTests {
    static let scorecard = PMMLFixtures.document(fields: ["amount", "new_beneficiary"], model: """
        <Scorecard functionName="regression" initialScore="0" useReasonCodes="true" reasonCodeAlgorithm="pointsAbove" baselineMethod="other">
          \(PMMLFixtures.schema(["amount", "new_beneficiary"]))
          <Output>
            <OutputField name="r1" optype="categorical" dataType="string" feature="reasonCode" rank="1"/>
            <OutputField name="r2" optype="categorical" dataType="string" feature="reasonCode" rank="2"/>
          </Output>
          <Characteristics>
            <Characteristic name="amount_band" reasonCode="AMOUNT" baselineScore="0.1">
              <Attribute partialScore="0.5"><SimplePredicate field="amount" operator="greaterThan" value="500"/></Attribute>
              <Attribute partialScore="0"><True/></Attribute>
            </Characteristic>
            <Characteristic name="payee" reasonCode="NEW_PAYEE" baselineScore="0.1">
              <Attribute partialScore="0.4"><SimplePredicate field="new_beneficiary" operator="equal" value="1"/></Attribute>
              <Attribute partialScore="0"><True/></Attribute>
            </Characteristic>
          </Characteristics>
        </Scorecard>
        """)

    static let features = """
        version: 1
        name: card
        input: payments
        output: decisions
        keys: { account: account, beneficiary: beneficiary }
        features:
          amount: { field: amount }
          new_beneficiary: { aggregate: first_time, key: [account, beneficiary], window: { sliding: 24h } }
        model:
          inputs: { amount: amount, new_beneficiary: new_beneficiary }
          score: risk
        decision: { review: 0.3, block: 0.8 }
        """

    @Test func decisionsCarryTheScorecardsReasonCodes() throws {
        let d = try Deployment.compile(model: "card", version: "1", pmml: Array(Self.scorecard.utf8), features: Self.features,
                                       samples: [Array(#"{"account":"A","amount":10,"beneficiary":"b"}"#.utf8)])
        var p = FeatureScoringProcessor(deployment: d)
        var out: [OutputRecord] = []
        for (i, json) in [#"{"account":"A","amount":1000,"beneficiary":"m"}"#, #"{"account":"A","amount":1000,"beneficiary":"m"}"#,
                          #"{"account":"A","amount":20,"beneficiary":"m"}"#].enumerated() {
            p.process(InputRecord(topic: "payments", partition: 0, offset: Int64(i), timestamp: Int64(i) * 1000, key: Array("A".utf8),
                                  value: Array(json.utf8)), into: &out)
        }
        let decisions = try out.map { try Decision(json: $0.value!) }
        #expect(decisions.map(\.outcome) == [.block, .review, .allow])
        #expect(decisions.map(\.score) == [0.9, 0.5, 0])
        #expect(decisions[0].reasonCodes == ["AMOUNT", "NEW_PAYEE"])
        #expect(decisions[1].reasonCodes == ["AMOUNT"])
        #expect(decisions[2].reasonCodes.isEmpty)
        #expect(decisions[0].key == "A")
    }
}
