"""Consumer-group members of each client, each running its own poll loop in a thread, reporting the
partitions currently assigned to it. `stop()` closes the consumer, which leaves the group."""

import asyncio
import re
import subprocess
import threading
import time

import aiokafka
import confluent_kafka
import kafka

from weirtest import HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS

GROUP_CLIENTS = ["kcat", "confluent-kafka", "kafka-python", "aiokafka"]


class Member:
    def __init__(self, bootstrap, group, topic):
        self.bootstrap, self.group, self.topic = bootstrap, group, topic
        self._lock = threading.Lock()
        self._assignment = frozenset()
        self._stop = threading.Event()
        self.error = None
        self._thread = threading.Thread(target=self._run_guarded, daemon=True)

    @property
    def assignment(self):
        with self._lock:
            return self._assignment

    def _set_assignment(self, partitions):
        with self._lock:
            self._assignment = frozenset(partitions)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=30):
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"{type(self).__name__} did not stop within {timeout}s"
        if self.error:
            raise self.error

    def _run_guarded(self):
        try:
            self.run()
        except BaseException as error:  # reported by stop()
            self.error = error

    def run(self):
        raise NotImplementedError


class ConfluentMember(Member):
    def run(self):
        consumer = confluent_kafka.Consumer({
            "bootstrap.servers": self.bootstrap,
            "group.id": self.group,
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
            "partition.assignment.strategy": "range",
            "auto.offset.reset": "earliest",
        })
        consumer.subscribe([self.topic])
        try:
            while not self._stop.is_set():
                consumer.poll(0.1)
                self._set_assignment(tp.partition for tp in consumer.assignment())
        finally:
            consumer.close()


class KafkaPythonMember(Member):
    def run(self):
        consumer = kafka.KafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            auto_offset_reset="earliest",
        )
        try:
            while not self._stop.is_set():
                consumer.poll(timeout_ms=100)
                self._set_assignment(tp.partition for tp in consumer.assignment())
        finally:
            consumer.close()


class AiokafkaMember(Member):
    def run(self):
        async def loop():
            consumer = aiokafka.AIOKafkaConsumer(
                self.topic,
                bootstrap_servers=self.bootstrap,
                group_id=self.group,
                session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
                auto_offset_reset="earliest",
            )
            await consumer.start()
            try:
                while not self._stop.is_set():
                    await consumer.getmany(timeout_ms=100)
                    self._set_assignment(tp.partition for tp in consumer.assignment())
            finally:
                await consumer.stop()

        asyncio.run(loop())


class KcatMember(Member):
    """kcat's balanced consumer (-G); it reports each rebalance on stderr:
    "% Group G rebalanced (memberid …): assigned: topic [0], topic [1]" and "… revoked: …"."""

    ASSIGNED = re.compile(r"rebalanced \(memberid [^)]*\): assigned: (.*)$")
    REVOKED = re.compile(r"rebalanced \(memberid [^)]*\): revoked:")

    def run(self):
        args = [
            "kcat", "-b", self.bootstrap, "-G", self.group, self.topic, "-o", "beginning",
            "-X", f"session.timeout.ms={SESSION_TIMEOUT_MS}", "-X", f"heartbeat.interval.ms={HEARTBEAT_INTERVAL_MS}",
            "-X", "partition.assignment.strategy=range",
        ]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        reader.start()
        try:
            while not self._stop.is_set() and process.poll() is None:
                time.sleep(0.05)
            if process.poll() is not None:
                raise AssertionError(f"kcat exited with {process.returncode}")
        finally:
            if process.poll() is None:
                process.send_signal(2)  # SIGINT: kcat closes the consumer, leaving the group
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            reader.join(5)

    def _read(self, process):
        for raw in process.stderr:
            line = raw.decode(errors="replace").rstrip()
            match = self.ASSIGNED.search(line)
            if match:
                partitions = [int(p) for p in re.findall(r"\[(\d+)\]", match.group(1))]
                self._set_assignment(partitions)
            elif self.REVOKED.search(line):
                self._set_assignment([])


MEMBERS = {
    "kcat": KcatMember,
    "confluent-kafka": ConfluentMember,
    "kafka-python": KafkaPythonMember,
    "aiokafka": AiokafkaMember,
}
