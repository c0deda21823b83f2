"""Multi-process failover tests of a two-node pair on 127.0.0.1 (issue 5, 5(b)): SIGKILL and SIGSTOP of either
node at a random point while a real client produces — confluent-kafka's idempotent producer with acks=all and
both nodes in its bootstrap list, kcat after a failover — then promotion where the primary was lost, rejoin,
and a check of both nodes' logs: every acknowledged message exactly once at its offset on both, the same
batches on both, no fatal producer error, and a consumer group resuming from its committed offsets on the
new primary. Also `weir drill --cycles 3` for kill and freeze."""

import json
import random
import subprocess
import time

import confluent_kafka
import pytest

from pairtest import ConfluentStream, assert_logs_hold
from weirtest import SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, WEIR_BIN, unique, wait_until

PARTITIONS = 2
SEED = random.randrange(1 << 30)



def create_topic(pair, name):
    result = pair.weir("topic", "create", name, "--partitions", str(PARTITIONS), "--broker", pair.nodes[0].address)
    assert result.returncode == 0, result.stderr
    # The replica has the partitions once the catalogue replicated.
    wait_until(lambda: len([p for p in (pair.status(pair.nodes[1]) or {"partitions": []})["partitions"] if p["topic"] == name]) == PARTITIONS,
               30, interval=0.1, what="the replica to have the topic")
    return name


def consume_and_commit(bootstrap, topic, group, count, timeout=60):
    """A group member consumes at least `count` messages of each partition, commits them synchronously and leaves. Returns the committed
    offsets {partition: offset}."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
    })
    try:
        consumer.subscribe([topic])
        got = {p: 0 for p in range(PARTITIONS)}
        deadline = time.monotonic() + timeout
        while min(got.values()) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got[msg.partition()] += 1
        assert min(got.values()) >= count, f"consumed {got}, wanted {count} of each partition"
        consumer.commit(asynchronous=False)
        committed = consumer.committed([confluent_kafka.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        return {tp.partition: tp.offset for tp in committed}
    finally:
        consumer.close()


def resume_offsets(bootstrap, topic, group, timeout=60):
    """A new member of `group`: the committed offsets it is given and the first offset it reads per partition."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
    })
    try:
        consumer.subscribe([topic])
        first = {}
        deadline = time.monotonic() + timeout
        while len(first) < PARTITIONS and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None and msg.partition() not in first:
                first[msg.partition()] = msg.offset()
        committed = consumer.committed([confluent_kafka.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        return {tp.partition: tp.offset for tp in committed}, first
    finally:
        consumer.close()


def kcat_produce(bootstrap, topic, values):
    lines = b"".join(v + b"\n" for v in values)
    result = subprocess.run(
        ["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-X", "acks=all", "-X", "enable.idempotence=true",
         "-X", "message.timeout.ms=30000"],
        input=lines, capture_output=True, timeout=60)
    stderr = result.stderr.decode(errors="replace")
    # Connection errors to the dead node are reported (and expected); a lost message says "Delivery failed".
    assert result.returncode == 0 and "Delivery failed" not in stderr, stderr


@pytest.mark.parametrize("fault,victim", [("kill", "primary"), ("stop", "primary"), ("kill", "replica"), ("stop", "replica")])
def test_failover_with_idempotent_producer(pair, fault, victim):
    rng = random.Random(f"{SEED}-{fault}-{victim}")
    print(f"seed {SEED}")
    topic = create_topic(pair, unique(f"failover-{fault}-{victim}"))
    primary, replica = pair.nodes
    stream = ConfluentStream(pair.bootstrap, topic, PARTITIONS, tag=f"{fault}-{victim}").start()
    try:
        stream.wait_delivered(200, 60, "the first deliveries")
        group = unique("failover-group")
        committed = None
        if fault == "kill" and victim == "primary":
            committed = consume_and_commit(pair.bootstrap, topic, group, 50)
            assert all(committed[p] > 0 for p in range(PARTITIONS)), committed
        time.sleep(rng.uniform(0.1, 1.0))
        target = primary if victim == "primary" else replica
        before = stream.delivered_count()
        if fault == "kill":
            target.kill()
        else:
            target.freeze()
        kcat_values = []
        if victim == "primary":
            epoch = pair.promote(replica)
            assert epoch >= 2
            if fault == "kill":
                # kcat (librdkafka) with the dead node first in its bootstrap list follows the failover too.
                kcat_values = [f"kcat-{i}".encode() for i in range(50)]
                kcat_produce(pair.bootstrap, topic, kcat_values)
            stream.wait_delivered(before + 200, 60, "deliveries on the new primary")
            time.sleep(rng.uniform(0.0, 0.5))
            if fault == "kill":
                primary.start()
            else:
                primary.thaw()
            new_primary, new_replica = replica, primary
        else:
            # Without its replica the primary acknowledges nothing (NOT_ENOUGH_REPLICAS after the timeout,
            # retried by the producer); it resumes once the replica is back.
            time.sleep(rng.uniform(0.5, 2.0))
            stalled = stream.delivered_count()
            if fault == "kill":
                replica.start()
            else:
                replica.thaw()
            stream.wait_delivered(stalled + 200, 60, "deliveries after the replica came back")
            new_primary, new_replica = primary, replica
        ps, rs = pair.wait_synchronous(new_primary, new_replica, 60)
        if victim == "primary":
            assert rs["epoch"] == ps["epoch"] == epoch
            # (The audit line is fsynced just after the role change that status shows.)
            wait_until(lambda: "steppedDown" in primary.audit_log, 10, interval=0.1, what="the old primary's audit of its step-down")
        stream.wait_delivered(stream.delivered_count() + 100, 60, "deliveries after the rejoin")
        remaining = stream.stop()
        assert remaining == 0, f"{remaining} messages without a delivery report"
        assert not stream.fatal, f"fatal producer error: {stream.fatal}"
        assert not stream.failed, f"{len(stream.failed)} messages failed, e.g. {stream.failed[:3]}"
        assert len(stream.delivered) == stream.sent
        pair.wait_settled(topic, PARTITIONS)
        delivered = list(stream.delivered)
        assert_logs_hold(pair, topic, PARTITIONS, delivered)
        if kcat_values:
            from pairtest import read_node_log
            for node in pair.nodes:
                _, records, _ = read_node_log(node.address, topic, 0)
                values = [v for _, _, v in records]
                for v in kcat_values:
                    assert values.count(v) == 1, f"kcat's {v!r} is {values.count(v)} times on node {node.node_id}"
        if committed is not None:
            resumed, first = resume_offsets(pair.bootstrap, topic, group)
            assert resumed == committed, f"committed offsets on the new primary {resumed}, committed before {committed}"
            assert first == committed, f"the group resumed at {first}, committed {committed}"
    except BaseException:
        stream.stop(flush_timeout=5)
        print(pair.logs_tail())
        raise


@pytest.mark.parametrize("fault", ["kill", "freeze"])
def test_weir_drill_three_cycles(fault):
    result = subprocess.run(
        [WEIR_BIN, "drill", "--fault", fault, "--cycles", "3", "--json", "--before-fault-ms", "600", "--after-promote-ms", "300",
         "--timeout-ms", "40000"],
        capture_output=True, text=True, timeout=170, stdin=subprocess.DEVNULL)
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["passed"], f"{json.dumps(report, indent=1)}\n{result.stderr[-3000:]}"
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["mismatched"] == 0
    assert report["acknowledged"] > 0
    cycles = report["cycle_reports"]
    assert len(cycles) == 3
    epochs = [c["epoch"] for c in cycles]
    assert epochs == sorted(epochs) and len(set(epochs)) == 3, epochs
    # Fails back and forth: the new primary alternates.
    assert cycles[0]["new_primary"] != cycles[1]["new_primary"] and cycles[0]["new_primary"] == cycles[2]["new_primary"]
    for c in cycles:
        assert c["acknowledged"] > 0 and c["rto_ms"] is not None and c["catch_up_ms"] is not None, c
    if fault == "freeze":
        # Promotion waits until the frozen primary has been silent for a second.
        assert all(c["rto_ms"] >= 900 for c in cycles), cycles


def test_weir_drill_on_a_given_pair(pair):
    """On a pair it did not start, the drill refuses kill/freeze and runs forced switchovers (promote-only)."""
    primary, replica = pair.nodes
    refused = subprocess.run([WEIR_BIN, "drill", "--primary", primary.address, "--replica", replica.address, "--fault", "kill"],
                             capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert refused.returncode != 0 and "promote-only" in refused.stderr, refused.stderr
    result = subprocess.run(
        [WEIR_BIN, "drill", "--primary", primary.address, "--replica", replica.address, "--fault", "promote-only",
         "--cycles", "2", "--json", "--before-fault-ms", "300", "--after-promote-ms", "200", "--timeout-ms", "30000"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["passed"], f"{json.dumps(report, indent=1)}\n{result.stderr[-3000:]}"
    assert report["acknowledged"] > 0 and report["lost"] == 0 and report["duplicated"] == 0
    assert [c["new_primary"] for c in report["cycle_reports"]] == [replica.address, primary.address]
    # The pair is left synchronous with node 1 primary again, in a later epoch.
    ps, _ = pair.wait_synchronous(primary, replica, 30)
    assert ps["epoch"] == report["cycle_reports"][-1]["epoch"]
