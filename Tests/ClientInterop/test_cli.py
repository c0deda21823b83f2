"""The operator CLI (`weir topic/produce/consume`) against the broker, cross-checked with real clients."""

import re
import signal
import subprocess
import time

from kafka.partitioner.default import murmur2

from clients import confluent_consume, confluent_produce
from weirtest import WEIR_BIN, create_topic, free_port, make_records, raw_fetch_codecs, unique, weir


def test_topic_create_list_describe_delete(broker):
    b = ["--broker", broker.bootstrap]
    topic = unique("cli-topic")
    out = weir("topic", "create", topic, "--partitions", "3", "--config", "retention.ms=3600000", *b).stdout
    assert f"created topic {topic} with 3 partitions" in out

    assert topic in weir("topic", "list", *b).stdout.splitlines()

    described = weir("topic", "describe", topic, *b).stdout
    assert f"Topic: {topic}\tPartitions: 3" in described
    assert len(re.findall(r"\tPartition: \d+\tLeader: \d+", described)) == 3
    assert "HighWatermark: 0" in described
    assert re.search(r"retention\.ms=3600000\t\(topic\)", described), described
    assert re.search(r"cleanup\.policy=delete\t\(default\)", described), described

    out = weir("topic", "alter", topic, "--set", "segment.ms=60000", "--partitions", "4", *b).stdout
    assert "now has 4 partitions" in out
    described = weir("topic", "describe", topic, *b).stdout
    assert f"Partitions: 4" in described and "segment.ms=60000\t(topic)" in described

    assert f"deleted topic {topic}" in weir("topic", "delete", topic, *b).stdout
    assert topic not in weir("topic", "list", *b).stdout.splitlines()


def test_errors_name_the_kafka_error_and_exit_non_zero(broker):
    b = ["--broker", broker.bootstrap]
    topic = create_topic(broker, unique("cli-err"))

    again = weir("topic", "create", topic, *b, check=False)
    assert again.returncode != 0
    assert "TOPIC_ALREADY_EXISTS (36)" in again.stderr

    missing = weir("topic", "describe", unique("missing"), *b, check=False)
    assert missing.returncode != 0
    assert "UNKNOWN_TOPIC_OR_PARTITION (3)" in missing.stderr

    missing = weir("topic", "delete", unique("missing"), *b, check=False)
    assert missing.returncode != 0
    assert "UNKNOWN_TOPIC_OR_PARTITION (3)" in missing.stderr

    snappy = weir("produce", topic, "--compression", "snappy", *b, input="x\n", check=False)
    assert snappy.returncode != 0
    assert "not supported" in snappy.stderr

    port = free_port()  # nothing listens there
    for args in (["topic", "list"], ["consume", topic, "--timeout-ms", "100"], ["produce", topic]):
        result = weir(*args, "--broker", f"127.0.0.1:{port}", input="x\n", check=False)
        assert result.returncode != 0
        assert f"cannot connect to broker 127.0.0.1:{port}: connection refused" in result.stderr, result.stderr


def test_cli_produce_is_read_by_confluent_kafka(broker):
    partitions = 3
    topic = create_topic(broker, unique("cli-produce"), partitions=partitions)
    lines = [f"key-{i}:value {i} with: colon" for i in range(2000)]
    result = weir("produce", topic, "--key-separator", ":", "--compression", "gzip", "--header", "src=cli",
                  "--broker", broker.bootstrap, input="\n".join(lines) + "\n")
    assert "produced 2000 records" in result.stderr

    consumed = confluent_consume(broker.bootstrap, topic, range(partitions), 2000, 60)
    seen = []
    for partition, records in consumed.items():
        for key, value, headers in records:
            # Keyed records land where Kafka's default partitioner (murmur2) puts them.
            assert (murmur2(key) & 0x7FFFFFFF) % partitions == partition, key
            assert headers == [("src", b"cli")]
            seen.append(key.decode() + ":" + value.decode())
    assert sorted(seen) == sorted(lines)
    # Per key, order is kept (each key appears once here, so check per-partition order by index instead).
    for records in consumed.values():
        indexes = [int(k.decode().split("-")[1]) for k, _, _ in records]
        assert indexes == sorted(indexes)
    assert set(raw_fetch_codecs(broker.bootstrap, topic, 0)) == {"gzip"}


def test_cli_consume_reads_what_confluent_kafka_produced(broker):
    topic = create_topic(broker, unique("cli-consume"), partitions=1)
    records = make_records(500, "cli", 1)
    confluent_produce(broker.bootstrap, topic, records, "lz4")
    out = weir("consume", topic, "--from-beginning", "--max-messages", "500", "--print-key", "--key-separator", "=",
               "--broker", broker.bootstrap).stdout
    expected = [f"{k.decode()}={v.decode()}" for _, k, v, _ in records]
    assert out.splitlines() == expected

    # --max-messages stops early; --timeout-ms ends a quiet consume.
    out = weir("consume", topic, "--from-beginning", "--max-messages", "10", "--broker", broker.bootstrap).stdout
    assert out.splitlines() == [v.decode() for _, _, v, _ in records[:10]]
    out = weir("consume", topic, "--timeout-ms", "300", "--broker", broker.bootstrap).stdout
    assert out == ""  # from the latest offset: nothing new


def test_cli_group_consume_commits_and_resumes(broker):
    topic = create_topic(broker, unique("cli-group"), partitions=2)
    lines = [f"k{i % 2}:v{i}" for i in range(100)]
    weir("produce", topic, "--key-separator", ":", "--broker", broker.bootstrap, input="\n".join(lines) + "\n")
    group = unique("cli-g")
    b = ["--broker", broker.bootstrap, "--group", group]
    first = weir("consume", topic, "--from-beginning", "--max-messages", "30", *b).stdout.splitlines()
    assert len(first) == 30
    rest = weir("consume", topic, "--from-beginning", "--timeout-ms", "1500", *b).stdout.splitlines()
    assert sorted(first + rest, key=lambda v: int(v[1:])) == [f"v{i}" for i in range(100)], (first, rest)
    again = weir("consume", topic, "--timeout-ms", "800", *b).stdout.splitlines()
    assert again == []


def test_cli_group_consume_stops_cleanly_on_sigint(broker):
    """Ctrl-C prints what was read, commits it and leaves the group (exit 0), so the next member of the group
    starts after it at once instead of waiting for a session timeout."""
    topic = create_topic(broker, unique("cli-sigint"), partitions=2)
    weir("produce", topic, "--key-separator", ":", "--broker", broker.bootstrap,
         input="".join(f"k{i}:v{i}\n" for i in range(20)))
    group = unique("cli-sig")
    process = subprocess.Popen(
        [WEIR_BIN, "consume", topic, "--group", group, "--from-beginning", "--broker", broker.bootstrap],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while len(lines) < 20 and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        assert sorted(lines) == sorted(f"v{i}" for i in range(20))
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    start = time.monotonic()
    again = weir("consume", topic, "--group", group, "--timeout-ms", "500", "--broker", broker.bootstrap).stdout
    assert again == ""
    assert time.monotonic() - start < 5, "the group waited for the stopped member's session to expire"
