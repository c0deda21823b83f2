"""A network partition between the two nodes of a pair (issue 5, 5(c)), with network namespaces: each node in a
namespace of its own, joined by veth links to a bridge in a third namespace where the clients run
(10.250.77.0/24, addresses that exist only inside these namespaces). The partition is a blackhole route on each
node towards the other, so the clients still reach both.

The primary is isolated: it must not acknowledge anything (NOT_ENOUGH_REPLICAS after the replication timeout),
the replica is promoted and acknowledges alone; after healing, the old primary steps down, truncates what it
appended but never acknowledged, and catches up; both logs end identical with every acknowledged record.
Skipped, saying why, where network namespaces are not permitted."""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from pairtest import Pair
from weirtest import wait_until

SUBNET = "10.250.77"
PORT = 9092


def ip(*args, check=True):
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


class Namespaces:
    """Three namespaces: `sw` (a bridge and the clients, .254), `a` (.1) and `b` (.2). Removed at cleanup."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.sw, self.a, self.b = f"weir-sw-{tag}", f"weir-a-{tag}", f"weir-b-{tag}"
        self.created = []

    def create(self):
        for ns in (self.sw, self.a, self.b):
            ip("netns", "add", ns)
            self.created.append(ns)
        ip("-n", self.sw, "link", "set", "lo", "up")
        ip("-n", self.sw, "link", "add", "br0", "type", "bridge")
        ip("-n", self.sw, "link", "set", "br0", "up")
        ip("-n", self.sw, "addr", "add", f"{SUBNET}.254/24", "dev", "br0")
        for ns, host, port_name in ((self.a, 1, "pa"), (self.b, 2, "pb")):
            ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port_name, "netns", self.sw)
            ip("-n", ns, "addr", "add", f"{SUBNET}.{host}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", self.sw, "link", "set", port_name, "master", "br0")
            ip("-n", self.sw, "link", "set", port_name, "up")

    def partition(self):
        ip("-n", self.a, "route", "add", "blackhole", f"{SUBNET}.2/32")
        ip("-n", self.b, "route", "add", "blackhole", f"{SUBNET}.1/32")

    def heal(self):
        ip("-n", self.a, "route", "del", "blackhole", f"{SUBNET}.2/32", check=False)
        ip("-n", self.b, "route", "del", "blackhole", f"{SUBNET}.1/32", check=False)

    def cleanup(self):
        for ns in reversed(self.created):
            ip("netns", "del", ns, check=False)
        self.created = []


def netns_unavailable():
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"weir-probe-{uuid.uuid4().hex[:6]}"
    result = ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"this machine does not permit network namespaces ({result.stderr.strip()})"
    ip("netns", "del", probe, check=False)
    return None


@pytest.fixture
def partitioned_pair():
    why = netns_unavailable()
    if why:
        pytest.skip(f"network-partition test skipped: {why}")
    namespaces = Namespaces()
    pair = None
    try:
        namespaces.create()
        pair = Pair(
            hosts=(f"{SUBNET}.1", f"{SUBNET}.2"), ports=(PORT, PORT),
            node_prefixes=(("ip", "netns", "exec", namespaces.a), ("ip", "netns", "exec", namespaces.b)),
            client_prefix=("ip", "netns", "exec", namespaces.sw))
        pair.start()
        yield pair, namespaces
    except BaseException:
        if pair is not None:
            print(pair.logs_tail())
        raise
    finally:
        if pair is not None:
            pair.cleanup()
        namespaces.cleanup()


def produce(pair, node, topic, values):
    """`weir produce` (acks=all) from the clients' namespace; the CompletedProcess."""
    return pair.weir("produce", topic, "--broker", node.address, "--acks", "all", "--partition", "0",
                     "--request-timeout-ms", "10000", input_lines=values, timeout=60)


def read_log(pair, node, topic):
    """`read_node_log` run inside the clients' namespace: [(offset, value)] and the high watermark."""
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); import pairtest; "
        "b, r, hw = pairtest.read_node_log(sys.argv[2], sys.argv[3], 0); "
        "print(json.dumps({'records': [[o, v.decode()] for o, k, v in r], 'hw': hw, "
        "'batches': [list(x) for x in b]}))"
    )
    result = subprocess.run(pair.client_prefix + [sys.executable, "-c", code, os.path.dirname(__file__), node.address, topic],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_isolated_primary_acknowledges_nothing_and_steps_down(partitioned_pair):
    pair, namespaces = partitioned_pair
    primary, replica = pair.nodes
    topic = "partitioned"
    result = pair.weir("topic", "create", topic, "--partitions", "1", "--broker", primary.address)
    assert result.returncode == 0, result.stderr
    wait_until(lambda: any(p["topic"] == topic for p in (pair.status(replica) or {"partitions": []})["partitions"]), 30,
               interval=0.1, what="the replica to have the topic")

    acked = [f"before-{i}" for i in range(20)]
    result = produce(pair, primary, topic, acked)
    assert result.returncode == 0, result.stderr

    namespaces.partition()
    hw_before = next(p for p in pair.status(primary)["partitions"] if p["topic"] == topic)["high_watermark"]
    isolated = [f"isolated-{i}" for i in range(5)]
    started = time.monotonic()
    result = produce(pair, primary, topic, isolated)
    assert result.returncode != 0, "the isolated primary acknowledged a write"
    assert "NOT_ENOUGH_REPLICAS" in result.stderr, result.stderr
    assert time.monotonic() - started >= 1.0, "refused before the replication timeout"
    status = pair.status(primary)
    part = next(p for p in status["partitions"] if p["topic"] == topic)
    assert status["role"] == "primary" and part["high_watermark"] == hw_before, status
    assert part["log_end_offset"] > part["high_watermark"], "the isolated primary should hold the unacknowledged batch"

    epoch = pair.promote(replica, timeout=20)
    after = [f"after-{i}" for i in range(20)]
    result = produce(pair, replica, topic, after)
    assert result.returncode == 0, result.stderr
    acked += after

    # Still partitioned, the stale primary (it does not know of the promotion) acknowledges nothing either.
    stale = [f"stale-{i}" for i in range(5)]
    result = produce(pair, primary, topic, stale)
    assert result.returncode != 0 and "NOT_ENOUGH_REPLICAS" in result.stderr, result.stderr

    namespaces.heal()
    ps, rs = pair.wait_synchronous(replica, primary, 60)
    assert ps["epoch"] == rs["epoch"] == epoch
    audit = primary.audit_log
    assert "steppedDown" in audit and "truncated(" in audit, audit
    assert "discardedAcknowledged" not in audit + replica.audit_log

    more = [f"healed-{i}" for i in range(10)]
    result = produce(pair, replica, topic, more)
    assert result.returncode == 0, result.stderr
    acked += more

    def settled():
        logs = [read_log(pair, node, topic) for node in pair.nodes]
        return logs if logs[0]["hw"] == logs[1]["hw"] == len(acked) else None
    a, b = wait_until(settled, 30, interval=0.2, what="both nodes to serve the whole log")
    assert a["batches"] == b["batches"] and a["records"] == b["records"]
    assert [v for _, v in a["records"]] == acked
    assert [o for o, _ in a["records"]] == list(range(len(acked)))
