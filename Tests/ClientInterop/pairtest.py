"""Helpers for the two-node pair tests: a pair of `weir serve` processes (on 127.0.0.1 with run-time ports, or
inside network namespaces), their status, promotion, faults by PID (SIGKILL, SIGSTOP/SIGCONT), a continuous
confluent-kafka producer, and a raw Fetch that reads one node's own log with its records (the replica serves
reads up to its high watermark), so both logs can be compared record by record."""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import confluent_kafka

from weirtest import WEIR_BIN, recv_exact, free_port, wait_until

REPLICATION_TIMEOUT_MS = 1500


class PairNode:
    """One node of a pair. Started and stopped by PID only; `prefix` runs it elsewhere (`ip netns exec NS`)."""

    def __init__(self, node_id, host, port, peer_host, peer_port, role, base_dir, prefix=(), extra=()):
        self.node_id = node_id
        self.host = host
        self.port = port
        self.peer = f"{peer_host}:{peer_port}"
        self.role = role
        self.data_dir = Path(base_dir) / f"node{node_id}"
        self.log_path = Path(base_dir) / f"node{node_id}.log"
        self.prefix = list(prefix)
        self.extra = list(extra)
        self.process = None
        self._log = None

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    @property
    def audit_log(self):
        try:
            return (self.data_dir / "replication-audit.log").read_text()
        except FileNotFoundError:
            return ""

    def start(self):
        """Starts the node with the same flags every time (after the first start its persisted role wins)."""
        assert self.process is None or self.process.poll() is not None, "node already running"
        args = self.prefix + [
            WEIR_BIN, "serve", "--data", str(self.data_dir), "--listen", self.address, "--metrics", "off",
            "--node-id", str(self.node_id), "--peer-node-id", str(3 - self.node_id),
            "--role", self.role, "--peer", self.peer,
            "--group-initial-rebalance-delay-ms", "0",
            "--replication-timeout-ms", str(REPLICATION_TIMEOUT_MS),
        ] + self.extra
        self._log = open(self.log_path, "ab")
        self._log.write(f"---- start {time.strftime('%H:%M:%S')}\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL, and reap."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=15)
        self._close_log()

    def freeze(self):
        assert self.alive()
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        if self.alive():
            self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_log()

    def _close_log(self):
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class Pair:
    """A primary (node 1) and a replica (node 2). `client_prefix` runs CLI clients where they can reach the
    nodes (`ip netns exec NS` for the namespace test)."""

    def __init__(self, hosts=("127.0.0.1", "127.0.0.1"), ports=None, node_prefixes=((), ()), client_prefix=(), extra=()):
        self.base_dir = Path(tempfile.mkdtemp(prefix="weir-pair-"))
        ports = ports or (free_port(), free_port())
        self.nodes = [
            PairNode(1, hosts[0], ports[0], hosts[1], ports[1], "primary", self.base_dir, node_prefixes[0], extra),
            PairNode(2, hosts[1], ports[1], hosts[0], ports[0], "replica", self.base_dir, node_prefixes[1], extra),
        ]
        self.client_prefix = list(client_prefix)

    @property
    def bootstrap(self):
        return ",".join(n.address for n in self.nodes)

    def start(self, timeout=60):
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            self.wait_answering(node, timeout)
        self.wait_synchronous(self.nodes[0], self.nodes[1], timeout)

    def cleanup(self):
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def weir(self, *args, timeout=60, input_lines=None):
        """Runs the weir CLI where the clients run; `input_lines` become its standard input."""
        stdin = {"input": "".join(f"{line}\n" for line in input_lines)} if input_lines is not None else {"stdin": subprocess.DEVNULL}
        return subprocess.run(self.client_prefix + [WEIR_BIN, *args], capture_output=True, text=True, timeout=timeout, **stdin)

    def status(self, node):
        """The node's `weir status --json`, or None when it does not answer."""
        result = self.weir("status", "--broker", node.address, "--json", "--request-timeout-ms", "1000", timeout=20)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)

    def wait_answering(self, node, timeout=60):
        def answering():
            if not node.alive():
                raise AssertionError(f"node {node.node_id} exited:\n{node.log_tail()}")
            return self.status(node)
        return wait_until(answering, timeout, interval=0.1, what=f"node {node.node_id} to answer")

    def wait_synchronous(self, primary, replica, timeout=60):
        """`primary` is primary and synchronous; `replica` is its replica in the same epoch. Returns both statuses."""
        def synchronous():
            ps, rs = self.status(primary), self.status(replica)
            if ps and rs and ps["role"] == "primary" and ps.get("acknowledging_alone") is None and ps["peer_connected"] \
                    and rs["role"] == "replica" and rs["epoch"] == ps["epoch"]:
                return ps, rs
            return None
        return wait_until(synchronous, timeout, interval=0.1,
                          what=f"node {primary.node_id} to be a synchronous primary of node {replica.node_id}")

    def promote(self, node, timeout=15, force=False):
        """`weir promote`, retried while refused (a primary heard within the last second). Returns the epoch."""
        args = ["promote", "--broker", node.address, "--request-timeout-ms", "2000"] + (["--force"] if force else [])
        last = []

        def promoted():
            result = self.weir(*args, timeout=20)
            last[:] = [result.stdout + result.stderr]
            if result.returncode == 0:
                return int(result.stdout.strip().rsplit(" ", 1)[-1])
            return None
        try:
            return wait_until(promoted, timeout, interval=0.05, what=f"node {node.node_id} to accept promotion")
        except AssertionError as e:
            raise AssertionError(f"{e}; last answer: {last}") from None

    def wait_settled(self, topic, partitions, timeout=60):
        """Both nodes hold the same log end for every partition and serve reads up to it."""
        def settled():
            a, b = self.status(self.nodes[0]), self.status(self.nodes[1])
            if not a or not b:
                return None
            pa = {p["partition"]: p for p in a["partitions"] if p["topic"] == topic}
            pb = {p["partition"]: p for p in b["partitions"] if p["topic"] == topic}
            if sorted(pa) != list(range(partitions)) or sorted(pb) != list(range(partitions)):
                return None
            for p in range(partitions):
                x, y = pa[p], pb[p]
                if not (x["log_end_offset"] == y["log_end_offset"] == x["high_watermark"] == y["high_watermark"]):
                    return None
            return pa
        return wait_until(settled, timeout, interval=0.1, what=f"both nodes to hold the same log of {topic}")

    def logs_tail(self):
        return "\n".join(f"---- node {n.node_id} ({n.address}) log\n{n.log_tail()}\n---- audit\n{n.audit_log}" for n in self.nodes)


# ---------------------------------------------------------------------------------------------------------
# A continuous producer (confluent-kafka: acks=all, idempotent, both nodes in the bootstrap list)


class ConfluentStream:
    """Produces unique values from a thread (value = TAG-N, partition N % partitions) until stopped; records
    every delivery report. `delivered` holds (partition, offset, value) of acknowledged messages."""

    def __init__(self, bootstrap, topic, partitions, tag, rate=300, max_messages=100_000, extra=None):
        self.topic = topic
        self.partitions = partitions
        self.tag = tag
        self.interval = 1.0 / rate
        self.max_messages = max_messages
        self.delivered = []
        self.failed = []
        self.errors = []
        self.fatal = []
        self.sent = 0
        self._stop = threading.Event()
        config = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "compression.type": "none",
            "linger.ms": 5,
            "message.timeout.ms": 120_000,
            "request.timeout.ms": 5_000,
            # A frozen primary answers nothing: in-flight requests to it (which the idempotent producer drains
            # before moving to the new leader) end after socket.timeout.ms (60 s by default).
            "socket.timeout.ms": 5_000,
            "retry.backoff.ms": 50,
            "retry.backoff.max.ms": 500,
            "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 500,
            "topic.metadata.refresh.interval.ms": 1_000,
            "error_cb": self._on_error,
        }
        config.update(extra or {})
        self.producer = confluent_kafka.Producer(config)
        self._thread = threading.Thread(target=self._run, daemon=True)

    # The callbacks run inside poll()/flush() of whichever thread calls them; list.append is atomic, so they
    # take no lock (a lock here once deadlocked a flush after a failure).
    def _on_error(self, err):
        self.errors.append(err)
        if err.fatal():
            self.fatal.append(err)

    def _on_delivery(self, err, msg):
        if err is not None:
            self.failed.append((msg.value(), err))
        else:
            self.delivered.append((msg.partition(), msg.offset(), msg.value()))

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        deadline = time.monotonic() + 170
        n = 0
        while not self._stop.is_set() and n < self.max_messages and time.monotonic() < deadline:
            value = f"{self.tag}-{n}".encode()
            try:
                self.producer.produce(self.topic, value=value, partition=n % self.partitions, on_delivery=self._on_delivery)
                n += 1
                self.sent = n
            except BufferError:
                pass
            self.producer.poll(self.interval)

    def delivered_count(self):
        return len(self.delivered)

    def wait_delivered(self, count, timeout, what="deliveries"):
        try:
            wait_until(lambda: self.delivered_count() >= count or self.fatal, timeout, interval=0.05, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}: {len(self.delivered)} of {count} delivered, {self.sent} sent, "
                                 f"{len(self.failed)} failed {self.failed[:3]}, last errors {self.errors[-5:]}") from None
        assert not self.fatal, f"fatal producer error: {self.fatal}"

    def stop(self, flush_timeout=90):
        """Stops producing and waits for every outstanding delivery report. Returns how many were left."""
        self._stop.set()
        self._thread.join(timeout=30)
        if self.producer is None:
            return 0
        remaining = self.producer.flush(flush_timeout)
        self.producer = None  # destroys the client: no more reconnect attempts to stopped nodes
        return remaining


# ---------------------------------------------------------------------------------------------------------
# Reading one node's log (Fetch v4 straight to that node)


def _str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b




def _varint(data, pos):
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return (result >> 1) ^ -(result & 1), pos


def _records(batch, base_offset):
    """(offset, key, value) of an uncompressed v2 batch."""
    (attributes,) = struct.unpack_from(">h", batch, 21)
    assert attributes & 7 == 0, "the pair tests produce uncompressed batches"
    (count,) = struct.unpack_from(">i", batch, 57)
    pos = 61
    out = []
    for _ in range(count):
        length, pos = _varint(batch, pos)
        end = pos + length
        pos += 1  # attributes
        _, pos = _varint(batch, pos)  # timestamp delta
        delta, pos = _varint(batch, pos)
        klen, pos = _varint(batch, pos)
        key = None if klen < 0 else batch[pos:pos + klen]
        pos += max(klen, 0)
        vlen, pos = _varint(batch, pos)
        value = None if vlen < 0 else batch[pos:pos + vlen]
        out.append((base_offset + delta, key, value))
        pos = end
    return out


def read_node_log(address, topic, partition, timeout=20):
    """Every batch (base, last, leader epoch, crc, producer id, base sequence) and record (offset, key, value)
    of `topic`/`partition` up to the node's high watermark, read from that node itself."""
    host, port = address.rsplit(":", 1)
    batches, records = [], []
    offset = 0
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        for correlation in range(1, 100_000):
            assert time.monotonic() < deadline, f"reading {topic}-{partition} from {address} took too long"
            body = struct.pack(">iiiib", -1, 0, 0, 16 << 20, 0)
            body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 16 << 20)
            frame = struct.pack(">hhi", 1, 4, correlation) + _str("weir-pair-test") + body
            sock.sendall(struct.pack(">i", len(frame)) + frame)
            (size,) = struct.unpack(">i", recv_exact(sock, 4))
            data = recv_exact(sock, size)
            pos = 8
            (ntopics,) = struct.unpack_from(">i", data, pos); pos += 4
            assert ntopics == 1
            (tlen,) = struct.unpack_from(">h", data, pos); pos += 2 + tlen
            pos += 4  # partition count (1)
            _, error, hw, _lso = struct.unpack_from(">ihqq", data, pos); pos += 22
            assert error == 0, f"fetch of {topic}-{partition} at {offset} from {address}: error {error}"
            (naborted,) = struct.unpack_from(">i", data, pos); pos += 4
            pos += max(naborted, 0) * 16
            (rlen,) = struct.unpack_from(">i", data, pos); pos += 4
            chunk = data[pos:pos + max(rlen, 0)]
            if offset >= hw:
                return batches, records, hw
            bpos = 0
            advanced = False
            while bpos + 61 <= len(chunk):
                base, length = struct.unpack_from(">qi", chunk, bpos)
                total = 12 + length
                if bpos + total > len(chunk):
                    break
                batch = chunk[bpos:bpos + total]
                leader_epoch, _magic, crc = struct.unpack_from(">ibI", batch, 12)
                (last_delta,) = struct.unpack_from(">i", batch, 23)
                producer_id, _pe, base_sequence = struct.unpack_from(">qhi", batch, 43)
                (attributes,) = struct.unpack_from(">h", batch, 21)
                if base + last_delta >= offset:
                    batches.append((base, base + last_delta, leader_epoch, crc, producer_id, base_sequence))
                    if not attributes & 0x20:
                        records.extend(r for r in _records(batch, base) if r[0] >= offset)
                    offset = base + last_delta + 1
                    advanced = True
                bpos += total
            assert advanced, f"fetch of {topic}-{partition} at {offset} from {address} made no progress (hw {hw})"
    raise AssertionError("too many fetches")


def assert_logs_hold(pair, topic, partitions, delivered, must_be_absent=()):
    """Both nodes' logs are the same batches and records, and every delivered (partition, offset, value) is at
    its offset on both, its value present once. Values in `must_be_absent` appear on neither."""
    expected = {}
    without_offset = []
    for partition, offset, value in delivered:
        if offset is None or offset < 0:
            # librdkafka may report a message delivered without its offset (persisted, offset unknown):
            # it must still be in the log once.
            without_offset.append((partition, value))
            continue
        assert (partition, offset) not in expected, f"two deliveries reported offset {partition}/{offset}"
        expected[(partition, offset)] = value
    absent = set(must_be_absent)
    for partition in range(partitions):
        logs = [read_node_log(node.address, topic, partition) for node in pair.nodes]
        (batches_a, records_a, hw_a), (batches_b, records_b, hw_b) = logs
        assert hw_a == hw_b, f"partition {partition}: high watermarks {hw_a} and {hw_b}"
        assert batches_a == batches_b, f"partition {partition}: the nodes hold different batches"
        assert records_a == records_b, f"partition {partition}: the nodes hold different records"
        at = {offset: value for offset, _key, value in records_a}
        counts = {}
        for _offset, _key, value in records_a:
            counts[value] = counts.get(value, 0) + 1
        duplicated = {v: n for v, n in counts.items() if n > 1}
        assert not duplicated, f"partition {partition}: duplicated {list(duplicated.items())[:5]}"
        lost = [(o, v) for (p, o), v in expected.items() if p == partition and at.get(o) != v]
        lost += [(None, v) for p, v in without_offset if p == partition and counts.get(v) != 1]
        assert not lost, f"partition {partition}: {len(lost)} acknowledged records lost or moved, e.g. {lost[:5]}"
        present = absent.intersection(counts)
        assert not present, f"partition {partition}: never-acknowledged records present: {sorted(present)[:5]}"
