import Testing
@testable import WeirStreams

@Suite struct FeatureTests {
    static func engine(_ features: String, lateness: String = "0") throws -> FeatureEngine {
        FeatureEngine(try ScoringDefinition.parse(yaml: """
            version: 1
            name: t
            input: in
            output: out
            event_time: t
            lateness: \(lateness)
            keys:
              account: account
              beneficiary: beneficiary
              device: device.id
            features:
            \(features)
            model:
              inputs: {}
            decision: { review: 0.5, block: 0.8 }
            """))
    }

    /// Feeds events `(time, account, amount, beneficiary)` and returns each event's feature values.
    static func run(_ engine: FeatureEngine, _ events: [(Int64, String, Double, String)]) throws -> [[FeatureValue]] {
        var state = engine.emptyState()
        var out: [[FeatureValue]] = []
        var values: [FeatureValue] = []
        for (i, e) in events.enumerated() {
            let json = try JSONParser.parse(Array(#"{"t":\#(e.0),"account":"\#(e.1)","amount":\#(e.2),"beneficiary":"\#(e.3)","device":{"id":"d-\#(e.1)"}}"#.utf8))
            engine.apply(event: json, time: e.0, offset: Int64(i), state: &state, values: &values)
            out.append(values)
        }
        return out
    }

    static let min = Int64(60_000)

    @Test func slidingWindowAggregates() throws {
        let e = try Self.engine("""
              c: { aggregate: count, key: account, window: { sliding: 10m } }
              s: { aggregate: sum, field: amount, key: account, window: { sliding: 10m } }
              a: { aggregate: avg, field: amount, key: account, window: { sliding: 10m } }
              lo: { aggregate: min, field: amount, key: account, window: { sliding: 10m } }
              hi: { aggregate: max, field: amount, key: account, window: { sliding: 10m } }
              d: { aggregate: distinct_count, field: beneficiary, key: account, window: { sliding: 10m } }
            """)
        let r = try Self.run(e, [(0, "A", 10, "x"), (5 * Self.min, "A", 30, "y"), (5 * Self.min + 1, "B", 99, "x"),
                                 (10 * Self.min, "A", 20, "x"), (15 * Self.min, "A", 5, "z")])
        #expect(r[0] == [.number(1), .number(10), .number(10), .number(10), .number(10), .number(1)])
        #expect(r[1] == [.number(2), .number(40), .number(20), .number(10), .number(30), .number(2)])
        #expect(r[2] == [.number(1), .number(99), .number(99), .number(99), .number(99), .number(1)])
        // (0, 10m]: the event at time 0 has left the window.
        #expect(r[3] == [.number(2), .number(50), .number(25), .number(20), .number(30), .number(2)])
        // (5m, 15m]: the 5m event is out, the 10m one in.
        #expect(r[4] == [.number(2), .number(25), .number(12.5), .number(5), .number(20), .number(2)])
    }

    @Test func tumblingWindowResetsAtTheBucketBoundary() throws {
        let e = try Self.engine("""
              c: { aggregate: count, key: account, window: { tumbling: 10m } }
              s: { aggregate: sum, field: amount, key: account, window: { tumbling: 10m } }
            """)
        let r = try Self.run(e, [(1 * Self.min, "A", 1, "x"), (9 * Self.min, "A", 2, "x"), (10 * Self.min, "A", 4, "x"), (19 * Self.min, "A", 8, "x")])
        #expect(r.map { $0[0] } == [.number(1), .number(2), .number(1), .number(2)])
        #expect(r.map { $0[1] } == [.number(1), .number(3), .number(4), .number(12)])
    }

    @Test func firstTimePairAndTimeSincePrevious() throws {
        let e = try Self.engine("""
              new_pair: { aggregate: first_time, key: [account, beneficiary], window: { sliding: 24h } }
              since: { aggregate: time_since_previous, key: account, default: -1 }
              devices: { aggregate: distinct_count, field: account, key: device, window: { sliding: 1h } }
            """)
        let h = 60 * Self.min
        let r = try Self.run(e, [(0, "A", 1, "x"), (h, "A", 1, "x"), (2 * h, "A", 1, "y"), (2 * h + 5, "B", 1, "x"), (26 * h, "A", 1, "x")])
        #expect(r.map { $0[0] } == [.number(1), .number(0), .number(1), .number(1), .number(1)])  // x again after > 24 h is new again
        #expect(r.map { $0[1] } == [.number(-1), .number(Double(h)), .number(Double(h)), .number(-1), .number(Double(24 * h))])
        #expect(r.map { $0[2] } == [.number(1), .number(1), .number(1), .number(1), .number(1)])
    }

    @Test func lateEventsWithinLatenessCountAndLaterOnesDoNot() throws {
        let e = try Self.engine("  c: { aggregate: count, key: account, window: { sliding: 1h } }", lateness: "1m")
        var state = e.emptyState()
        var values: [FeatureValue] = []
        func feed(_ t: Int64, _ offset: Int64) throws -> (Bool, FeatureValue) {
            let json = try JSONParser.parse(Array(#"{"t":\#(t),"account":"A"}"#.utf8))
            let late = e.apply(event: json, time: t, offset: offset, state: &state, values: &values)
            return (late, values[0])
        }
        #expect(try feed(10 * Self.min, 0) == (false, .number(1)))
        #expect(e.watermark(state) == 9 * Self.min)
        // 30 s out of order, within lateness: kept; its window (t - 1h, t] does not reach the later event.
        #expect(try feed(9 * Self.min + 30_000, 1) == (false, .number(1)))
        #expect(try feed(8 * Self.min, 2) == (true, .number(1)))  // behind the watermark: scored, not kept
        #expect(try feed(11 * Self.min, 3) == (false, .number(3)))  // the late event was not added
        #expect(state.lastOffset == 3)
    }

    @Test func evictionBoundsTheState() throws {
        let e = try Self.engine("  c: { aggregate: count, key: account, window: { sliding: 1m } }")
        let events = (0..<10_000).map { (Int64($0) * 1000, "A\($0 % 7)", 1.0, "x") }
        var state = e.emptyState()
        var values: [FeatureValue] = []
        for (i, ev) in events.enumerated() {
            let json = try JSONParser.parse(Array(#"{"t":\#(ev.0),"account":"\#(ev.1)"}"#.utf8))
            e.apply(event: json, time: ev.0, offset: Int64(i), state: &state, values: &values)
        }
        #expect(state.entryCount <= 70)
        #expect(values[0] == .number(9))  // one event every 7 s in the last 60 s: 60/7 rounded up
    }

    @Test func theSweepDropsKeysNotSeenAgain() throws {
        // 5,000 accounts seen once each, a second apart: only the periodic sweep (every 4,096 events) removes them.
        let e = try Self.engine("  c: { aggregate: count, key: account, window: { sliding: 1m } }")
        var state = e.emptyState()
        var values: [FeatureValue] = []
        for i in 0..<5000 {
            let json = try JSONParser.parse(Array(#"{"t":\#(i * 1000),"account":"A\#(i)"}"#.utf8))
            e.apply(event: json, time: Int64(i) * 1000, offset: Int64(i), state: &state, values: &values)
        }
        #expect(state.keyCount == 5000 - 4036)  // the sweep at t = 4,095 s dropped t <= 4,035 s
        #expect(state.entryCount == state.keyCount)
        #expect(values == [.number(1)])
    }

    @Test func missingKeyOrFieldGivesTheDefault() throws {
        let e = try Self.engine("""
              amount: { field: amount, default: 0 }
              c: { aggregate: count, key: beneficiary, window: { sliding: 1h }, default: -1 }
            """)
        var state = e.emptyState()
        var values: [FeatureValue] = []
        e.apply(event: try JSONParser.parse(Array(#"{"t":1,"account":"A"}"#.utf8)), time: 1, offset: 0, state: &state, values: &values)
        #expect(values == [.number(0), .number(-1)])
    }

    @Test func stateRoundTripsThroughTheProcessorSnapshot() throws {
        let d = try PMMLFixtures.deployment("1")
        var p = FeatureScoringProcessor(deployment: d)
        var out: [OutputRecord] = []
        for i in 0..<5 {
            p.process(InputRecord(topic: "payments", partition: 0, offset: Int64(i), timestamp: 0, key: nil,
                                  value: Array(#"{"account":"A","amount":600,"beneficiary":"b\#(i)","timestamp":\#(i * 1000)}"#.utf8)), into: &out)
        }
        var q = FeatureScoringProcessor(deployment: d)
        try q.restore(try p.snapshot())
        #expect(q.state == p.state)
        var a: [OutputRecord] = [], b: [OutputRecord] = []
        let next = InputRecord(topic: "payments", partition: 0, offset: 5, timestamp: 0, key: nil,
                               value: Array(#"{"account":"A","amount":600,"beneficiary":"z","timestamp":9000}"#.utf8))
        p.process(next, into: &a)
        q.process(next, into: &b)
        #expect(a == b)
        #expect(try Decision(json: a[0].value!).outcome == .block)
    }
}
