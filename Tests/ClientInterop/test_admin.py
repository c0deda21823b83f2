"""The admin APIs of confluent-kafka and kafka-python: create, describe, alter (incremental and legacy),
add partitions and delete topics."""

import confluent_kafka
import pytest
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource as KPConfigResource
from kafka.admin import ConfigResourceType as KPConfigResourceType
from kafka.admin import NewPartitions as KPNewPartitions
from kafka.admin import NewTopic as KPNewTopic
import kafka
import kafka.errors

from weirtest import unique, wait_until


# ---------------------------------------------------------------------------------------------------------
# confluent-kafka


def ck_configs(admin, topic):
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    return {name: entry for name, entry in entries.items()}


def ck_partition_count(admin, topic):
    metadata = admin.list_topics(topic=topic, timeout=10)
    return len(metadata.topics[topic].partitions)


def test_confluent_admin_topic_lifecycle(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique("ck-admin")

    futures = admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, config={"retention.ms": "3600000"})])
    futures[topic].result(timeout=30)
    assert topic in admin.list_topics(timeout=10).topics
    assert ck_partition_count(admin, topic) == 3

    # Creating it again names the Kafka error.
    again = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    with pytest.raises(confluent_kafka.KafkaException) as error:
        again[topic].result(timeout=30)
    assert error.value.args[0].code() == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS

    configs = ck_configs(admin, topic)
    assert configs["retention.ms"].value == "3600000"
    assert configs["retention.ms"].source == confluent_kafka.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["cleanup.policy"].value == "delete"
    assert configs["cleanup.policy"].source == confluent_kafka.admin.ConfigSource.DEFAULT_CONFIG.value

    # Incremental: set one key, leave the others alone; then delete it back to the default.
    resource = ConfigResource(
        ResourceType.TOPIC, topic,
        incremental_configs=[
            ConfigEntry("segment.ms", "7200000", incremental_operation=AlterConfigOpType.SET),
        ],
    )
    admin.incremental_alter_configs([resource])[resource].result(timeout=30)
    configs = ck_configs(admin, topic)
    assert configs["segment.ms"].value == "7200000"
    assert configs["retention.ms"].value == "3600000"

    resource = ConfigResource(
        ResourceType.TOPIC, topic,
        incremental_configs=[ConfigEntry("segment.ms", None, incremental_operation=AlterConfigOpType.DELETE)],
    )
    admin.incremental_alter_configs([resource])[resource].result(timeout=30)
    configs = ck_configs(admin, topic)
    assert configs["segment.ms"].source == confluent_kafka.admin.ConfigSource.DEFAULT_CONFIG.value
    assert configs["retention.ms"].value == "3600000"

    # Legacy AlterConfigs replaces the whole set: keys not named go back to their defaults.
    resource = ConfigResource(ResourceType.TOPIC, topic, set_config={"cleanup.policy": "compact"})
    admin.alter_configs([resource])[resource].result(timeout=30)
    configs = ck_configs(admin, topic)
    assert configs["cleanup.policy"].value == "compact"
    assert configs["retention.ms"].source == confluent_kafka.admin.ConfigSource.DEFAULT_CONFIG.value

    futures = admin.create_partitions([NewPartitions(topic, 5)])
    futures[topic].result(timeout=30)
    assert ck_partition_count(admin, topic) == 5

    admin.delete_topics([topic])[topic].result(timeout=30)
    wait_until(lambda: topic not in admin.list_topics(timeout=10).topics, 10, what=f"{topic} to disappear")

    # Deleting a missing topic names the Kafka error.
    with pytest.raises(confluent_kafka.KafkaException) as error:
        admin.delete_topics([topic])[topic].result(timeout=30)
    assert error.value.args[0].code() == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART


# ---------------------------------------------------------------------------------------------------------
# kafka-python


def kp_configs(admin, topic):
    result = admin.describe_configs([KPConfigResource(KPConfigResourceType.TOPIC, topic)], config_filter="all")
    return result["topic"][topic]


def test_kafka_python_admin_topic_lifecycle(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        topic = unique("kp-admin")
        result = admin.create_topics([KPNewTopic(topic, 3, 1, topic_configs={"retention.ms": "3600000"})])
        assert result["topics"][0]["error_code"] == 0
        assert topic in admin.list_topics()
        described = admin.describe_topics([topic])
        assert len(described[0]["partitions"]) == 3

        with pytest.raises(kafka.errors.TopicAlreadyExistsError):
            admin.create_topics([KPNewTopic(topic, 1, 1)])

        configs = kp_configs(admin, topic)
        assert configs["retention.ms"]["value"] == "3600000"
        assert configs["cleanup.policy"]["value"] == "delete"

        # IncrementalAlterConfigs
        result = admin.alter_configs(
            [KPConfigResource(KPConfigResourceType.TOPIC, topic, configs={"segment.ms": "7200000"})], incremental=True)
        assert result["topic"][topic] == "OK", result
        configs = kp_configs(admin, topic)
        assert configs["segment.ms"]["value"] == "7200000"
        assert configs["retention.ms"]["value"] == "3600000"

        # Legacy AlterConfigs (kafka-python re-sends the other modified keys itself).
        result = admin.alter_configs(
            [KPConfigResource(KPConfigResourceType.TOPIC, topic, configs={"retention.ms": "1800000"})], incremental=False)
        assert result["topic"][topic] == "OK", result
        configs = kp_configs(admin, topic)
        assert configs["retention.ms"]["value"] == "1800000"
        assert configs["segment.ms"]["value"] == "7200000"

        admin.create_partitions({topic: KPNewPartitions(4)})
        assert len(admin.describe_topics([topic])[0]["partitions"]) == 4

        admin.delete_topics([topic])
        wait_until(lambda: topic not in admin.list_topics(), 10, what=f"{topic} to disappear")
        with pytest.raises(kafka.errors.UnknownTopicOrPartitionError):
            admin.delete_topics([topic])
    finally:
        admin.close()


# ---------------------------------------------------------------------------------------------------------
# DeleteRecords (both clients)


def test_delete_records_moves_the_log_start(broker):
    """confluent-kafka's delete_records and kafka-python's: records below the offset are gone for every reader
    (earliest offset, a consumer from the beginning), an offset past the end is OFFSET_OUT_OF_RANGE."""
    topic = unique("delete-records")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(timeout=30)
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 0})
    for i in range(10):
        producer.produce(topic, value=f"v{i}".encode(), partition=0)
        producer.produce(topic, value=f"w{i}".encode(), partition=1)
        producer.flush(10)  # one batch per record: the log start moves by records

    tp0 = confluent_kafka.TopicPartition(topic, 0, 4)
    result = admin.delete_records([tp0])[tp0].result(timeout=30)
    assert result.low_watermark == 4, result

    past = confluent_kafka.TopicPartition(topic, 0, 99)
    with pytest.raises(confluent_kafka.KafkaException) as error:
        admin.delete_records([past])[past].result(timeout=30)
    assert error.value.args[0].code() == confluent_kafka.KafkaError.OFFSET_OUT_OF_RANGE

    kp = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        kp.delete_records({kafka.TopicPartition(topic, 1): 7})
    finally:
        kp.close()

    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique("dr"),
                                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        assert consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10) == (4, 10)
        assert consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 1), timeout=10) == (7, 10)
        consumer.subscribe([topic])
        got = {0: [], 1: []}
        wait_until(lambda: poll_into(consumer, got) and len(got[0]) == 6 and len(got[1]) == 3, 30, what="the kept records")
        assert [v for _, v in got[0]] == [f"v{i}" for i in range(4, 10)]
        assert [v for _, v in got[1]] == [f"w{i}" for i in range(7, 10)]
    finally:
        consumer.close()


def poll_into(consumer, got):
    for m in consumer.consume(num_messages=100, timeout=0.2):
        if m.error() is None:
            got[m.partition()].append((m.offset(), m.value().decode()))
    return True
