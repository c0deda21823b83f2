"""Shared helpers of the real-client interop suite: a Weir broker process, the weir CLI, record sets,
and a raw Fetch that shows which codec a stored batch really has (docs/kafka-wire-protocol.md §3.1: old
librdkafka silently sends uncompressed batches when Produce is not advertised from v0)."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEIR_BIN = os.environ.get("WEIR_BIN", str(REPO / ".build" / "debug" / "weir"))

# Group settings that keep rebalances fast: the broker's minimum session timeout is Kafka's 6 s.
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 500

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
SUPPORTED_CODECS = ["none", "gzip", "lz4"]
UNSUPPORTED_CODECS = ["snappy", "zstd"]
UNSUPPORTED_COMPRESSION_TYPE = 76


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a truthy value or `timeout` seconds pass (then fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Broker:
    """One `weir serve` process on 127.0.0.1 with ports picked at run time. Stopped by PID only."""

    def __init__(self, data_dir=None):
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="weir-interop-"))
        self.port = free_port()
        self.metrics_port = free_port()
        self.process = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        self._log = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=30):
        assert self.process is None, "broker already running"
        args = [
            WEIR_BIN, "serve",
            "--data", str(self.data_dir / "data"),
            "--listen", self.bootstrap,
            "--metrics", f"127.0.0.1:{self.metrics_port}",
        ]
        if "--group-initial-rebalance-delay-ms" in serve_help():
            args += ["--group-initial-rebalance-delay-ms", "0"]
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"weir serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(ready, timeout, what=f"weir serve to listen on {self.bootstrap}")

    def stop(self, timeout=15):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self.process = None
        if self._log:
            self._log.close()
            self._log = None

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            try:
                self.log_path.unlink()
            except FileNotFoundError:
                pass

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


_serve_help = None


def serve_help():
    global _serve_help
    if _serve_help is None:
        out = subprocess.run([WEIR_BIN, "serve", "--help"], capture_output=True, text=True, timeout=30)
        _serve_help = out.stdout + out.stderr
    return _serve_help


def weir(*args, input=None, timeout=60, check=True):
    """Runs the weir CLI; returns the CompletedProcess (text mode)."""
    result = subprocess.run([WEIR_BIN, *args], input=input, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"weir {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def create_topic(broker, name, partitions=1, configs=None):
    args = ["topic", "create", name, "--partitions", str(partitions), "--broker", broker.bootstrap]
    for key, value in (configs or {}).items():
        args += ["--config", f"{key}={value}"]
    weir(*args)
    return name


# ---------------------------------------------------------------------------------------------------------
# Record sets


def make_records(count, tag, partitions):
    """`count` keyed records with two headers each, spread over `partitions` by index.
    Each is (partition, key bytes, value bytes, [(header key, header value bytes)])."""
    records = []
    for i in range(count):
        key = f"key-{i:05d}".encode()
        value = f"{tag} value {i:05d} " .encode() + (b"abcdefghij" * (i % 7))
        headers = [("index", str(i).encode()), ("tag", tag.encode())]
        records.append((i % partitions, key, value, headers))
    return records


def by_partition(records):
    """{partition: [(key, value, headers)]} in produce order."""
    result = {}
    for partition, key, value, headers in records:
        result.setdefault(partition, []).append((key, value, list(headers)))
    return result


def assert_same_records(expected, consumed):
    """Both are {partition: [(key, value, headers)]}: exact content and order per partition."""
    assert sorted(consumed) == sorted(expected), f"partitions {sorted(consumed)} != {sorted(expected)}"
    for partition in expected:
        got, want = consumed[partition], expected[partition]
        assert len(got) == len(want), f"partition {partition}: {len(got)} records, expected {len(want)}"
        for index, (g, w) in enumerate(zip(got, want)):
            assert g == w, f"partition {partition} record {index}: {g!r} != {w!r}"


# ---------------------------------------------------------------------------------------------------------
# A raw Fetch v4, to see stored batches as they are (which codec, how many).


def _str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def raw_fetch_codecs(bootstrap, topic, partition, timeout=10):
    """The codec names of every batch stored in `topic`/`partition`, in log order."""
    return [batch["codec"] for batch in raw_fetch_batches(bootstrap, topic, partition, timeout)]


def raw_fetch_batches(bootstrap, topic, partition, timeout=10):
    """The header of every batch stored in `topic`/`partition`, in log order: codec, base_offset,
    record_count, producer_id, producer_epoch, base_sequence."""
    host, port = bootstrap.rsplit(":", 1)
    codecs = []
    offset = 0
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        for correlation in range(1, 10_000):
            body = struct.pack(">iiiib", -1, 0, 0, 16 << 20, 0)  # replica, max_wait, min_bytes, max_bytes, isolation
            body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1)
            body += struct.pack(">iqi", partition, offset, 16 << 20)
            header = struct.pack(">hhi", 1, 4, correlation) + _str("weir-interop-raw")
            frame = header + body
            sock.sendall(struct.pack(">i", len(frame)) + frame)
            data = _recv_frame(sock)
            pos = 4  # correlation id
            pos += 4  # throttle
            (ntopics,) = struct.unpack_from(">i", data, pos); pos += 4
            assert ntopics == 1
            (tlen,) = struct.unpack_from(">h", data, pos); pos += 2 + tlen
            (nparts,) = struct.unpack_from(">i", data, pos); pos += 4
            assert nparts == 1
            _, error, hw, _lso = struct.unpack_from(">ihqq", data, pos); pos += 4 + 2 + 8 + 8
            assert error == 0, f"raw fetch of {topic}-{partition} at {offset}: error {error}"
            (naborted,) = struct.unpack_from(">i", data, pos); pos += 4
            if naborted > 0:
                pos += naborted * 16
            (rlen,) = struct.unpack_from(">i", data, pos); pos += 4
            records = data[pos:pos + max(rlen, 0)]
            bpos = 0
            advanced = False
            while bpos + 61 <= len(records):
                base_offset, batch_length = struct.unpack_from(">qi", records, bpos)
                total = 12 + batch_length
                if bpos + total > len(records):
                    break
                (attributes,) = struct.unpack_from(">h", records, bpos + 21)
                (last_delta,) = struct.unpack_from(">i", records, bpos + 23)
                producer_id, producer_epoch, base_sequence, count = struct.unpack_from(">qhii", records, bpos + 43)
                codecs.append({
                    "codec": next(name for name, code in CODECS.items() if code == attributes & 7),
                    "base_offset": base_offset,
                    "record_count": count,
                    "producer_id": producer_id,
                    "producer_epoch": producer_epoch,
                    "base_sequence": base_sequence,
                })
                offset = base_offset + last_delta + 1
                advanced = True
                bpos += total
            if offset >= hw:
                return codecs
            assert advanced, f"raw fetch of {topic}-{partition} at {offset} made no progress (hw {hw})"
    raise AssertionError("raw fetch did not reach the high watermark")


def recv_exact(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise AssertionError("broker closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv_frame(sock):
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    return recv_exact(sock, size)
