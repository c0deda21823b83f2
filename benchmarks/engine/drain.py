"""Risk engine throughput without a load generator competing for the cores (issue 7): `fill` writes N mobile
payments to a broker running no processors; `wait` (run right after that broker's data directory is served
again with `--processors`) polls the decisions topic's end offset until all N are decided and prints the rate,
counted from the moment the broker with processors was launched (start and recovery included). Single partition, model v1.

  python3 benchmarks/engine/drain.py fill --bootstrap 127.0.0.1:9092 --events 200000
  python3 benchmarks/engine/drain.py wait --bootstrap 127.0.0.1:9092 --events 200000 --started MONOTONIC_NS
Run by benchmarks/engine/run.sh (DRAIN=N)."""

import argparse
import sys
import time

import confluent_kafka

from latency import events


def fill(bootstrap, n):
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20,
                                  "queue.buffering.max.messages": 1_000_000, "batch.num.messages": 10000})
    for v in events(n, "drain"):
        while True:
            try:
                p.produce("mobile.payments", value=v, partition=0)
                break
            except BufferError:
                p.poll(0.01)
    if p.flush(120) != 0:
        sys.exit("events left unsent")


def wait(bootstrap, n, started_ns, timeout):
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "drain-probe"})
    tp = confluent_kafka.TopicPartition("decisions", 0)
    deadline = time.monotonic() + timeout
    end = 0
    while time.monotonic() < deadline:
        try:
            end = c.get_watermark_offsets(tp, timeout=5)[1]
        except confluent_kafka.KafkaException:
            end = 0  # the host has not created the topic yet
        if end >= n:
            break
        time.sleep(0.02)
    done = time.monotonic_ns()
    c.close()
    if end < n:
        return f"DRAIN events={n} DECIDED ONLY {end} within {timeout} s"
    secs = (done - started_ns) / 1e9
    return f"DRAIN model=fraud-v1 events={n} seconds={secs:.2f} decisions_per_s={n / secs:.0f} (from the launch of the broker with processors)"


def main():
    a = argparse.ArgumentParser()
    a.add_argument("mode", choices=["fill", "wait"])
    a.add_argument("--bootstrap", required=True)
    a.add_argument("--events", type=int, default=200_000)
    a.add_argument("--started", type=int, default=0)
    a.add_argument("--timeout", type=int, default=300)
    args = a.parse_args()
    if args.mode == "fill":
        fill(args.bootstrap, args.events)
    else:
        print("RESULT " + wait(args.bootstrap, args.events, args.started, args.timeout), flush=True)


if __name__ == "__main__":
    main()
