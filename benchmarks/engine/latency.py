"""Risk engine end-to-end benchmark (issue 7): a mobile payment produced with confluent-kafka (acks=all) → the
in-broker preprocessor → payments → features + model → its decision readable by a confluent-kafka consumer.

Latency of event i = the time its decision i is received − the time event i was *scheduled* to be sent (so a
producer falling behind counts: no coordinated omission). Events map to decisions by order: one partition, one
business event and one decision per raw event. The consumer runs in its own process (no GIL sharing); both use
CLOCK_MONOTONIC.

  python3 benchmarks/engine/latency.py --bootstrap 127.0.0.1:9092 --rates 1000,10000,max --seconds 5
  python3 benchmarks/engine/latency.py --bootstrap ... --forest 100   # deploy a 100-tree forest first
Run by benchmarks/engine/run.sh, which starts the broker."""

import argparse
import json
import multiprocessing as mp
import random
import subprocess
import sys
import time
import uuid

import confluent_kafka

T0 = 1_795_431_600_000


def consumer_proc(bootstrap, start_offset, count, out, ready, timeout):
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-" + uuid.uuid4().hex[:8],
                                  "enable.auto.commit": False, "fetch.wait.max.ms": 100, "fetch.min.bytes": 1})
    c.assign([confluent_kafka.TopicPartition("decisions", 0, start_offset)])
    times = []
    ready.set()
    deadline = time.monotonic() + timeout
    while len(times) < count and time.monotonic() < deadline:
        # poll returns as soon as one decision is there (consume(n, timeout) would wait for n or the timeout:
        # up to 50 ms of the consumer's own in every figure); what arrived with it is drained without waiting.
        first = c.poll(0.05)
        if first is None:
            continue
        now = time.monotonic_ns()
        for m in [first] + c.consume(num_messages=10000, timeout=0):
            if m.error() is None:
                times.append(now)
    c.close()
    out.put(times)


def end_offset(bootstrap, topic):
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe"})
    try:
        lo, hi = c.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10)
        return hi
    finally:
        c.close()


def iso(t):
    s = t // 1000 % 86_400
    return f"2026-11-23T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z"


def events(n, tag):
    rnd = random.Random(7)
    out = []
    for i in range(n):
        t = T0 + i * 10  # 100 events per second of event time
        v = {"acct": f"A{rnd.randrange(20000)}-{tag}", "amount_eur": rnd.randrange(1, 2000), "to": {"iban": f"B{rnd.randrange(5000)}"},
             "created_at": iso(t), "device_id": f"d{rnd.randrange(30000)}"}
        out.append(json.dumps(v).encode())
    return out


def run(bootstrap, rate, seconds, max_events):
    n = max_events if rate == "max" else int(rate) * seconds
    payloads = events(n, uuid.uuid4().hex[:6])
    start_offset = end_offset(bootstrap, "decisions")
    out, ready = mp.Queue(), mp.Event()
    cons = mp.Process(target=consumer_proc, args=(bootstrap, start_offset, n, out, ready, seconds + 120))
    cons.start()
    ready.wait(30)
    time.sleep(1.0)  # the consumer's first fetch is in place
    # linger 1 ms at paced rates (a payment system waits for its decision), 5 ms as fast as possible (fewer,
    # larger requests).
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                  "linger.ms": 1 if rate != "max" else 5,
                                  "queue.buffering.max.messages": 1_000_000, "batch.num.messages": 10000})
    # Warm up: connection, metadata and producer id before the clock starts.
    p.produce("mobile.payments.warmup", value=b"{}")
    p.flush(30)
    sent = [0] * n
    acked = [0] * n

    def on_ack(i):
        def cb(err, msg):
            if err is None:
                acked[i] = time.monotonic_ns()
        return cb
    begin = time.monotonic_ns()
    if rate == "max":
        for i, v in enumerate(payloads):
            sent[i] = time.monotonic_ns()
            while True:
                try:
                    p.produce("mobile.payments", value=v, partition=0)
                    break
                except BufferError:
                    p.poll(0.001)
            if i % 1000 == 0:
                p.poll(0)
    else:
        # Paced in 1 ms ticks (no busy-wait: the broker shares the 2 cores); each event's send time is its
        # scheduled time, so a late tick counts against the latency.
        interval = 1e9 / int(rate)
        i = 0
        while i < n:
            now = time.monotonic_ns()
            while i < n and begin + int(i * interval) <= now:
                sent[i] = begin + int(i * interval)
                p.produce("mobile.payments", value=payloads[i], partition=0, on_delivery=on_ack(i))
                i += 1
            p.poll(0)
            time.sleep(0.001)
    p.flush(60)
    produced_at = time.monotonic_ns()
    times = out.get(timeout=seconds + 180)
    cons.join(10)
    if len(times) < n:
        return f"rate={rate} events={n} RECEIVED ONLY {len(times)} decisions"
    lat = sorted((times[i] - sent[i]) / 1e6 for i in range(n))

    def pct(q):
        return lat[min(n - 1, int(q * n))]

    wall = (times[-1] - begin) / 1e9
    line = (f"rate={rate:>6} events={n:>7} achieved={n / wall:>8.0f}/s  produce={n / ((produced_at - begin) / 1e9):>8.0f}/s  "
            f"latency ms p50={pct(0.50):.2f} p99={pct(0.99):.2f} max={lat[-1]:.2f}")
    if rate != "max" and all(acked):
        # The first of the three durable appends in series: the producer's own (scheduled send → acknowledged).
        ack = sorted((acked[i] - sent[i]) / 1e6 for i in range(n))
        line += f"  produce-ack ms p50={ack[n // 2]:.2f} p99={ack[min(n - 1, int(0.99 * n))]:.2f}"
    return line


def forest(fields, trees, depth):
    rnd = random.Random(7)

    def node(level):
        if level == depth:
            return ""
        f = rnd.choice(fields)
        v = rnd.randrange(1000) / 10
        return (f'<Node score="{rnd.randrange(100) / 100}"><SimplePredicate field="{f}" operator="lessOrEqual" value="{v}"/>{node(level + 1)}</Node>'
                f'<Node score="{rnd.randrange(100) / 100}"><SimplePredicate field="{f}" operator="greaterThan" value="{v}"/>{node(level + 1)}</Node>')

    schema = "<MiningSchema>" + "".join(f'<MiningField name="{f}"/>' for f in fields) + '<MiningField name="risk" usageType="target"/></MiningSchema>'
    segs = "\n".join(f'<Segment id="t{i}"><True/><TreeModel functionName="regression">{schema}<Node score="0.5"><True/>{node(0)}</Node></TreeModel></Segment>'
                     for i in range(trees))
    dd = "".join(f'<DataField name="{f}" optype="continuous" dataType="double"/>' for f in fields + ["risk"])
    return (f'<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/><DataDictionary>{dd}</DataDictionary>'
            f'<MiningModel functionName="regression">{schema}<Segmentation multipleModelMethod="average">\n{segs}\n</Segmentation></MiningModel></PMML>')


def deploy_forest(weir, bootstrap, trees, workdir):
    import pathlib
    d = pathlib.Path(workdir)
    fields = ["amount", "new_beneficiary", "count_1h", "sum_1h"]
    (d / "forest.pmml").write_text(forest(fields, trees, 6))
    features = (d / "fraud-v2.yaml").read_text()
    (d / "forest.yaml").write_text(features)
    version = f"forest{trees}-{uuid.uuid4().hex[:4]}"
    r = subprocess.run([weir, "model", "deploy", "--name", "fraud", "--version", version, "--pmml", str(d / "forest.pmml"),
                        "--features", str(d / "forest.yaml"), "--broker", bootstrap], capture_output=True, text=True, timeout=300)
    print(f"# deploy {trees}-tree forest: {r.stdout.strip()} {r.stderr.strip()}", flush=True)
    if r.returncode != 0:
        sys.exit(1)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--bootstrap", required=True)
    a.add_argument("--rates", default="1000,10000,max")
    a.add_argument("--seconds", type=int, default=5)
    a.add_argument("--max-events", type=int, default=100_000)
    a.add_argument("--forest", type=int, default=0)
    a.add_argument("--weir")
    a.add_argument("--files")
    args = a.parse_args()
    if args.forest:
        deploy_forest(args.weir, args.bootstrap, args.forest, args.files)
    for rate in args.rates.split(","):
        print("RESULT " + ("model=forest%d " % args.forest if args.forest else "model=fraud-v1 ") + run(args.bootstrap, rate, args.seconds, args.max_events), flush=True)


if __name__ == "__main__":
    main()
