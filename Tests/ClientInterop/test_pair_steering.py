"""A node that is not the primary answers every Produce with NOT_LEADER_OR_FOLLOWER, whatever the batch's
idempotent-producer state (raw Produce v3 requests with producer id and sequence, straight to each node of a
127.0.0.1 pair). In particular a primary that stepped down still holds the producer state it had as primary:
an out-of-sequence batch must not get OUT_OF_ORDER_SEQUENCE_NUMBER from it (librdkafka treats that as fatal for
an idempotent producer: seen after a frozen primary resumed), and a duplicate must not be answered as a
success by a node that is not the primary."""

import socket
import struct
import time

from kafka.record.default_records import DefaultRecordBatchBuilder

from weirtest import unique, wait_until

NOT_LEADER_OR_FOLLOWER = 6



def _str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _request(address, api_key, version, body, timeout=20):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        frame = struct.pack(">hhi", api_key, version, 7) + _str("weir-steering-test") + body
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        data = b""
        while len(data) < 4:
            data += sock.recv(4 - len(data))
        (size,) = struct.unpack(">i", data)
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data[4:]  # after the correlation id


def init_producer_id(address):
    data = _request(address, 22, 0, struct.pack(">hi", -1, 60_000))
    _throttle, error, producer_id, epoch = struct.unpack_from(">ihqh", data, 0)
    assert error == 0, f"InitProducerId: error {error}"
    return producer_id, epoch


def produce(address, topic, producer_id, epoch, sequence, count):
    """One idempotent batch of `count` records at `sequence`, acks=all: (error code, base offset)."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=producer_id,
                                        producer_epoch=epoch, base_sequence=sequence, batch_size=1 << 20)
    now = int(time.time() * 1000)
    for i in range(count):
        builder.append(i, timestamp=now, key=None, value=f"seq-{sequence + i}".encode(), headers=[])
    records = bytes(builder.build())
    body = struct.pack(">hhi", -1, -1, 10_000)  # transactional id null, acks all, timeout
    body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1) + struct.pack(">ii", 0, len(records)) + records
    data = _request(address, 0, 3, body)
    pos = 4  # topic count
    (tlen,) = struct.unpack_from(">h", data, pos)
    pos += 2 + tlen + 4
    _partition, error, base_offset = struct.unpack_from(">ihq", data, pos)
    return error, base_offset


def test_replica_answers_not_leader_whatever_the_sequence(pair):
    primary, replica = pair.nodes
    topic = unique("steering")
    result = pair.weir("topic", "create", topic, "--partitions", "1", "--broker", primary.address)
    assert result.returncode == 0, result.stderr
    producer_id, epoch = init_producer_id(primary.address)
    assert produce(primary.address, topic, producer_id, epoch, 0, 5) == (0, 0)

    def replicated():
        s = pair.status(replica)
        return s and any(p["topic"] == topic and p["high_watermark"] == 5 for p in s["partitions"])
    wait_until(replicated, 30, interval=0.1, what="the replica to hold the batch")

    # The next batch in sequence, a gap, and a duplicate of the acknowledged one: the replica steers all three.
    for sequence in (5, 9, 0):
        error, _ = produce(replica.address, topic, producer_id, epoch, sequence, 5)
        assert error == NOT_LEADER_OR_FOLLOWER, f"the replica answered error {error} to sequence {sequence}"
    # The primary still takes the next batch in sequence: nothing was appended on the replica.
    assert produce(primary.address, topic, producer_id, epoch, 5, 5) == (0, 5)

    # A planned switchover: the old primary steps down, with the producer state it had as primary.
    pair.promote(replica, force=True)
    pair.wait_synchronous(replica, primary, 30)
    for sequence in (10, 14, 5):
        error, _ = produce(primary.address, topic, producer_id, epoch, sequence, 5)
        assert error == NOT_LEADER_OR_FOLLOWER, f"the stepped-down primary answered error {error} to sequence {sequence}"
    assert produce(replica.address, topic, producer_id, epoch, 10, 5) == (0, 10)
