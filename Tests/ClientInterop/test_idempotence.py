"""confluent-kafka's idempotent producer (enable.idempotence=true): InitProducerId, sequence numbers per
partition, every record exactly once and in order."""

from clients import confluent_consume, confluent_produce
from weirtest import assert_same_records, by_partition, create_topic, make_records, raw_fetch_batches, unique

RECORDS = 5_000
PARTITIONS = 2


def test_confluent_idempotent_producer(broker):
    topic = create_topic(broker, unique("idem-ck"), partitions=PARTITIONS)
    records = make_records(RECORDS, "idempotent", PARTITIONS)
    confluent_produce(broker.bootstrap, topic, records, "lz4", extra={"enable.idempotence": True, "linger.ms": 1,
                                                                      "batch.num.messages": 250})
    for partition in range(PARTITIONS):
        batches = raw_fetch_batches(broker.bootstrap, topic, partition)
        assert len(batches) > 1, "expected several batches (sequence numbers across batches)"
        producer_ids = {b["producer_id"] for b in batches}
        assert len(producer_ids) == 1 and producer_ids.pop() >= 0, f"producer ids {producer_ids}"
        expected_sequence = 0
        for batch in batches:
            assert batch["base_sequence"] == expected_sequence, f"partition {partition}: {batch}"
            expected_sequence += batch["record_count"]
        assert expected_sequence == RECORDS // PARTITIONS
    assert_same_records(by_partition(records), confluent_consume(broker.bootstrap, topic, range(PARTITIONS), RECORDS, 60))


def test_a_transactional_producer_is_refused_at_once_with_a_clear_error(broker):
    """Weir has no transaction coordinator: init_transactions() fails fast with a fatal, named error (not a retry
    loop until the client's timeout), and the message says to use an idempotent producer."""
    import time

    import confluent_kafka

    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": unique("tx")})
    started = time.monotonic()
    try:
        producer.init_transactions(30)
        raise AssertionError("init_transactions() succeeded on a broker without transactions")
    except confluent_kafka.KafkaException as e:
        error = e.args[0]
        assert error.code() == confluent_kafka.KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, error
        assert "transactions are not supported" in error.str(), error.str()
    assert time.monotonic() - started < 10
