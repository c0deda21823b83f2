"""Offsets by time and watermarks, consumers with tiny fetch limits (KIP-74 progress rule), the size limit
error, consumer-group admin, and aiokafka's idempotent producer (InitProducerId v0)."""

import asyncio
import subprocess
import time

import aiokafka
import confluent_kafka
import kafka
from confluent_kafka.admin import AdminClient
from kafka import KafkaAdminClient

from clients import ProduceFailed, confluent_consume, confluent_produce
from members import ConfluentMember
from weirtest import assert_same_records, by_partition, create_topic, make_records, raw_fetch_batches, unique, wait_until

BASE_TS = 1_700_000_000_000


def produce_timed(bootstrap, topic, count):
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, value=b"v%d" % i, key=b"k%d" % i, partition=0, timestamp=BASE_TS + i * 10)
    assert producer.flush(30) == 0


def test_watermarks_and_offsets_by_time(broker):
    topic = create_topic(broker, unique("times"), partitions=1)
    produce_timed(broker.bootstrap, topic, 1000)
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique("times-g")})
    try:
        assert consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10) == (0, 1000)
        # The first record whose timestamp is at or after the one asked for (record level, inside a batch).
        found = consumer.offsets_for_times([confluent_kafka.TopicPartition(topic, 0, BASE_TS + 5005)], timeout=10)
        assert found[0].offset == 501 and found[0].error is None
        found = consumer.offsets_for_times([confluent_kafka.TopicPartition(topic, 0, BASE_TS + 10_000_000)], timeout=10)
        assert found[0].offset == -1  # none that late: the end
    finally:
        consumer.close()
    # kcat (librdkafka 2.0.2, ListOffsets v2)
    out = subprocess.run(["kcat", "-Q", "-b", broker.bootstrap, "-t", f"{topic}:0:{BASE_TS + 5005}"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{topic} [0] offset 501"
    # kafka-python: beginning/end offsets and offsets_for_times
    consumer = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None)
    try:
        tp = kafka.TopicPartition(topic, 0)
        assert consumer.beginning_offsets([tp]) == {tp: 0}
        assert consumer.end_offsets([tp]) == {tp: 1000}
        assert consumer.offsets_for_times({tp: BASE_TS + 5005})[tp].offset == 501
    finally:
        consumer.close()


def test_tiny_fetch_limits_still_make_progress(broker):
    """A batch larger than the fetch limits is returned whole (KIP-74), so consumers never get stuck."""
    topic = create_topic(broker, unique("kip74"), partitions=1)
    records = make_records(3000, "kip74", 1)
    confluent_produce(broker.bootstrap, topic, records, "lz4", extra={"batch.num.messages": 1000})
    assert len(raw_fetch_batches(broker.bootstrap, topic, 0)) >= 3

    consumer = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None, auto_offset_reset="earliest",
                                   max_partition_fetch_bytes=100, fetch_max_bytes=100)
    try:
        consumer.assign([kafka.TopicPartition(topic, 0)])
        got = []
        deadline = time.monotonic() + 60
        while len(got) < len(records) and time.monotonic() < deadline:
            for messages in consumer.poll(timeout_ms=500).values():
                got += [(m.key, m.value, list(m.headers)) for m in messages]
        assert_same_records(by_partition(records), {0: got})
    finally:
        consumer.close()

    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": broker.bootstrap, "group.id": unique("kip74-g"), "auto.offset.reset": "earliest",
        "fetch.max.bytes": 1000, "max.partition.fetch.bytes": 100, "message.max.bytes": 1000,
    })
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        got = []
        deadline = time.monotonic() + 60
        while len(got) < len(records) and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.5):
                assert msg.error() is None, msg.error()
                got.append((msg.key(), msg.value(), list(msg.headers())))
        assert_same_records(by_partition(records), {0: got})
    finally:
        consumer.close()


def test_oversized_record_is_refused_with_message_too_large(broker):
    topic = create_topic(broker, unique("big"), partitions=1, configs={"max.message.bytes": "100000"})
    try:
        confluent_produce(broker.bootstrap, topic, [(0, b"k", b"x" * 200_000, [])], "none",
                          extra={"message.max.bytes": 10_000_000})
        raise AssertionError("an oversized record was accepted")
    except ProduceFailed as failure:
        assert failure.codes == {confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE}, failure
    assert raw_fetch_batches(broker.bootstrap, topic, 0) == []


def test_consumer_group_admin(broker):
    topic = create_topic(broker, unique("gadm"), partitions=2)
    confluent_produce(broker.bootstrap, topic, make_records(10, "gadm", 2), "none")
    group = unique("gadm-g")
    member = ConfluentMember(broker.bootstrap, group, topic).start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    kp_admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        wait_until(lambda: member.assignment == {0, 1}, 30, what="the member to own both partitions")
        listed = {g.group_id for g in admin.list_consumer_groups().result(timeout=10).valid}
        assert group in listed
        description = admin.describe_consumer_groups([group])[group].result(timeout=10)
        assert description.state == confluent_kafka.ConsumerGroupState.STABLE
        assert description.partition_assignor == "range"
        assert len(description.members) == 1
        assigned = {(tp.topic, tp.partition) for tp in description.members[0].assignment.topic_partitions}
        assert assigned == {(topic, 0), (topic, 1)}

        # A group with a member cannot be deleted.
        result = admin.delete_consumer_groups([group])[group]
        try:
            result.result(timeout=10)
            raise AssertionError("deleted a group that has a member")
        except confluent_kafka.KafkaException as error:
            assert error.args[0].code() == confluent_kafka.KafkaError.NON_EMPTY_GROUP
    finally:
        member.stop()
    wait_until(lambda: kp_admin.describe_groups([group])[group]["group_state"] == "Empty", 30, what="the group to be Empty")
    admin.delete_consumer_groups([group])[group].result(timeout=10)
    assert group not in {g.group_id for g in admin.list_consumer_groups().result(timeout=10).valid}
    kp_admin.close()


def test_aiokafka_idempotent_producer(broker):
    topic = create_topic(broker, unique("idem-aio"), partitions=2)
    records = make_records(2000, "aio-idem", 2)

    async def run():
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True,
                                             compression_type="gzip", linger_ms=5, max_batch_size=16 * 1024)
        await producer.start()
        try:
            futures = [await producer.send(topic, key=k, value=v, headers=h, partition=p) for p, k, v, h in records]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(run())
    for partition in range(2):
        batches = raw_fetch_batches(broker.bootstrap, topic, partition)
        assert {b["producer_id"] >= 0 for b in batches} == {True}
        sequence = 0
        for batch in batches:
            assert batch["base_sequence"] == sequence, batch
            sequence += batch["record_count"]
    assert_same_records(by_partition(records), confluent_consume(broker.bootstrap, topic, range(2), len(records), 60))
