"""The in-broker risk engine through real Kafka clients (issue 7): raw web/mobile events produced with
confluent-kafka, decisions consumed with it; model v2 deployed with `weir model deploy` (no restart); exactly one
decision per event across SIGKILLs of `weir serve`; the same processors standalone (`weir process`) against a
Weir broker acting as an external cluster."""

import json
import signal
import subprocess
import time
from pathlib import Path

import confluent_kafka
import pytest

from weirtest import WEIR_BIN, Broker, raw_fetch_batches, serve_help, unique, wait_until, weir

T0 = 1_795_431_600_000  # 2026-11-23T11:00:00Z
MINUTE = 60_000


class EngineBroker(Broker):
    """`weir serve --processors FILE` (stopped by PID only)."""

    def __init__(self, processors, data_dir=None):
        super().__init__(data_dir)
        self.processors = processors

    def start(self, timeout=30):
        assert self.process is None, "broker already running"
        args = [WEIR_BIN, "serve", "--data", str(self.data_dir / "data"), "--listen", self.bootstrap,
                "--metrics", f"127.0.0.1:{self.metrics_port}", "--processors", str(self.processors)]
        if "--group-initial-rebalance-delay-ms" in serve_help():
            args += ["--group-initial-rebalance-delay-ms", "0"]
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        import socket

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"weir serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(ready, timeout, what=f"weir serve to listen on {self.bootstrap}")

    def kill(self):
        """SIGKILL: no shutdown, no flush beyond what was acknowledged."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)
        self.process = None
        self._log.close()
        self._log = None


@pytest.fixture
def files(tmp_path):
    weir("demo", "fraud", "--write-files", str(tmp_path / "fraud"))
    return tmp_path / "fraud"


def iso(t):
    s = t // 1000 % 86_400
    return f"2026-11-23T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z"


def mobile(account, euros, to, minute):
    t = T0 + minute * MINUTE
    value = {"acct": account, "amount_eur": euros, "to": {"iban": to}, "created_at": iso(t), "device_id": "phone-1"}
    return [("mobile.payments", account, json.dumps(value), t)]


def web(session, account, cents, to, minute):
    t = T0 + minute * MINUTE
    return [
        ("web.events", session, json.dumps({"type": "payment_start", "session": {"id": session, "account": account}, "ts": t}), t),
        ("web.events", session, json.dumps({"type": "page_view", "session": {"id": session}, "ts": t + 5000}), t + 5000),
        ("web.events", session, json.dumps({"type": "payment_details", "session": {"id": session},
                                            "details": {"amount_cents": cents, "iban": to}, "ts": t + 10000}), t + 10000),
        ("web.events", session, json.dumps({"type": "payment_confirm", "session": {"id": session}, "ts": t + 30000}), t + 30000),
    ]


BEFORE_V2 = [
    web("s1", "NL01", 5000, "NL-FRIEND", 20),
    mobile("NL01", 1000, "NL-MULE1", 30),
    mobile("NL01", 1000, "NL-MULE2", 35),
    mobile("NL01", 400, "NL-MULE3", 40),
    mobile("NL01", 400, "NL-MULE4", 45),
]
AFTER_V2 = [
    mobile("NL01", 400, "NL-MULE5", 50),
    web("s2", "NL02", 2000, "NL-SHOP", 52),
]
EXPECTED = [("NL01", "allow", "1"), ("NL01", "block", "1"), ("NL01", "block", "1"), ("NL01", "allow", "1"),
            ("NL01", "allow", "1"), ("NL01", "block", "2"), ("NL02", "allow", "2")]


def producer(bootstrap):
    return confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                     "linger.ms": 0, "message.timeout.ms": 60000})


def produce(p, events):
    for topic, key, value, ts in events:
        p.produce(topic, key=key.encode(), value=value.encode(), timestamp=ts, partition=0)
    assert p.flush(30) == 0, "records left unsent"


class Decisions:
    """A confluent-kafka consumer of `decisions` partition 0 from the beginning."""

    def __init__(self, bootstrap, topic="decisions"):
        self.consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": unique("risk"),
                                                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self.consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        self.records = []

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.records) < count and time.monotonic() < deadline:
            m = self.consumer.poll(0.2)
            if m is None or m.error():
                continue
            headers = dict(m.headers() or [])
            self.records.append((json.loads(m.value()), headers))
        assert len(self.records) >= count, f"{len(self.records)} decisions after {timeout}s, expected {count}"
        return [d for d, _ in self.records]

    def drain(self, quiet=1.0):
        """Reads until nothing arrives for `quiet` seconds (bounded)."""
        end = time.monotonic() + 30
        last = time.monotonic()
        while time.monotonic() < end and time.monotonic() - last < quiet:
            m = self.consumer.poll(0.1)
            if m is not None and not m.error():
                self.records.append((json.loads(m.value()), dict(m.headers() or [])))
                last = time.monotonic()
        return [d for d, _ in self.records]

    def close(self):
        self.consumer.close()


def exactly_one_decision_each(bootstrap, total, timeout):
    """Reads every decision until quiet; asserts one per input offset 0..total-1 (no gap, no duplicate)."""
    decisions = Decisions(bootstrap)
    try:
        decisions.wait_for(total, timeout=timeout)
        got = decisions.drain(quiet=1.5)
    finally:
        decisions.close()
    offsets = [d["input"]["offset"] for d in got]
    assert offsets == list(range(total)), f"{len(offsets)} decisions; duplicates/gaps: {sorted(set(range(total)) ^ set(offsets))[:10]}"
    return got


def play_ing(bootstrap, files):
    """The ING scenario: each step's events, then its decision; v2 deployed with the CLI in between."""
    p = producer(bootstrap)
    decisions = Decisions(bootstrap)
    try:
        for i, step in enumerate(BEFORE_V2):
            produce(p, step)
            decisions.wait_for(i + 1)
        # A broken feature definition is rejected with file, line and field; v1 keeps deciding.
        bad = files / "fraud-bad.yaml"
        bad.write_text((files / "fraud-v2.yaml").read_text().replace("key: account, window: { sliding: 1h } }", "key: acount, window: { sliding: 1h } }", 1))
        rejected = weir("model", "deploy", "--name", "fraud", "--version", "3", "--pmml", str(files / "fraud-v2.pmml"),
                        "--features", str(bad), "--broker", bootstrap, check=False)
        assert rejected.returncode == 1, rejected.stdout + rejected.stderr
        assert "REJECTED" in rejected.stdout and "acount" in rejected.stdout and ":" in rejected.stdout, rejected.stdout

        deployed = weir("model", "deploy", "--name", "fraud", "--version", "2", "--pmml", str(files / "fraud-v2.pmml"),
                        "--features", str(files / "fraud-v2.yaml"), "--broker", bootstrap)
        assert "accepted" in deployed.stdout and "payments/0@5" in deployed.stdout, deployed.stdout
        listed = weir("model", "list", "--broker", bootstrap).stdout
        assert "rejected" in listed and "(current)" in listed, listed

        for i, step in enumerate(AFTER_V2):
            produce(p, step)
            decisions.wait_for(len(BEFORE_V2) + i + 1)
        got = decisions.drain()
        headers = [h for _, h in decisions.records]
    finally:
        decisions.close()
    assert [(d["key"], d["decision"], d["model_version"]) for d in got] == EXPECTED
    assert [d["input"]["offset"] for d in got] == list(range(len(EXPECTED)))
    assert all(d["model"] == "fraud" and d["input"]["topic"] == "payments" for d in got)
    assert got[5]["features"]["sum_1h"] == 3250 and got[5]["score"] == 0.9
    assert [h["weir.version"].decode() for h in headers] == ["fraud@1"] * 5 + ["fraud@2"] * 2


def add_card_payments(bootstrap, files, decided):
    """After the ING scenario: a business user deploys preprocessor v2, which also reads a card-payments topic with
    its own schema, with `weir preprocessor deploy` (no restart); the next card payment gets a decision."""
    v2 = files / "preprocessor-v2.yaml"  # written by `weir demo fraud --write-files`
    bad = files / "preprocessor-bad.yaml"
    bad.write_text(v2.read_text().replace("format: epoch_seconds", "format: fortnights"))
    refused = weir("preprocessor", "deploy", "--name", "payments", "--definition", str(bad), "--broker", bootstrap, check=False)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert f"{bad}:" in refused.stderr and "fortnights" in refused.stderr, refused.stderr
    deployed = weir("preprocessor", "deploy", "--name", "payments", "--version", "2", "--definition", str(v2), "--broker", bootstrap)
    assert "accepted" in deployed.stdout and "card.payments/0@0" in deployed.stdout, deployed.stdout
    assert "payments" in weir("model", "list", "--broker", bootstrap).stdout

    p = producer(bootstrap)
    t = T0 + 58 * MINUTE
    card = json.dumps({"card": {"account": "NL07"}, "amount_cents": 1999, "merchant": "NL-CAFE", "at": t // 1000})
    produce(p, [("card.payments", "NL07", card, t)])
    decisions = Decisions(bootstrap)
    try:
        got = decisions.wait_for(decided + 1)
    finally:
        decisions.close()
    assert got[decided]["key"] == "NL07" and got[decided]["input"]["offset"] == decided, got[decided]
    assert got[decided]["features"]["amount"] == 19.99, got[decided]


def test_ing_scenario_in_the_broker_through_confluent_kafka(files, tmp_path):
    b = EngineBroker(files / "processors.yaml")
    try:
        b.start()
        play_ing(b.bootstrap, files)
        add_card_payments(b.bootstrap, files, len(EXPECTED))
    finally:
        b.cleanup()


def committed(bootstrap, group, topic):
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return c.committed([confluent_kafka.TopicPartition(topic, 0)], timeout=10)[0].offset
    finally:
        c.close()


def test_ing_scenario_with_weir_process_against_an_external_cluster(files, tmp_path):
    b = Broker()  # a plain broker: no processors of its own
    b.start()
    log = open(tmp_path / "process.log", "wb")
    proc = subprocess.Popen([WEIR_BIN, "process", "--bootstrap", b.bootstrap, "--config", str(files / "processors.yaml")],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: "decisions" in weir("topic", "list", "--broker", b.bootstrap).stdout, 30, what="weir process to create its topics")
        play_ing(b.bootstrap, files)
        # Positions are committed as consumer-group offsets (one group per processor), as Kafka tools expect.
        wait_until(lambda: committed(b.bootstrap, "weir-process.fraud", "payments") == len(EXPECTED), 15,
                   what="weir process to commit the model's input position")
        wait_until(lambda: committed(b.bootstrap, "weir-process.payments", "mobile.payments") == 5, 15,
                   what="weir process to commit the preprocessor's input position")
        # Its outputs were written by an idempotent producer: one producer id, consecutive sequences.
        batches = raw_fetch_batches(b.bootstrap, "decisions", 0)
        assert {x["producer_id"] for x in batches} != {-1} and len({x["producer_id"] for x in batches}) == 1, batches
        assert [x["base_sequence"] for x in batches] == [sum(y["record_count"] for y in batches[:i]) for i in range(len(batches))], batches
        add_card_payments(b.bootstrap, files, len(EXPECTED))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()
        b.cleanup()


def test_exactly_one_decision_per_event_across_sigkill(files, tmp_path):
    """Payments arrive while `weir serve` is SIGKILLed twice mid-stream: every raw event ends up as exactly one
    business event and exactly one decision (no gap, no duplicate)."""
    processors = files / "processors.yaml"
    processors.write_text(processors.read_text() + "snapshot_every: 7\n")
    b = EngineBroker(processors)
    total = 0
    try:
        b.start()
        p = producer(b.bootstrap)
        for round_, count in enumerate([150, 150, 100]):
            events = []
            for i in range(total, total + count):
                events += mobile(f"NL{i % 11:02d}", 10 + i % 900, f"B{i % 13}", i // 10)
            produce(p, events)
            total += count
            if round_ < 2:
                time.sleep(0.05 * (round_ + 1))  # the engine is mid-stream
                b.kill()
                b.start()
                p = producer(b.bootstrap)
        exactly_one_decision_each(b.bootstrap, total, timeout=60)
        payments = Decisions(b.bootstrap, topic="payments")
        try:
            payments.wait_for(total)
            business = payments.drain(quiet=1.0)
        finally:
            payments.close()
        assert len(business) == total
        assert [e["amount"] for e in business] == [10 + i % 900 for i in range(total)]
    finally:
        b.cleanup()


def test_exactly_one_decision_per_event_across_a_failover(files):
    """A pair, both nodes with the processors: the host runs on the primary only. The primary is SIGKILLed while
    payments flow; the replica is promoted and its host recovers from the replicated snapshots and output tails:
    every raw event has exactly one decision on the new primary, no gap, no duplicate."""
    from pairtest import Pair

    processors = files / "processors.yaml"
    processors.write_text(processors.read_text() + "snapshot_every: 9\n")
    pair = Pair(extra=("--processors", str(processors)))
    try:
        pair.start()
        primary, replica = pair.nodes
        wait_until(lambda: "decisions" in pair.weir("topic", "list", "--broker", primary.address).stdout, 30,
                   what="the host to create its topics")
        p = producer(pair.bootstrap)
        total = 0
        first = []
        for i in range(200):
            first += mobile(f"NL{i % 11:02d}", 10 + i, f"B{i % 13}", i // 10)
        produce(p, first)
        total += 200
        # The replica's host stays inactive: it writes nothing of its own (its logs only follow the primary's).
        time.sleep(0.1)  # mid-stream
        primary.kill()
        pair.promote(replica)
        p = producer(replica.address)
        second = []
        for i in range(200, 300):
            second += mobile(f"NL{i % 11:02d}", 10 + i, f"B{i % 13}", i // 10)
        produce(p, second)
        total += 100
        got = exactly_one_decision_each(replica.address, total, timeout=90)
        assert [d["features"]["amount"] for d in got] == [10 + i for i in range(total)]
    except BaseException:
        print(pair.logs_tail())
        raise
    finally:
        pair.cleanup()


def test_weir_demo_fraud_in_process_and_twice_against_a_broker(files):
    """`weir demo fraud` as the README shows it: in its own process, then twice against a running
    `weir serve --processors` (the second run must not collide with the first one's events and versions)."""
    alone = weir("demo", "fraud", check=False)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "✓ every event got exactly one decision" in alone.stdout, alone.stdout
    assert "payments version 2 accepted" in alone.stdout and "card.payments/0@0" in alone.stdout, alone.stdout
    b = EngineBroker(files / "processors.yaml")
    try:
        b.start()
        for run in range(2):
            out = weir("demo", "fraud", "--broker", b.bootstrap, check=False)
            assert out.returncode == 0, f"run {run}:\n{out.stdout}{out.stderr}"
            assert "✓ every event got exactly one decision" in out.stdout, out.stdout
    finally:
        b.cleanup()
