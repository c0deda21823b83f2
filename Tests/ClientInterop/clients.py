"""One produce and one consume function per real client, all with the same shape:

    produce(bootstrap, topic, records, codec)  -> None, or raises ProduceFailed(error codes)
    consume(bootstrap, topic, partitions, expected_count, timeout) -> {partition: [(key, value, headers)]}

`records` are (partition, key, value, headers) tuples from weirtest.make_records. kcat cannot give each record
its own headers, so its records carry the fixed headers KCAT_HEADERS instead (see kcat_records)."""

import asyncio
import subprocess
import time

import aiokafka
import aiokafka.errors
import confluent_kafka
import kafka
import kafka.errors

CLIENTS = ["kcat", "confluent-kafka", "kafka-python", "aiokafka"]


class ProduceFailed(Exception):
    def __init__(self, client, codes, detail):
        super().__init__(f"{client}: produce failed with error codes {sorted(codes)}: {detail}")
        self.codes = set(codes)


def records_for(client, records):
    return kcat_records(records) if client == "kcat" else records


def produce(client, bootstrap, topic, records, codec):
    return PRODUCERS[client](bootstrap, topic, records, codec)


def consume(client, bootstrap, topic, partitions, expected_count, timeout=60):
    return CONSUMERS[client](bootstrap, topic, partitions, expected_count, timeout)


# ---------------------------------------------------------------------------------------------------------
# kcat (librdkafka 2.0.2, subprocess)

KCAT_KEY_DELIMITER = "|"


def kcat_records(records):
    """kcat sets the same headers (-H) on every record it produces."""
    return [(p, k, v, [("tag", b"kcat"), ("source", b"cli")]) for p, k, v, _ in records]


def kcat_produce(bootstrap, topic, records, codec):
    partitions = sorted({p for p, *_ in records})
    failures = []
    for partition in partitions:
        lines = b"".join(k + KCAT_KEY_DELIMITER.encode() + v + b"\n" for p, k, v, _ in records if p == partition)
        args = [
            "kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(partition), "-K", KCAT_KEY_DELIMITER,
            "-z", codec, "-H", "tag=kcat", "-H", "source=cli",
            "-X", "linger.ms=5", "-X", "batch.num.messages=2000", "-X", "message.send.max.retries=0",
        ]
        result = subprocess.run(args, input=lines, capture_output=True, timeout=120)
        stderr = result.stderr.decode(errors="replace")
        if result.returncode != 0 or "Delivery failed" in stderr or "ERROR" in stderr:
            failures.append(stderr.strip() or f"exit {result.returncode}")
    if failures:
        codes = set()
        detail = "\n".join(failures)
        if "Unsupported compression type" in detail or "UNSUPPORTED_COMPRESSION_TYPE" in detail:
            codes.add(76)
        raise ProduceFailed("kcat", codes or {-1}, detail[:2000])


def kcat_consume(bootstrap, topic, partitions, expected_count, timeout):
    consumed = {}
    for partition in partitions:
        args = [
            "kcat", "-C", "-b", bootstrap, "-t", topic, "-p", str(partition), "-o", "beginning", "-e",
            "-f", "%k|%s|%h\\n",
        ]
        result = subprocess.run(args, capture_output=True, timeout=timeout)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        records = []
        for line in result.stdout.split(b"\n"):
            if not line:
                continue
            key, value, headers = line.split(b"|", 2)
            parsed = []
            if headers:
                for pair in headers.split(b","):
                    name, _, hvalue = pair.partition(b"=")
                    parsed.append((name.decode(), hvalue))
            records.append((key, value, parsed))
        if records:
            consumed[partition] = records
    return consumed


# ---------------------------------------------------------------------------------------------------------
# confluent-kafka (librdkafka 2.16)


def confluent_produce(bootstrap, topic, records, codec, extra=None):
    config = {
        "bootstrap.servers": bootstrap,
        "compression.type": codec,
        "linger.ms": 5,
        "batch.num.messages": 2000,
        "acks": "all",
        "message.send.max.retries": 0 if codec in ("snappy", "zstd") else 5,
    }
    config.update(extra or {})
    producer = confluent_kafka.Producer(config)
    errors = []

    def delivered(err, msg):
        if err is not None:
            errors.append(err)

    for partition, key, value, headers in records:
        while True:
            try:
                producer.produce(topic, value=value, key=key, partition=partition, headers=headers, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    assert remaining == 0, f"confluent-kafka: {remaining} messages not delivered within 60 s"
    if errors:
        raise ProduceFailed("confluent-kafka", {e.code() for e in errors}, str(errors[0]))


def confluent_consume(bootstrap, topic, partitions, expected_count, timeout):
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"assign-only-{topic}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in partitions])
        consumed, count = {}, 0
        deadline = time.monotonic() + timeout
        while count < expected_count and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=2000, timeout=0.5):
                assert msg.error() is None, msg.error()
                consumed.setdefault(msg.partition(), []).append((msg.key(), msg.value(), list(msg.headers() or [])))
                count += 1
        return consumed
    finally:
        consumer.close()


# ---------------------------------------------------------------------------------------------------------
# kafka-python (pure Python; idempotent producer by default)


def kafka_python_produce(bootstrap, topic, records, codec):
    producer = kafka.KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=None if codec == "none" else codec,
        linger_ms=5,
        batch_size=256 * 1024,
        acks="all",
        retries=0 if codec in ("snappy", "zstd") else 5,
    )
    try:
        futures = [
            producer.send(topic, key=key, value=value, headers=headers, partition=partition)
            for partition, key, value, headers in records
        ]
        producer.flush(timeout=60)
        errors = []
        for future in futures:
            try:
                future.get(timeout=60)
            except kafka.errors.KafkaError as error:
                errors.append(error)
        if errors:
            raise ProduceFailed("kafka-python", {getattr(e, "errno", -1) for e in errors}, repr(errors[0]))
    finally:
        producer.close(timeout=10)


def kafka_python_consume(bootstrap, topic, partitions, expected_count, timeout):
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )
    try:
        consumer.assign([kafka.TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        consumed, count = {}, 0
        deadline = time.monotonic() + timeout
        while count < expected_count and time.monotonic() < deadline:
            for tp, messages in consumer.poll(timeout_ms=500, max_records=5000).items():
                for msg in messages:
                    consumed.setdefault(tp.partition, []).append((msg.key, msg.value, list(msg.headers or [])))
                    count += 1
        return consumed
    finally:
        consumer.close()


# ---------------------------------------------------------------------------------------------------------
# aiokafka (asyncio)


class _AiokafkaErrorCodes:
    """aiokafka maps error codes it does not know (76 among them) to a bare UnknownError(), losing the code.
    This records every code its producer looks up, so a test can see what the broker really answered."""

    def __init__(self):
        self.seen = []
        self._original = aiokafka.errors.for_code

    def __enter__(self):
        def recording(code):
            self.seen.append(code)
            return self._original(code)

        aiokafka.errors.for_code = recording
        return self

    def __exit__(self, *exc):
        aiokafka.errors.for_code = self._original


def aiokafka_produce(bootstrap, topic, records, codec):
    with _AiokafkaErrorCodes() as codes:
        _aiokafka_produce(bootstrap, topic, records, codec, codes)


def _aiokafka_produce(bootstrap, topic, records, codec, codes):
    def error_code(error):
        code = getattr(error, "errno", -1)
        if code in (-1, None):
            broker_codes = {c for c in codes.seen if c not in (0, -1)}
            if len(broker_codes) == 1:
                return broker_codes.pop()
        return code

    async def run():
        producer = aiokafka.AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            compression_type=None if codec == "none" else codec,
            linger_ms=5,
            max_batch_size=256 * 1024,
            acks="all",
        )
        await producer.start()
        try:
            futures = []
            for partition, key, value, headers in records:
                futures.append(await producer.send(topic, key=key, value=value, headers=headers, partition=partition))
            results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 60)
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise ProduceFailed("aiokafka", {error_code(e) for e in errors}, repr(errors[0]))
        finally:
            await producer.stop()

    asyncio.run(run())


def aiokafka_consume(bootstrap, topic, partitions, expected_count, timeout):
    async def run():
        consumer = aiokafka.AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        try:
            tps = [aiokafka.TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            consumed, count = {}, 0
            deadline = time.monotonic() + timeout
            while count < expected_count and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, messages in batches.items():
                    for msg in messages:
                        consumed.setdefault(tp.partition, []).append((msg.key, msg.value, list(msg.headers or [])))
                        count += 1
            return consumed
        finally:
            await consumer.stop()

    return asyncio.run(run())


PRODUCERS = {
    "kcat": kcat_produce,
    "confluent-kafka": confluent_produce,
    "kafka-python": kafka_python_produce,
    "aiokafka": aiokafka_produce,
}

CONSUMERS = {
    "kcat": kcat_consume,
    "confluent-kafka": confluent_consume,
    "kafka-python": kafka_python_consume,
    "aiokafka": aiokafka_consume,
}
