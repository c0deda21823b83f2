"""Consumer groups of each client: two members rebalance when one joins and when one leaves (the
assignments cover every partition with no overlap); committed offsets are resumed after a consumer restart
and after a broker restart."""

import asyncio
import time

import aiokafka
import confluent_kafka
import kafka
import pytest
from kafka.structs import OffsetAndMetadata

from clients import confluent_produce
from members import GROUP_CLIENTS, MEMBERS
from weirtest import HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS, create_topic, make_records, unique, wait_until

PARTITIONS = 4
ALL = frozenset(range(PARTITIONS))
REBALANCE_TIMEOUT = 40


def split_evenly(a, b):
    """Both members own partitions, none twice, all of them covered."""
    x, y = a.assignment, b.assignment
    return x and y and not (x & y) and (x | y) == ALL


@pytest.mark.parametrize("client", GROUP_CLIENTS)
def test_group_rebalances_when_a_member_joins_and_leaves(broker, client):
    topic = create_topic(broker, unique(f"grp-{client}"), partitions=PARTITIONS)
    group = unique(f"g-{client}")
    member = MEMBERS[client]
    first = member(broker.bootstrap, group, topic).start()
    second = None
    try:
        wait_until(lambda: first.error or first.assignment == ALL, REBALANCE_TIMEOUT, what="the first member to own every partition")
        assert first.error is None, first.error

        second = member(broker.bootstrap, group, topic).start()
        wait_until(lambda: first.error or second.error or split_evenly(first, second), REBALANCE_TIMEOUT,
                   what=f"a split between two members (now {sorted(first.assignment)} / {sorted(second.assignment)})")
        assert first.error is None and second.error is None
        time.sleep(1.0)  # and it stays that way: no rebalance loop
        assert split_evenly(first, second), (sorted(first.assignment), sorted(second.assignment))
        # The range assignor gives each of two members half of the four partitions.
        assert sorted(map(len, (first.assignment, second.assignment))) == [2, 2]

        second.stop()
        second = None
        wait_until(lambda: first.error or first.assignment == ALL, REBALANCE_TIMEOUT,
                   what=f"the remaining member to own every partition again (now {sorted(first.assignment)})")
        assert first.error is None, first.error
    finally:
        if second is not None:
            second.stop()
        first.stop()


# ---------------------------------------------------------------------------------------------------------
# Commit and resume


TOTAL = 200
FIRST_READ = 80


class ConfluentGroupReader:
    name = "confluent-kafka"

    def read(self, bootstrap, group, topic, limit, timeout=30):
        """Reads up to `limit` records (all, if None) as this group, commits exactly those, closes.
        Returns [(partition, offset, value)]."""
        consumer = confluent_kafka.Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
        })
        consumer.subscribe([topic])
        records, last = [], {}
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        try:
            while time.monotonic() < deadline and (limit is None or len(records) < limit):
                msg = consumer.poll(0.2)
                if msg is None:
                    if limit is None and records and time.monotonic() - quiet_since > 2:
                        break
                    continue
                assert msg.error() is None, msg.error()
                records.append((msg.partition(), msg.offset(), msg.value()))
                last[msg.partition()] = msg.offset()
                quiet_since = time.monotonic()
            if last:
                consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, p, o + 1) for p, o in last.items()],
                                asynchronous=False)
        finally:
            consumer.close()
        return records


class KafkaPythonGroupReader:
    name = "kafka-python"

    def read(self, bootstrap, group, topic, limit, timeout=30):
        consumer = kafka.KafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        )
        records, last = [], {}
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        try:
            while time.monotonic() < deadline and (limit is None or len(records) < limit):
                batch = consumer.poll(timeout_ms=200, max_records=1 if limit is not None else 500)
                if not batch:
                    if limit is None and records and time.monotonic() - quiet_since > 2:
                        break
                    continue
                for tp, messages in batch.items():
                    for msg in messages:
                        records.append((tp.partition, msg.offset, msg.value))
                        last[tp.partition] = msg.offset
                quiet_since = time.monotonic()
            if last:
                consumer.commit({kafka.TopicPartition(topic, p): OffsetAndMetadata(o + 1, "", -1) for p, o in last.items()})
        finally:
            consumer.close()
        return records


class AiokafkaGroupReader:
    name = "aiokafka"

    def read(self, bootstrap, group, topic, limit, timeout=30):
        async def run():
            consumer = aiokafka.AIOKafkaConsumer(
                topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                auto_offset_reset="earliest", session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            )
            await consumer.start()
            records, last = [], {}
            deadline = time.monotonic() + timeout
            quiet_since = time.monotonic()
            try:
                while time.monotonic() < deadline and (limit is None or len(records) < limit):
                    batch = await consumer.getmany(timeout_ms=200, max_records=1 if limit is not None else 500)
                    if not batch:
                        if limit is None and records and time.monotonic() - quiet_since > 2:
                            break
                        continue
                    for tp, messages in batch.items():
                        for msg in messages:
                            records.append((tp.partition, msg.offset, msg.value))
                            last[tp.partition] = msg.offset
                    quiet_since = time.monotonic()
                if last:
                    await consumer.commit({aiokafka.TopicPartition(topic, p): o + 1 for p, o in last.items()})
            finally:
                await consumer.stop()
            return records

        return asyncio.run(run())


READERS = [ConfluentGroupReader(), KafkaPythonGroupReader(), AiokafkaGroupReader()]


def check_resumed(first, rest, produced):
    """`rest` starts exactly after what `first` committed: together every record once, in order per partition."""
    assert len(first) >= FIRST_READ, f"first consumer read {len(first)} records"
    combined = {}
    for partition, offset, value in first + rest:
        combined.setdefault(partition, []).append((offset, value))
    for partition, entries in combined.items():
        offsets = [o for o, _ in entries]
        assert offsets == list(range(len(offsets))), f"partition {partition}: offsets {offsets[:5]}… not 0..n-1 once each"
    assert sorted(v for entries in combined.values() for _, v in entries) == sorted(produced)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.name)
def test_committed_offsets_resume_after_consumer_restart(broker, reader):
    topic = create_topic(broker, unique(f"resume-{reader.name}"), partitions=2)
    records = make_records(TOTAL, "resume", 2)
    confluent_produce(broker.bootstrap, topic, records, "none")
    group = unique("resume-g")
    first = reader.read(broker.bootstrap, group, topic, FIRST_READ)
    rest = reader.read(broker.bootstrap, group, topic, None)
    check_resumed(first, rest, [v for _, _, v, _ in records])


@pytest.mark.restart
def test_committed_offsets_resume_after_broker_restart(own_broker):
    topic = create_topic(own_broker, unique("restart"), partitions=2)
    records = make_records(TOTAL, "restart", 2)
    confluent_produce(own_broker.bootstrap, topic, records, "gzip")
    groups = {reader.name: unique(f"restart-{reader.name}") for reader in READERS}
    firsts = {reader.name: reader.read(own_broker.bootstrap, groups[reader.name], topic, FIRST_READ) for reader in READERS}

    own_broker.restart()

    for reader in READERS:
        rest = reader.read(own_broker.bootstrap, groups[reader.name], topic, None)
        check_resumed(firsts[reader.name], rest, [v for _, _, v, _ in records])
