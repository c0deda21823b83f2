"""kafka-python and aiokafka follow a failover of a two-node pair (issue 5, item 3): both nodes in the bootstrap
list, acks=all, the primary SIGKILLed mid-stream and the replica promoted at once. Every acknowledged record is
then read back exactly once from the new primary and from the old primary once it rejoined as replica."""

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer

from weirtest import unique

COUNT = 1200
KILL_AT = 500



def read_values(address, topic):
    consumer = KafkaConsumer(topic, bootstrap_servers=[address], auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    try:
        return [m.value for m in consumer]
    finally:
        consumer.close()


def check_exactly_once(pair, topic, acknowledged):
    pair.wait_settled(topic, 1)
    for node in pair.nodes:
        values = read_values(node.address, topic)
        assert len(values) == len(set(values)), f"node {node.node_id} holds duplicates"
        missing = [v for v in acknowledged if v not in set(values)]
        assert not missing, f"node {node.node_id} lost {len(missing)} acknowledged records, e.g. {missing[:3]}"


def fail_over(pair):
    old, new = pair.nodes
    old.kill()
    pair.promote(new)


def rejoin(pair):
    old, new = pair.nodes
    old.start()
    pair.wait_synchronous(new, old)


def test_kafka_python_producer_follows_a_failover(pair):
    topic = unique("kp-failover")
    producer = KafkaProducer(bootstrap_servers=pair.bootstrap.split(","), acks="all", retries=100, retry_backoff_ms=100,
                             request_timeout_ms=3000, max_block_ms=30000, metadata_max_age_ms=1000)
    futures = []
    for i in range(COUNT):
        if i == KILL_AT:
            fail_over(pair)
        futures.append((b"v%d" % i, producer.send(topic, key=b"k%d" % i, value=b"v%d" % i)))
    producer.flush(60)
    acknowledged = []
    for value, future in futures:
        future.get(timeout=60)  # raises if a record was not acknowledged
        acknowledged.append(value)
    producer.close()
    assert len(acknowledged) == COUNT
    rejoin(pair)
    check_exactly_once(pair, topic, acknowledged)


def test_aiokafka_idempotent_producer_follows_a_failover(pair):
    topic = unique("aio-failover")

    async def produce():
        producer = AIOKafkaProducer(bootstrap_servers=pair.bootstrap, acks="all", enable_idempotence=True,
                                    request_timeout_ms=3000, retry_backoff_ms=100, metadata_max_age_ms=1000)
        await producer.start()
        acknowledged = []
        try:
            for i in range(COUNT):
                if i == KILL_AT:
                    await asyncio.get_running_loop().run_in_executor(None, fail_over, pair)
                await asyncio.wait_for(producer.send_and_wait(topic, key=b"k%d" % i, value=b"v%d" % i), 60)
                acknowledged.append(b"v%d" % i)
        finally:
            await producer.stop()
        return acknowledged

    acknowledged = asyncio.run(produce())
    assert len(acknowledged) == COUNT

    async def consume_new_primary():
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=pair.nodes[1].address, auto_offset_reset="earliest",
                                    enable_auto_commit=False)
        await consumer.start()
        values = []
        try:
            for _ in range(100):
                batch = await consumer.getmany(timeout_ms=1000)
                if not batch and len(values) >= COUNT:
                    break
                for records in batch.values():
                    values += [r.value for r in records]
        finally:
            await consumer.stop()
        return values

    values = asyncio.run(consume_new_primary())
    assert sorted(values) == sorted(acknowledged)
    rejoin(pair)
    check_exactly_once(pair, topic, acknowledged)
