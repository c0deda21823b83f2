"""Every client produces and consumes 10,000 keyed records with headers in every codec Weir supports, and
gets a clear UNSUPPORTED_COMPRESSION_TYPE (76) for the ones it does not (snappy, zstd)."""

import pytest

from clients import CLIENTS, ProduceFailed, consume, produce, records_for
from weirtest import (
    SUPPORTED_CODECS,
    UNSUPPORTED_CODECS,
    UNSUPPORTED_COMPRESSION_TYPE,
    assert_same_records,
    by_partition,
    create_topic,
    make_records,
    raw_fetch_codecs,
    unique,
)

RECORDS = 10_000
PARTITIONS = 2


@pytest.mark.parametrize("codec", SUPPORTED_CODECS)
@pytest.mark.parametrize("client", CLIENTS)
def test_produce_and_consume_every_record(broker, client, codec):
    topic = create_topic(broker, unique(f"rt-{client}-{codec}"), partitions=PARTITIONS)
    records = records_for(client, make_records(RECORDS, f"{client}/{codec}", PARTITIONS))
    produce(client, broker.bootstrap, topic, records, codec)

    # The batches are stored with the codec the client was asked for: catches a client that silently
    # falls back to uncompressed batches (librdkafka < 2.10 does when Produce is not advertised from v0).
    for partition in range(PARTITIONS):
        stored = raw_fetch_codecs(broker.bootstrap, topic, partition)
        assert stored, f"no batch stored in partition {partition}"
        # librdkafka sends a batch uncompressed when compression would not shrink it (a lone small record
        # under load), so "none" may appear beside the codec; a silent fallback leaves no batch in the codec.
        assert codec in stored and set(stored) <= {codec, "none"}, \
            f"partition {partition} holds batches with codecs {sorted(set(stored))}"

    expected = by_partition(records)
    # Read back by the same client and by the next one in the list (cross-client compatibility).
    reader = CLIENTS[(CLIENTS.index(client) + 1) % len(CLIENTS)]
    for consumer in dict.fromkeys([client, reader]):
        consumed = consume(consumer, broker.bootstrap, topic, range(PARTITIONS), RECORDS)
        assert_same_records(expected, consumed)


@pytest.mark.parametrize("codec", UNSUPPORTED_CODECS)
@pytest.mark.parametrize("client", CLIENTS)
def test_unsupported_codec_is_refused_clearly(broker, client, codec):
    topic = create_topic(broker, unique(f"bad-{client}-{codec}"), partitions=1)
    records = records_for(client, make_records(10, f"{client}/{codec}", 1))
    with pytest.raises(ProduceFailed) as failure:
        produce(client, broker.bootstrap, topic, records, codec)
    assert failure.value.codes == {UNSUPPORTED_COMPRESSION_TYPE}, str(failure.value)
    assert raw_fetch_codecs(broker.bootstrap, topic, 0) == [], "a refused batch must not be stored"
